// Runs a parsed call script: logs every account in once, places each call (and its repeats) with at most
// `parallel` at a time, drives both ends through the steps, then scores each call and checks its expectations.
// Calls that run beside others are scored after all have ended, so scoring never starves live media. The calls
// themselves are driven by session.ts.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadReference, type Call, type ReferenceAudio } from '../call/index.js';
import { loadProfile, type Profile } from '../netsim/index.js';
import type { TlsCheckOutcome } from '../tlscheck/report.js';
import { tlsCheckServer } from '../tlscheck/server-suite.js';
import type { Login } from './logins.js';
import type { Scenario } from './model.js';
import type { RunCallResult, RunReport } from './run-report.js';
import { Session, type Instance } from './session.js';

export interface RunOptions {
  /** The script file as given, for the report; its folder resolves the script's relative file names. */
  scriptFile: string;
  logins: Record<string, Login>;
  /** Recordings, captures and logs go here. */
  outDir: string;
  visqol?: boolean;
  /** Seeds the impairment profiles (call n gets seed + n). */
  seed?: number;
  progress?: RunProgress;
  /** Aborting hangs up the calls that run and places no more; the report covers what ran. */
  signal?: AbortSignal;
}

/** What a display needs while a script runs. */
export interface RunProgress {
  message(text: string): void;
  callStarted(call: LiveCall): void;
  callFinished(result: RunCallResult): void;
}

/** A call while it runs: enough for a progress line. */
export interface LiveCall {
  readonly name: string;
  readonly startedAt: number;
  /** The caller's leg, once placed. */
  readonly leg: Call | undefined;
  /** The step running now, or scoring/done. */
  readonly activity: string;
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunReport> {
  const startedAt = Date.now();
  const progress = options.progress;
  const baseDir = resolve(options.scriptFile, '..');
  mkdirSync(options.outDir, { recursive: true });
  const references = await loadReferences(scenario, baseDir);
  const profiles = loadProfiles(scenario, baseDir);

  const tlsChecks = await runTlsChecks(scenario.tlsCheck ?? [], options);
  const session = await Session.open(options, profiles, progress);
  const results: RunCallResult[] = [];
  const interrupt = () => session.hangUpAll('the run was interrupted');
  options.signal?.addEventListener('abort', interrupt);
  try {
    const instances = scenario.calls.flatMap((script) => Array.from({ length: script.repeat ?? 1 }, (_, index) => ({ script, repeat: index + 1 })));
    const parallel = Math.max(1, scenario.parallel ?? 1);
    const scoreAtOnce = parallel === 1;
    const finished: Instance[] = [];
    let next = 0;
    let seed = options.seed ?? 1;
    const worker = async (): Promise<void> => {
      while (next < instances.length && !options.signal?.aborted) {
        const { script, repeat } = instances[next++]!;
        const instance = session.prepare(script, repeat, references, seed++);
        progress?.callStarted(instance);
        await session.play(instance);
        if (scoreAtOnce) {
          const result = await session.finish(instance);
          results.push(result);
          progress?.callFinished(result);
        } else {
          finished.push(instance);
          instance.activity = 'waiting to be scored';
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, instances.length) }, worker));
    for (const instance of finished) {
      const result = await session.finish(instance);
      results.push(result);
      progress?.callFinished(result);
    }
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
    await session.close();
  }
  return {
    scenario: scenario.name,
    ...(scenario.description === undefined ? {} : { description: scenario.description }),
    file: options.scriptFile,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    outDir: options.outDir,
    passed: results.length > 0 && results.every((result) => result.passed) && tlsChecks.every((test) => test.passed),
    ...(tlsChecks.length > 0 ? { tlsChecks } : {}),
    calls: results,
    stanzaLogs: session.stanzaLogFiles(),
  };
}

/** The TLS client tests against each named account's server, as `earshot tls-check --server` runs them. */
async function runTlsChecks(accounts: readonly string[], options: RunOptions): Promise<TlsCheckOutcome[]> {
  const outcomes: TlsCheckOutcome[] = [];
  for (const name of accounts) {
    const login = options.logins[name];
    if (login?.kind !== 'earshot') continue; // the parser allows only accounts earshot logs in to
    const { account } = login;
    const domain = account.jid.split('@')[1]!;
    const report = await tlsCheckServer({
      domain,
      host: account.host ?? domain,
      ...(account.tls === 'direct' ? {} : { port: account.port }),
      ca: account.ca,
      revocation: account.revocation,
      account,
    });
    for (const test of report.tests) options.progress?.message(`TLS check ${test.passed ? 'PASS' : 'FAIL'} ${test.name} (${test.server}): ${test.reason}`);
    outcomes.push(...report.tests);
  }
  return outcomes;
}

/** Each distinct file played, read once (and encoded once per codec by the call layer). */
async function loadReferences(scenario: Scenario, baseDir: string): Promise<Map<string, ReferenceAudio>> {
  const files = new Set<string | undefined>([undefined]);
  for (const call of scenario.calls) for (const step of call.steps) if (step.kind === 'play') files.add(resolve(baseDir, step.file));
  const references = new Map<string, ReferenceAudio>();
  for (const file of files) {
    const reference = await loadReference(file);
    references.set(file ?? '', reference);
  }
  return references;
}

/** Every profile the script names, loaded up front so that a typo fails before any call. */
function loadProfiles(scenario: Scenario, baseDir: string): Map<string, Profile> {
  const profiles = new Map<string, Profile>([['clean', loadProfile('clean')]]);
  const load = (name: string) => {
    if (!profiles.has(name)) profiles.set(name, loadProfileFor(name, baseDir));
  };
  for (const call of scenario.calls) {
    if (call.profile) load(call.profile);
    for (const step of call.steps) if (step.kind === 'profile') load(step.profile);
  }
  return profiles;
}

function loadProfileFor(name: string, baseDir: string): Profile {
  return loadProfile(/[/\\]|\.ya?ml$/i.test(name) ? resolve(baseDir, name) : name);
}
