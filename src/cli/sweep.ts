// `earshot sweep`: one scored call per point of an impairment grid (loss x burst x codec x seed), several at once.
// Each parallel slot is a worker with its own caller and callee endpoints (its own account pair where the lab can
// register one); it runs its calls one after another. Call setup goes through a narrow gate, since werift's
// candidate gathering stalls when many peers gather at once (DEPENDENCIES.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Endpoint, reportBothEnds, scoreReport, type CallReport, type DirectionReport, type ReferenceAudio } from '../call/index.js';
import { labAccountConfig, type Lab } from '../lab/index.js';
import type { CodecName } from '../media/index.js';
import { applyOverrides, type Profile } from '../netsim/index.js';
import { sweepCsv, sweepPage, type SweepRow } from '../report/index.js';
import type { XmppAccount } from '../xmpp/index.js';

export interface SweepGrid {
  lossPercents: readonly number[];
  /** Mean loss burst lengths in packets; 1 is independent (random) loss. */
  meanBursts: readonly number[];
  codecs: readonly CodecName[];
  /** Runs per point, seeded 1..seeds so a sweep can be replayed. */
  seeds: number;
}

export interface SweepPoint {
  lossPercent: number;
  meanBurst: number;
  codec: CodecName;
  seed: number;
}

/** Caller and callee logins for parallel slot `slot` (0-based). */
export type AccountPairs = (slot: number) => Promise<readonly [XmppAccount, XmppAccount]>;

export interface SweepOptions {
  points: readonly SweepPoint[];
  /** The network each point's loss and burst are laid over (loss replaced, the rest kept); usually `clean`. */
  baseProfile: Profile;
  reference: ReferenceAudio;
  /** Seconds of media per call after it connects. */
  durationS: number;
  /** Calls at once. */
  parallel: number;
  accounts: AccountPairs;
  /** Recordings go to `<outDir>/calls/`. */
  outDir: string;
  /** Calls being set up at once; default 2. */
  setupBatch?: number;
  /** Told as each call finishes (in finishing order). */
  onCall?: (result: SweepCallResult, finished: number, total: number) => void;
}

export interface SweepCallResult {
  point: SweepPoint;
  /** Both directions: caller to callee, then callee to caller. */
  rows: SweepRow[];
  error: string | null;
  wallMs: number;
  report: CallReport | null;
}

export interface SweepResult {
  /** In grid order. */
  calls: SweepCallResult[];
  rows: SweepRow[];
  wallMs: number;
}

/** Every grid point in order loss, burst, codec, seed. A loss of 0 is one point whatever the bursts. */
export function sweepPoints(grid: SweepGrid): SweepPoint[] {
  if (!Number.isInteger(grid.seeds) || grid.seeds < 1) throw new Error(`seeds must be a whole number >= 1, got ${grid.seeds}`);
  for (const [name, list] of [['loss', grid.lossPercents], ['burst', grid.meanBursts], ['codec', grid.codecs]] as const) {
    if (list.length === 0) throw new Error(`the sweep needs at least one ${name}`);
  }
  const points: SweepPoint[] = [];
  for (const lossPercent of unique(grid.lossPercents)) {
    const bursts = lossPercent === 0 ? [1] : unique(grid.meanBursts);
    for (const meanBurst of bursts) {
      for (const codec of unique(grid.codecs)) {
        for (let seed = 1; seed <= grid.seeds; seed++) points.push({ lossPercent, meanBurst, codec, seed });
      }
    }
  }
  return points;
}

/** The base profile with the point's loss (and burst, when above 1) in both directions. */
export function pointProfile(base: Profile, point: SweepPoint): Profile {
  return applyOverrides(base, { lossPercent: point.lossPercent, meanBurst: point.lossPercent > 0 && point.meanBurst > 1 ? point.meanBurst : undefined });
}

/** Registers `sweep-a-<slot>` and `sweep-b-<slot>` on a lab this process holds (once per slot). */
export function labAccountPairs(lab: Lab): AccountPairs {
  const pairs = new Map<number, Promise<readonly [XmppAccount, XmppAccount]>>();
  return (slot) => {
    let pair = pairs.get(slot);
    if (!pair) {
      pair = (async () => {
        await lab.registerAccount(`sweep-a-${slot}`);
        await lab.registerAccount(`sweep-b-${slot}`);
        return [labAccountConfig(lab.info, `sweep-a-${slot}`), labAccountConfig(lab.info, `sweep-b-${slot}`)] as const;
      })();
      pairs.set(slot, pair);
    }
    return pair;
  };
}

/** One account pair for every slot: each slot logs in its own resources and calls its callee's full JID. */
export function sharedAccountPair(pair: readonly [XmppAccount, XmppAccount]): AccountPairs {
  return async () => pair;
}

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  if (!Number.isInteger(options.parallel) || options.parallel < 1) throw new Error(`parallel must be a whole number >= 1, got ${options.parallel}`);
  const startedAt = Date.now();
  const callsDir = join(options.outDir, 'calls');
  mkdirSync(callsDir, { recursive: true });
  const outcomes = new Array<CallOutcome | undefined>(options.points.length);
  const gate = new Gate(options.setupBatch ?? 2);
  let next = 0;
  let finished = 0;
  const loginErrors: string[] = [];

  const worker = async (slot: number): Promise<void> => {
    let endpoints: [Endpoint, Endpoint];
    try {
      endpoints = await gate.run(() => loginPair(options.accounts, slot));
    } catch (error) {
      loginErrors.push(`slot ${slot}: ${message(error)}`);
      return;
    }
    try {
      while (next < options.points.length) {
        const index = next++;
        const point = options.points[index]!;
        outcomes[index] = await runPoint(point, endpoints, gate, options, callsDir);
      }
    } finally {
      await Promise.all(endpoints.map((endpoint) => endpoint.close()));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel, options.points.length) }, (_, slot) => worker(slot)));

  // Scoring takes hundreds of ms of CPU per call: done while other calls ran, it stalled their media (late and
  // unplayed packets, speech cut at the end). So every call is scored once all of them are over.
  const results: Array<SweepCallResult | undefined> = [];
  for (const outcome of outcomes) {
    const result = typeof outcome === 'function' ? await outcome() : outcome;
    if (result) options.onCall?.(result, ++finished, options.points.length);
    results.push(result);
  }

  const calls = results.map((result, index) => {
    if (result) return result;
    // Only when no slot could log in: the points nobody took.
    const failed = failedCall(options.points[index]!, `no call placed: ${loginErrors.join('; ') || 'no slot ran'}`, 0);
    options.onCall?.(failed, ++finished, options.points.length);
    return failed;
  });
  return { calls, rows: calls.flatMap((call) => call.rows), wallMs: Date.now() - startedAt };
}

async function loginPair(accounts: AccountPairs, slot: number): Promise<[Endpoint, Endpoint]> {
  const [callerAccount, calleeAccount] = await accounts(slot);
  const caller = await Endpoint.login(callerAccount);
  try {
    return [caller, await Endpoint.login(calleeAccount)];
  } catch (error) {
    await caller.close();
    throw error;
  }
}

/** A finished call whose scoring is still to come, or a failed one. */
type CallOutcome = SweepCallResult | (() => Promise<SweepCallResult>);

async function runPoint(point: SweepPoint, [caller, callee]: [Endpoint, Endpoint], gate: Gate, options: SweepOptions, callsDir: string): Promise<CallOutcome> {
  const startedAt = Date.now();
  try {
    const name = `loss${point.lossPercent}-burst${point.meanBurst}-${point.codec}-seed${point.seed}`;
    const media = { play: options.reference, codecs: [point.codec], loop: true };
    callee.autoAnswer({ allow: [caller.self], media: { ...media, recordPath: join(callsDir, `${name}-callee-heard.wav`) } });
    const impairment = { profile: pointProfile(options.baseProfile, point), seed: point.seed };

    const { call, incoming } = await gate.run(async () => {
      const answered = callee.onIncomingCall.next();
      const call = await caller.call(callee.self, { ...media, recordPath: join(callsDir, `${name}-caller-heard.wav`), jmi: false, impairment });
      const incoming = await Promise.race([answered.then(([leg]) => leg), call.ended.then(() => undefined)]);
      if (incoming) await Promise.race([call.onConnected.next(), call.ended]);
      return { call, incoming };
    });
    if (!incoming) {
      const leg = await call.ended;
      return failedCall(point, `not answered: ${leg.end.condition}${leg.end.text ? ` (${leg.end.text})` : ''}`, Date.now() - startedAt);
    }
    const hangUpTimer = setTimeout(() => call.hangUp(), options.durationS * 1000);
    const [callerLeg, calleeLeg] = await Promise.all([call.ended, incoming.ended]).finally(() => clearTimeout(hangUpTimer));
    const wallMs = Date.now() - startedAt;
    return async () => {
      try {
        const report = await scoreReport(reportBothEnds(callerLeg, calleeLeg), [call, incoming], { visqol: false });
        if (report.setupMs === null) {
          return { ...failedCall(point, `not connected: ${report.end.condition}${report.end.text ? ` (${report.end.text})` : ''}`, wallMs), report };
        }
        const rows = report.directions.map((direction, index) => directionRow(point, direction, index === 0 ? 'caller-to-callee' : 'callee-to-caller'));
        return { point, rows, error: null, wallMs, report };
      } catch (error) {
        return failedCall(point, message(error), wallMs);
      }
    };
  } catch (error) {
    return failedCall(point, message(error), Date.now() - startedAt);
  }
}

export interface SweepOutputs {
  csv: string;
  json: string;
  html: string;
}

/** Writes results.csv, results.json and index.html into `outDir`; `facts` head the page and the JSON. */
export function writeSweepOutputs(outDir: string, result: SweepResult, facts: ReadonlyArray<readonly [string, string]>): SweepOutputs {
  mkdirSync(outDir, { recursive: true });
  const paths = { csv: join(outDir, 'results.csv'), json: join(outDir, 'results.json'), html: join(outDir, 'index.html') };
  writeFileSync(paths.csv, sweepCsv(result.rows));
  const json = { facts: Object.fromEntries(facts), wallMs: result.wallMs, rows: result.rows, calls: result.calls };
  writeFileSync(paths.json, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(paths.html, sweepPage({ rows: result.rows, facts }));
  return paths;
}

function directionRow(point: SweepPoint, direction: DirectionReport, way: SweepRow['direction']): SweepRow {
  const quality = direction.quality;
  const scored = quality !== undefined && 'mosLqo' in quality;
  return {
    ...configured(point, way),
    mosLqo: scored ? quality.mosLqo : null,
    emodelMos: direction.emodel?.mos ?? null,
    measuredLossPercent: direction.network?.lossPercent ?? null,
    delayMs: direction.emodel?.mouthToEarDelayMs ?? null,
    error: quality === undefined ? 'not scored' : scored ? null : `${quality.verdict}: ${quality.reason}`,
  };
}

function failedCall(point: SweepPoint, error: string, wallMs: number): SweepCallResult {
  const row = (way: SweepRow['direction']): SweepRow => ({ ...configured(point, way), mosLqo: null, emodelMos: null, measuredLossPercent: null, delayMs: null, error });
  return { point, rows: [row('caller-to-callee'), row('callee-to-caller')], error, wallMs, report: null };
}

function configured(point: SweepPoint, direction: SweepRow['direction']) {
  return { lossPercent: point.lossPercent, meanBurst: point.meanBurst, codec: point.codec, seed: point.seed, direction };
}

/** At most `size` tasks inside at once; the rest wait in order (a finishing task hands its place on). */
class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const nextTask = this.waiting.shift();
      if (nextTask) nextTask();
      else this.active--;
    }
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
