// Impairment profiles as YAML files: one profile per file, shipped in src/netsim/profiles/ or written by users.
// Reading is strict: the JSON schema below rejects unknown fields (a typo must not pass silently) and bad types
// or ranges, the model's validateImpairment adds the checks that span fields (a burst too short for its loss),
// and every problem names the file, the line and the field: `mine.yaml:7: down.loss.percent: must be 0..100 (120)`.
//
// The shipped YAML files are not compiled, so tsc does not copy them to dist/: they are read from the source
// tree, found relative to this module (dist/src/netsim/ -> ../../../src/netsim/profiles/). A package or image
// must therefore carry src/netsim/profiles/ beside dist/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { parsePointer, parseYamlSource, readSourceFile, withArticle } from '../util/index.js';
import type { ImpairmentConfig, LossConfig, Profile, ProfilePhase } from './config.js';
import { parseMahimahiTrace } from './mahimahi-trace.js';
import { validateImpairment } from './validate.js';

/** Where the shipped profiles live (see the header: read from the source tree, also when running from dist/). */
export const SHIPPED_PROFILES_DIR = fileURLToPath(new URL('../../../src/netsim/profiles/', import.meta.url));

/** A profile that cannot be used; `problems` holds one `file:line: field: message` per problem. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const nonNegative = { type: 'number', minimum: 0 };
const percent = { type: 'number', minimum: 0, maximum: 100 };
const probability = { type: 'number', minimum: 0, maximum: 1 };

const impairmentSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    delayMs: nonNegative,
    jitter: {
      type: 'object',
      additionalProperties: false,
      required: ['ms'],
      properties: {
        ms: nonNegative,
        distribution: { type: 'string', enum: ['uniform', 'normal', 'pareto', 'paretonormal'] },
        reorder: { type: 'boolean' },
      },
    },
    loss: {
      type: 'object',
      required: ['model'],
      discriminator: { propertyName: 'model' },
      oneOf: [
        {
          additionalProperties: false,
          required: ['model', 'percent'],
          properties: { model: { const: 'random' }, percent },
        },
        {
          additionalProperties: false,
          required: ['model', 'percent', 'meanBurst'],
          properties: { model: { const: 'gilbert-elliott' }, percent, meanBurst: { type: 'number', minimum: 1 } },
        },
        {
          additionalProperties: false,
          required: ['model', 'p', 'r', 'lossInBad', 'lossInGood'],
          properties: {
            model: { const: 'gilbert-elliott-4' },
            p: probability,
            r: probability,
            lossInBad: probability,
            lossInGood: probability,
          },
        },
      ],
    },
    rate: {
      type: 'object',
      additionalProperties: false,
      required: ['kbps'],
      properties: {
        kbps: { type: 'number', exclusiveMinimum: 0 },
        overheadBytes: { type: 'integer', minimum: 0 },
        queuePackets: { type: 'integer', minimum: 1 },
        queueBytes: { type: 'integer', minimum: 1 },
      },
    },
    duplicatePercent: percent,
    reorder: {
      type: 'object',
      additionalProperties: false,
      required: ['percent'],
      properties: { percent, gapMs: nonNegative },
    },
    slot: {
      type: 'object',
      additionalProperties: false,
      required: ['minMs', 'maxMs'],
      properties: {
        minMs: nonNegative,
        maxMs: nonNegative,
        maxPackets: { type: 'integer', minimum: 1 },
        maxBytes: { type: 'integer', minimum: 1 },
      },
    },
    outages: {
      type: 'object',
      additionalProperties: false,
      required: ['everyS', 'durationMs'],
      properties: { everyS: { type: 'number', exclusiveMinimum: 0 }, durationMs: nonNegative, firstAtS: nonNegative },
    },
    trace: {
      type: 'object',
      additionalProperties: false,
      required: ['file'],
      properties: { file: { type: 'string', minLength: 1 } },
    },
  },
};

const profileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'source'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
    source: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    up: impairmentSchema,
    down: impairmentSchema,
    phases: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['atS', 'up', 'down'],
        properties: {
          atS: nonNegative,
          name: { type: 'string' },
          up: impairmentSchema,
          down: impairmentSchema,
        },
      },
    },
  },
};

const validateSchema = new Ajv({ allErrors: true, verbose: true, discriminator: true, strict: true, strictRequired: false }).compile(profileSchema);

/** Reads profile YAML text; `file` names it in errors and anchors relative trace files. */
export function parseProfile(text: string, file: string): Profile {
  const source = parseYamlSource(text, file);
  if ('problems' in source) throw new ProfileError(source.problems);
  const { data, problem } = source;

  if (!validateSchema(data)) {
    throw new ProfileError(uniqueSchemaErrors(validateSchema.errors ?? []).map((error) => schemaProblem(error, problem)));
  }
  const raw = data as unknown as RawProfile;
  const problems: string[] = [];
  const phases = phasesOf(raw, problem, problems);
  for (const { path, config } of directionsOf(raw)) {
    for (const message of validateImpairment(config)) {
      // The model names fields from the direction down (`loss.meanBurst: ...`); the file names them from the top.
      const separator = message.indexOf(': ');
      const field = separator > 0 ? parseFieldPath(message.slice(0, separator)) : [];
      problems.push(problem([...path, ...field], separator > 0 ? message.slice(separator + 2) : message));
    }
    if (config.trace) {
      const traceFile = resolve(dirname(file), config.trace.file);
      const traceProblem = checkTraceFile(traceFile);
      if (traceProblem) problems.push(problem([...path, 'trace', 'file'], traceProblem));
      config.trace = { file: traceFile };
    }
  }
  if (problems.length > 0) throw new ProfileError(problems);
  return { name: raw.name, source: raw.source, ...(raw.description === undefined ? {} : { description: raw.description }), phases };
}

/** A shipped profile by name, or a user's profile file by path (anything with a slash or a .yaml/.yml ending). */
export function loadProfile(nameOrPath: string): Profile {
  const isPath = nameOrPath.includes('/') || nameOrPath.includes('\\') || /\.ya?ml$/i.test(nameOrPath);
  if (!isPath) {
    const known = shippedProfileFiles();
    const file = known.get(nameOrPath);
    if (!file) {
      throw new ProfileError([
        `unknown profile "${nameOrPath}": known profiles are ${[...known.keys()].join(', ')} (or give the path of a .yaml file)`,
      ]);
    }
    return parseProfile(readFileSync(file, 'utf8'), file);
  }
  const read = readSourceFile(nameOrPath);
  if ('problem' in read) throw new ProfileError([read.problem]);
  return parseProfile(read.text, nameOrPath);
}

/** Every shipped profile, by name, with its source and a one-line summary of its figures. */
export function listProfiles(): Array<{ name: string; source: string; summary: string }> {
  return [...shippedProfileFiles().keys()].map((name) => {
    const profile = loadProfile(name);
    return { name: profile.name, source: profile.source, summary: summarizeProfile(profile) };
  });
}

/** One line per profile: `up 200 ms, 1% loss, 50 kbps | down ...`, phases joined by `; then `. */
export function summarizeProfile(profile: Profile): string {
  const phase = (p: ProfilePhase): string => `up ${describeImpairment(p.up)} | down ${describeImpairment(p.down)}`;
  if (profile.phases.length === 1) return phase(profile.phases[0]!);
  return profile.phases.map((p) => `from ${p.atS} s${p.name ? ` ${p.name}` : ''}: ${phase(p)}`).join('; then ');
}

/** The figures of one direction in words: `250 ms ±50 ms jitter, 0.5% loss, 1.2 Mbps`. */
export function describeImpairment(config: ImpairmentConfig): string {
  const parts: string[] = [];
  if (config.delayMs !== undefined) parts.push(`${config.delayMs} ms`);
  if (config.jitter && config.jitter.ms > 0) {
    const distribution = config.jitter.distribution ?? 'uniform';
    parts.push(
      `${distribution === 'uniform' ? '±' : 'sd '}${config.jitter.ms} ms jitter${distribution === 'uniform' ? '' : ` (${distribution})`}` +
        (config.jitter.reorder ? ' reordering' : ''),
    );
  }
  if (config.loss) parts.push(describeLoss(config.loss));
  if (config.rate) parts.push(formatRate(config.rate.kbps) + (config.rate.queuePackets ? ` (queue ${config.rate.queuePackets} packets)` : ''));
  if (config.trace) parts.push(`capacity trace ${basename(config.trace.file)}`);
  if (config.slot) parts.push(`slots ${config.slot.minMs}-${config.slot.maxMs} ms`);
  if (config.reorder) parts.push(`${config.reorder.percent}% reordered`);
  if (config.duplicatePercent) parts.push(`${config.duplicatePercent}% duplicated`);
  if (config.outages) parts.push(`${formatDuration(config.outages.durationMs)} outage every ${config.outages.everyS} s`);
  return parts.length > 0 ? parts.join(', ') : 'no impairment';
}

function describeLoss(loss: LossConfig): string {
  switch (loss.model) {
    case 'random':
      return loss.percent >= 100 ? 'outage (100% loss)' : `${loss.percent}% loss`;
    case 'gilbert-elliott':
      return `${loss.percent}% loss in bursts of ${loss.meanBurst}`;
    case 'gilbert-elliott-4': {
      const bad = loss.p / (loss.p + loss.r);
      const mean = 100 * (bad * loss.lossInBad + (1 - bad) * loss.lossInGood);
      return `${round(mean)}% loss (Gilbert-Elliott p=${loss.p} r=${loss.r} lossInBad=${loss.lossInBad} lossInGood=${loss.lossInGood})`;
    }
  }
}

function formatRate(kbps: number): string {
  return kbps >= 1000 ? `${round(kbps / 1000)} Mbps` : `${round(kbps)} kbps`;
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${round(ms / 1000)} s` : `${ms} ms`;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

interface RawProfile {
  name: string;
  source: string;
  description?: string;
  up?: ImpairmentConfig;
  down?: ImpairmentConfig;
  phases?: ProfilePhase[];
}

type Problem = (path: Array<string | number>, message: string) => string;

/** Either a steady network (`up` and `down`) or a timed sequence (`phases`), never both. */
function phasesOf(raw: RawProfile, problem: Problem, problems: string[]): ProfilePhase[] {
  if (raw.phases) {
    if (raw.up || raw.down) problems.push(problem([raw.up ? 'up' : 'down'], 'give either up and down, or phases, not both'));
    raw.phases.forEach((phase, index) => {
      if (index === 0 && phase.atS !== 0) problems.push(problem(['phases', 0, 'atS'], `the first phase must start at 0 (${phase.atS})`));
      const previous = raw.phases![index - 1];
      if (previous && phase.atS <= previous.atS) {
        problems.push(problem(['phases', index, 'atS'], `must be later than the phase before (${phase.atS} <= ${previous.atS})`));
      }
    });
    return raw.phases;
  }
  if (!raw.up || !raw.down) {
    problems.push(problem([], `${raw.up ? 'down' : raw.down ? 'up' : 'up and down'}: missing (give up and down, or phases)`));
    return [];
  }
  return [{ atS: 0, up: raw.up, down: raw.down }];
}

/** Each direction's config with its path in the file; the configs are the ones the returned profile holds. */
function directionsOf(raw: RawProfile): Array<{ path: Array<string | number>; config: ImpairmentConfig }> {
  if (raw.phases) {
    return raw.phases.flatMap((phase, index) => [
      { path: ['phases', index, 'up'], config: phase.up },
      { path: ['phases', index, 'down'], config: phase.down },
    ]);
  }
  return [
    ...(raw.up ? [{ path: ['up'], config: raw.up }] : []),
    ...(raw.down ? [{ path: ['down'], config: raw.down }] : []),
  ];
}

/** A failed `oneOf` reports every branch; with the discriminator only the chosen branch's errors matter. */
function uniqueSchemaErrors(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    if (error.keyword === 'oneOf') return false;
    const key = `${error.instancePath}|${error.keyword}|${JSON.stringify(error.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function schemaProblem(error: ErrorObject, problem: Problem): string {
  const path = parsePointer(error.instancePath);
  const schema = (error.parentSchema ?? {}) as Record<string, unknown>;
  const value = `(${JSON.stringify(error.data)})`;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(error.params.additionalProperty);
      const known = Object.keys((schema.properties as object | undefined) ?? {});
      return problem([...path, field], `unknown field (known: ${known.join(', ')})`);
    }
    case 'required':
      return problem([...path, String(error.params.missingProperty)], 'missing');
    case 'type':
      return problem(path, `must be ${withArticle(String(error.params.type))} ${value}`);
    case 'enum':
      return problem(path, `must be one of ${(error.params.allowedValues as unknown[]).join(', ')} ${value}`);
    case 'discriminator': {
      const models = ['random', 'gilbert-elliott', 'gilbert-elliott-4'];
      return error.params.error === 'mapping'
        ? problem([...path, 'model'], `must be one of ${models.join(', ')} (${JSON.stringify(error.params.tagValue)})`)
        : problem([...path, 'model'], `missing (one of ${models.join(', ')})`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return problem(path, `${rangeText(schema)} ${value}`);
    case 'pattern':
      return problem(path, `must be letters, digits, '.', '_' or '-' ${value}`);
    default:
      return problem(path, `${error.message ?? 'invalid'} ${value}`);
  }
}

function rangeText(schema: Record<string, unknown>): string {
  const { minimum, maximum, exclusiveMinimum } = schema as { minimum?: number; maximum?: number; exclusiveMinimum?: number };
  if (minimum !== undefined && maximum !== undefined) return `must be ${minimum}..${maximum}`;
  if (exclusiveMinimum !== undefined) return `must be above ${exclusiveMinimum}`;
  if (minimum === 0) return 'must not be negative';
  return minimum !== undefined ? `must be at least ${minimum}` : `must be at most ${maximum}`;
}



/** `loss.meanBurst` or `slot[0].minMs` as a path. */
function parseFieldPath(field: string): Array<string | number> {
  if (field === '') return [];
  return field.split(/\.|\[(\d+)\]/).filter((part) => part !== undefined && part !== '').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}



/** Reads the trace now, so that a missing or malformed one fails when the profile loads, not mid-call. */
function checkTraceFile(traceFile: string): string | undefined {
  if (!existsSync(traceFile)) return `no such trace file (${traceFile})`;
  try {
    parseMahimahiTrace(readFileSync(traceFile, 'utf8'));
    return undefined;
  } catch (error) {
    return `${traceFile}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Shipped profile files by name (the file name without .yaml). */
function shippedProfileFiles(): Map<string, string> {
  const files = readdirSync(SHIPPED_PROFILES_DIR).filter((file) => extname(file) === '.yaml').sort();
  return new Map(files.map((file) => [basename(file, '.yaml'), join(SHIPPED_PROFILES_DIR, file)]));
}
