// Call scripts as YAML. Reading is strict and complete: the JSON schema catches unknown fields, missing fields
// and wrong types; the checks after it cover what a schema says badly (steps, durations, comparisons, account
// references, passwords), and every problem comes back at once as `file:line: field.path: message`.
// A script with any problem yields no Scenario, so no call is placed.
import { Ajv, type ErrorObject } from 'ajv';
import { parsePointer, parseYamlSource, readSourceFile, withArticle } from '../util/index.js';
import { ComparisonError, parseComparison } from './expectations.js';
import {
  CALL_METRICS,
  DIRECTION_METRICS,
  DIRECTIONS,
  STEP_KINDS,
  type AccountRef,
  type CallScript,
  type Expectations,
  type Scenario,
  type Side,
  type Step,
} from './model.js';

/** A script that cannot be run; `problems` holds one `file:line: field: message` per problem. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

type Path = Array<string | number>;
type Report = (path: Path, message: string) => void;

const ACCOUNT_FIELDS = ['lab', 'jid', 'passwordEnv', 'passwordFile', 'host', 'port', 'tls', 'ca', 'external'];
const nonEmpty = { type: 'string', minLength: 1 };

const scenarioSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'accounts', 'calls'],
  properties: {
    name: nonEmpty,
    description: { type: 'string' },
    parallel: { type: 'integer', minimum: 1 },
    tlsCheck: { type: 'array', minItems: 1, items: nonEmpty },
    accounts: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        // `password` is allowed through the schema only to be refused with a message of its own.
        properties: {
          lab: nonEmpty,
          jid: nonEmpty,
          passwordEnv: nonEmpty,
          passwordFile: nonEmpty,
          password: {},
          host: nonEmpty,
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          tls: { type: 'string', enum: ['starttls', 'direct'] },
          ca: nonEmpty,
          external: { type: 'boolean' },
        },
      },
    },
    calls: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'caller', 'callee', 'via', 'steps'],
        properties: {
          name: nonEmpty,
          caller: nonEmpty,
          callee: nonEmpty,
          via: { type: 'string', enum: ['jmi', 'direct'] },
          codec: { type: 'string', enum: ['opus', 'pcmu', 'pcma'] },
          insecureRtp: { type: 'boolean' },
          leadIn: nonEmpty,
          profile: nonEmpty,
          repeat: { type: 'integer', minimum: 1 },
          steps: { type: 'array', items: {} },
          expect: { type: 'object' },
        },
      },
    },
  },
};

const validateSchema = new Ajv({ allErrors: true, verbose: true, strict: true }).compile(scenarioSchema);

/** Reads call-script YAML text; `file` names it in every problem. Throws ScenarioError with all problems. */
export function parseScenario(text: string, file: string): Scenario {
  const source = parseYamlSource(text, file);
  if ('problems' in source) throw new ScenarioError(source.problems);
  const problems: string[] = [];
  const report: Report = (path, message) => {
    problems.push(source.problem(path, message));
  };

  const data: unknown = source.data;
  if (!validateSchema(data)) {
    for (const error of validateSchema.errors ?? []) reportSchemaError(error, report);
  }
  if (!isRecord(data)) {
    if (problems.length === 0) report([], 'must be a mapping with name, accounts and calls');
    throw new ScenarioError(problems);
  }
  const accounts = isRecord(data.accounts) ? checkAccounts(data.accounts, report) : {};
  const calls = Array.isArray(data.calls) ? data.calls.map((call, index) => checkCall(call, ['calls', index], accounts, report)) : [];
  checkUniqueCallNames(calls, report);
  if (Array.isArray(data.tlsCheck)) checkTlsAccounts(data.tlsCheck, accounts, report);
  if (problems.length > 0) throw new ScenarioError(problems);

  return {
    name: data.name as string,
    ...(data.description === undefined ? {} : { description: data.description as string }),
    accounts,
    calls: calls as CallScript[],
    ...(data.parallel === undefined ? {} : { parallel: data.parallel as number }),
    ...(data.tlsCheck === undefined ? {} : { tlsCheck: data.tlsCheck as string[] }),
  };
}

/** Reads and parses a script file; a file that cannot be read is a ScenarioError too. */
export function loadScenario(path: string): Scenario {
  const read = readSourceFile(path);
  if ('problem' in read) throw new ScenarioError([read.problem]);
  return parseScenario(read.text, path);
}

/** `12.5s`, `500ms`, `2m` as milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/.exec(text);
  if (!match) return undefined;
  const scale = { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
  return Math.round(Number(match[1]) * scale);
}

function reportSchemaError(error: ErrorObject, report: Report): void {
  const path = parsePointer(error.instancePath);
  const value = `(${JSON.stringify(error.data)})`;
  const schema = (error.parentSchema ?? {}) as { properties?: object; minimum?: number; maximum?: number };
  switch (error.keyword) {
    case 'additionalProperties': {
      const known = path.length === 2 && path[0] === 'accounts' ? ACCOUNT_FIELDS : Object.keys(schema.properties ?? {});
      return report([...path, String(error.params.additionalProperty)], `unknown field (known: ${known.join(', ')})`);
    }
    case 'required':
      return report([...path, String(error.params.missingProperty)], 'missing');
    case 'type':
      return report(path, `must be ${withArticle(String(error.params.type))} ${value}`);
    case 'enum':
      return report(path, `must be one of ${(error.params.allowedValues as unknown[]).join(', ')} ${value}`);
    case 'minLength':
      return report(path, 'must not be empty');
    case 'minItems':
    case 'minProperties':
      return report(path, 'must not be empty');
    case 'minimum':
    case 'maximum':
      return report(path, `${schema.maximum === undefined ? `must be at least ${schema.minimum}` : `must be ${schema.minimum}..${schema.maximum}`} ${value}`);
    default:
      return report(path, `${error.message ?? 'invalid'} ${value}`);
  }
}

function checkAccounts(raw: Record<string, unknown>, report: Report): Record<string, AccountRef> {
  const accounts: Record<string, AccountRef> = {};
  for (const [name, entry] of Object.entries(raw)) {
    if (!isRecord(entry)) continue; // the schema has reported it
    const path = ['accounts', name];
    if ('password' in entry) {
      report([...path, 'password'], 'inline passwords are refused (scripts get shared and logged): use passwordEnv (an environment variable name) or passwordFile');
    }
    if (entry.lab !== undefined) {
      const extra = Object.keys(entry).filter((key) => key !== 'lab' && key !== 'password');
      for (const key of extra) report([...path, key], 'a lab account takes only lab (the lab knows its server and password)');
      if (typeof entry.lab === 'string') accounts[name] = { lab: entry.lab };
      continue;
    }
    if (entry.jid === undefined) report([...path, 'jid'], 'missing (or give lab: NAME for a lab account)');
    else if (typeof entry.jid === 'string' && !/^[^@/\s]+@[^@/\s]+(\/\S+)?$/.test(entry.jid)) report([...path, 'jid'], `must be a JID like user@example.org (${JSON.stringify(entry.jid)})`);
    if (entry.external === true) {
      const extra = Object.keys(entry).filter((key) => key !== 'jid' && key !== 'external' && key !== 'password');
      for (const key of extra) report([...path, key], 'an external client takes only jid (earshot calls it but does not log in as it)');
      if (typeof entry.jid === 'string') accounts[name] = { jid: entry.jid, external: true };
      continue;
    }
    if (entry.external === false) report([...path, 'external'], 'leave it out, or true for a client earshot does not drive');
    if (entry.passwordEnv === undefined && entry.passwordFile === undefined) report(path, 'needs passwordEnv or passwordFile');
    if (entry.passwordEnv !== undefined && entry.passwordFile !== undefined) report([...path, 'passwordFile'], 'give passwordEnv or passwordFile, not both');
    accounts[name] = Object.fromEntries(ACCOUNT_FIELDS.filter((key) => entry[key] !== undefined).map((key) => [key, entry[key]])) as AccountRef;
  }
  return accounts;
}

function checkCall(raw: unknown, path: Path, accounts: Record<string, AccountRef>, report: Report): Partial<CallScript> {
  if (!isRecord(raw)) return {};
  const known = Object.keys(accounts);
  for (const role of ['caller', 'callee'] as const) {
    const name = raw[role];
    if (typeof name === 'string' && !(name in accounts)) {
      report([...path, role], `unknown account "${name}" (accounts: ${known.join(', ') || 'none'})`);
    }
  }
  const steps = Array.isArray(raw.steps) ? raw.steps.map((step, index) => checkStep(step, [...path, 'steps', index], report)) : [];
  checkSides(raw, steps, path, accounts, report);
  const expect = raw.expect === undefined || !isRecord(raw.expect) ? undefined : checkExpect(raw.expect, [...path, 'expect'], report);
  const { leadIn, ...fields } = raw;
  const call: Partial<CallScript> = { ...(fields as Partial<CallScript>), steps: steps.filter((step): step is Step => step !== undefined) };
  if (typeof leadIn === 'string') {
    const ms = parseDuration(leadIn);
    if (ms === undefined) report([...path, 'leadIn'], `must be a duration such as 1s or 500ms (${JSON.stringify(leadIn)})`);
    else call.leadInMs = ms;
  }
  if (expect) call.expect = expect;
  return call;
}

/** An external client is called, never calls, and takes no steps; each side plays and records one file. */
function checkSides(raw: Record<string, unknown>, steps: Array<Step | undefined>, path: Path, accounts: Record<string, AccountRef>, report: Report): void {
  const isExternal = (role: 'caller' | 'callee') => typeof raw[role] === 'string' && 'external' in (accounts[raw[role] as string] ?? {});
  if (isExternal('caller')) report([...path, 'caller'], 'an external client cannot be made to call: earshot places calls from accounts it logs in to');
  const seen = new Set<string>();
  steps.forEach((step, index) => {
    if (!step) return;
    const side = stepSide(step);
    if (side === 'callee' && isExternal('callee')) {
      report([...path, 'steps', index, step.kind], `the callee ${String(raw.callee)} is an external client: earshot cannot ${step.kind} for it`);
    }
    if (step.kind === 'play' || step.kind === 'record') {
      const key = `${step.kind}:${step.side}`;
      if (seen.has(key)) report([...path, 'steps', index, step.kind], `the ${step.side} already has a ${step.kind} step: one per side per call`);
      seen.add(key);
    }
  });
}

/** The side a step acts on; answer and reject are the callee's. */
function stepSide(step: Step): Side | undefined {
  if (step.kind === 'answer' || step.kind === 'reject') return 'callee';
  return 'side' in step ? step.side : undefined;
}

/** The TLS tests log in as the account, so it must be one earshot logs in to. */
function checkTlsAccounts(names: unknown[], accounts: Record<string, AccountRef>, report: Report): void {
  names.forEach((name, index) => {
    if (typeof name !== 'string') return; // the schema has reported it
    const account = accounts[name];
    if (!account) report(['tlsCheck', index], `unknown account "${name}" (accounts: ${Object.keys(accounts).join(', ') || 'none'})`);
    else if ('external' in account) report(['tlsCheck', index], `${name} is an external client: earshot does not log in as it`);
  });
}

function checkUniqueCallNames(calls: Array<Partial<CallScript>>, report: Report): void {
  const seen = new Set<string>();
  calls.forEach((call, index) => {
    if (typeof call.name !== 'string') return;
    if (seen.has(call.name)) report(['calls', index, 'name'], `"${call.name}" names another call too: call names must be unique`);
    seen.add(call.name);
  });
}

function checkStep(raw: unknown, path: Path, report: Report): Step | undefined {
  const known = `(known: ${STEP_KINDS.join(', ')})`;
  if (!isRecord(raw)) {
    report(path, `must be a step such as { wait: 2s } ${known} (${JSON.stringify(raw)})`);
    return undefined;
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    report(path, `a step has exactly one kind, found ${keys.length === 0 ? 'none' : keys.join(', ')} ${known}`);
    return undefined;
  }
  const kind = keys[0]!;
  const value = raw[kind];
  const at = [...path, kind];
  const fail = (field: Path, message: string): undefined => {
    report([...at, ...field], message);
    return undefined;
  };
  // Steps acting on one end take a shorthand (`play: x.wav`, acting on the caller) or a mapping with `side`.
  const sided = (field: string, accept: (v: unknown) => boolean, expected: string): { value: unknown; side: Side } | undefined => {
    if (!isRecord(value)) return accept(value) ? { value, side: 'caller' } : fail([], `must be ${expected} or { ${field}, side } (${JSON.stringify(value)})`);
    const ok = checkFields(value, [field, 'side'], [field], at, report);
    if (value.side !== undefined && value.side !== 'caller' && value.side !== 'callee') return fail(['side'], `must be caller or callee (${JSON.stringify(value.side)})`);
    if (value[field] !== undefined && !accept(value[field])) return fail([field], `must be ${expected} (${JSON.stringify(value[field])})`);
    return ok ? { value: value[field], side: (value.side as Side | undefined) ?? 'caller' } : undefined;
  };
  const isFile = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

  switch (kind) {
    case 'wait': {
      const ms = typeof value === 'string' ? parseDuration(value) : undefined;
      return ms === undefined ? fail([], `must be a duration such as 2s or 500ms (${JSON.stringify(value)})`) : { kind, ms };
    }
    case 'expectRinging': {
      if (!isRecord(value)) return fail([], `must be {} or { within: DURATION } (${JSON.stringify(value)})`);
      if (!checkFields(value, ['within'], [], at, report)) return undefined;
      if (value.within === undefined) return { kind };
      const withinMs = typeof value.within === 'string' ? parseDuration(value.within) : undefined;
      return withinMs === undefined ? fail(['within'], `must be a duration such as 2s or 500ms (${JSON.stringify(value.within)})`) : { kind, withinMs };
    }
    case 'answer':
      if (!isRecord(value)) return fail([], `must be {} (${JSON.stringify(value)})`);
      return checkFields(value, [], [], at, report) ? { kind } : undefined;
    case 'reject': {
      if (!isRecord(value)) return fail([], `must be {} or { reason: decline|busy } (${JSON.stringify(value)})`);
      if (!checkFields(value, ['reason'], [], at, report)) return undefined;
      const reason = value.reason ?? 'decline';
      return reason === 'decline' || reason === 'busy' ? { kind, reason } : fail(['reason'], `must be decline or busy (${JSON.stringify(reason)})`);
    }
    case 'play':
    case 'record': {
      const found = sided('file', isFile, 'a file name');
      return found && { kind, file: found.value as string, side: found.side };
    }
    case 'dtmf': {
      const found = sided('digits', (v) => typeof v === 'string' && /^[0-9*#A-D]+$/.test(v), 'DTMF digits 0-9, *, #, A-D (as a quoted string)');
      return found && { kind, digits: found.value as string, side: found.side };
    }
    case 'mute':
    case 'hold': {
      const found = sided('on', (v) => typeof v === 'boolean', 'true or false');
      return found && { kind, on: found.value as boolean, side: found.side };
    }
    case 'profile': {
      const found = sided('profile', isFile, 'a profile name or file');
      return found && { kind, profile: found.value as string, side: found.side };
    }
    case 'iceRestart':
    case 'hangup': {
      if (!isRecord(value)) return fail([], `must be {} or { side: caller|callee } (${JSON.stringify(value)})`);
      if (!checkFields(value, ['side'], [], at, report)) return undefined;
      const side = value.side ?? 'caller';
      return side === 'caller' || side === 'callee' ? { kind, side } : fail(['side'], `must be caller or callee (${JSON.stringify(side)})`);
    }
    default:
      report(at, `unknown step ${known}`);
      return undefined;
  }
}

/** Unknown and missing fields of a step's mapping; true when there are none. */
function checkFields(value: Record<string, unknown>, allowed: string[], required: string[], path: Path, report: Report): boolean {
  let ok = true;
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      report([...path, key], allowed.length > 0 ? `unknown field (known: ${allowed.join(', ')})` : 'unknown field (this step takes none)');
      ok = false;
    }
  }
  for (const key of required) {
    if (value[key] === undefined) {
      report([...path, key], 'missing');
      ok = false;
    }
  }
  return ok;
}

/** Flattens `callerToCallee: { mosLqo: ">= 3" }` to `callerToCallee.mosLqo` and checks every name and comparison. */
function checkExpect(raw: Record<string, unknown>, path: Path, report: Report): Expectations {
  const expectations: Expectations = {};
  const metricNames: readonly string[] = [...CALL_METRICS, ...DIRECTION_METRICS];
  const check = (name: string, value: unknown, at: Path): void => {
    if (typeof value !== 'string') {
      report(at, `must be a quoted comparison such as ">= 3.5" (${JSON.stringify(value)})`);
      return;
    }
    try {
      parseComparison(value);
      expectations[name] = value;
    } catch (error) {
      if (!(error instanceof ComparisonError)) throw error;
      report(at, error.message);
    }
  };
  for (const [key, value] of Object.entries(raw)) {
    if ((DIRECTIONS as readonly string[]).includes(key)) {
      if (!isRecord(value)) {
        report([...path, key], `must be a mapping of ${DIRECTION_METRICS.join(', ')} (${JSON.stringify(value)})`);
        continue;
      }
      for (const [metric, comparison] of Object.entries(value)) {
        if (!(DIRECTION_METRICS as readonly string[]).includes(metric)) {
          report([...path, key, metric], `unknown metric (known for a direction: ${DIRECTION_METRICS.join(', ')})`);
        } else {
          check(`${key}.${metric}`, comparison, [...path, key, metric]);
        }
      }
    } else if (metricNames.includes(key)) {
      check(key, value, [...path, key]);
    } else {
      report([...path, key], `unknown metric (known: ${[...metricNames, ...DIRECTIONS].join(', ')})`);
    }
  }
  return expectations;
}




function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
