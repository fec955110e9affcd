// The logged-in endpoints of a call script's run and the calls they carry: each call placed, its far end found by
// the session id chosen before placing it, its steps executed on either side, its legs collected and scored.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  Endpoint,
  prepareReference,
  reportBothEnds,
  reportOneEnd,
  scoreReport,
  type Call,
  type CallLegResult,
  type CallMediaOptions,
  type CallReport,
  type ReferenceAudio,
} from '../call/index.js';
import { parseCodecName, type CodecName } from '../media/index.js';
import type { Profile } from '../netsim/index.js';
import { logger } from '../util/index.js';
import { bareJid } from '../xmpp/index.js';
import { checkExpectations } from './expectations.js';
import { callFigures } from './figures.js';
import type { CallScript, Side, Step } from './model.js';
import type { RunCallResult, StepRecord } from './run-report.js';
import type { LiveCall, RunOptions, RunProgress } from './runner.js';

const log = logger('run');

/** How long an answer step waits for the call to arrive and connect, and ringing by default. */
const ARRIVAL_TIMEOUT_MS = 15_000;
const CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_RINGING_WITHIN_MS = 10_000;
/** After the last step: how long both ends may take to end the call. */
const END_TIMEOUT_MS = 10_000;
/** How long an iceRestart step waits for the peer to answer the restart. */
const ICE_RESTART_TIMEOUT_MS = 5_000;


export interface Instance extends LiveCall {
  startedAt: number;
  script: CallScript;
  repeat: number;
  sid: string;
  dir: string;
  leg: Call | undefined;
  activity: string;
  callee?: Call;
  steps: StepRecord[];
  error: string | null;
  legs: CallLegResult[];
  media: { caller: CallMediaOptions; callee: CallMediaOptions };
}


/** The logged-in endpoints of a run and the calls they carry. */
export class Session {
  private readonly instancesBySid = new Map<string, Instance>();
  private readonly arrivals = new Map<string, (call: Call) => void>();
  private readonly stanzaLogs = new Map<string, { path: string; stream: WriteStream }>();
  private callCount = 0;

  private constructor(
    private readonly options: RunOptions,
    private readonly profiles: Map<string, Profile>,
    private readonly endpoints: Map<string, Endpoint>,
    private readonly loginErrors: Map<string, string>,
  ) {}

  static async open(options: RunOptions, profiles: Map<string, Profile>, progress?: RunProgress): Promise<Session> {
    const session = new Session(options, profiles, new Map(), new Map());
    await Promise.all(
      Object.entries(options.logins).map(async ([name, login]) => {
        if (login.kind === 'external') return;
        try {
          const endpoint = await Endpoint.login(login.account, { stanzaLog: session.stanzaLogFor(name) });
          session.endpoints.set(name, endpoint);
          progress?.message(`connected as ${endpoint.self} (${name})`);
        } catch (error) {
          session.loginErrors.set(name, (error as Error).message);
          progress?.message(`${name} could not log in: ${(error as Error).message}`);
        }
      }),
    );
    session.takeCalls();
    return session;
  }

  /** Paths of the stanza logs, per account, relative to the output folder. */
  stanzaLogFiles(): Record<string, string> {
    return Object.fromEntries([...this.stanzaLogs].map(([name, { path }]) => [name, relative(this.options.outDir, path)]));
  }

  prepare(script: CallScript, repeat: number, references: Map<string, ReferenceAudio>, seed: number): Instance {
    const number = ++this.callCount;
    const name = repeat > 1 ? `${script.name}#${repeat}` : script.name;
    const dir = join(this.options.outDir, `${String(number).padStart(2, '0')}-${safeName(name)}`);
    mkdirSync(dir, { recursive: true });
    const baseDir = resolve(this.options.scriptFile, '..');
    const played = (side: Side) => {
      const step = script.steps.find((s): s is Extract<Step, { kind: 'play' }> => s.kind === 'play' && s.side === side);
      return references.get(step ? resolve(baseDir, step.file) : '')!;
    };
    const recorded = (side: Side) => {
      const step = script.steps.find((s): s is Extract<Step, { kind: 'record' }> => s.kind === 'record' && s.side === side);
      const path = step ? resolve(this.options.outDir, step.file) : join(dir, `${side}-heard.wav`);
      mkdirSync(dirname(path), { recursive: true });
      return path;
    };
    const impairment = (side: Side) => {
      const initial = side === 'caller' ? script.profile : undefined;
      const switches = script.steps.some((s) => s.kind === 'profile' && s.side === side);
      if (!initial && !switches) return undefined;
      return { profile: this.profiles.get(initial ?? 'clean')!, seed };
    };
    const codecs: CodecName[] | undefined = script.codec ? [parseCodecName(script.codec)] : undefined;
    const media = (side: Side): CallMediaOptions => {
      const play = played(side);
      prepareReference(play, codecs ?? ['opus', 'PCMU', 'PCMA']);
      return { play, loop: true, recordPath: recorded(side), capturePath: join(dir, `${side}.pcap`), codecs, impairment: impairment(side), insecureRtp: script.insecureRtp, speechLeadInMs: script.leadInMs };
    };
    const instance: Instance = {
      name,
      script,
      repeat,
      sid: randomBytes(12).toString('base64url'),
      dir,
      startedAt: Date.now(),
      leg: undefined,
      activity: 'placing the call',
      steps: [],
      error: null,
      legs: [],
      media: { caller: media('caller'), callee: media('callee') },
    };
    this.instancesBySid.set(instance.sid, instance);
    return instance;
  }

  /** Places the call and runs its steps; never throws: what went wrong is the instance's error. */
  async play(instance: Instance): Promise<void> {
    const { script } = instance;
    try {
      const caller = this.endpoint(script.caller);
      const target = this.targetOf(script);
      instance.startedAt = Date.now();
      instance.leg = await caller.call(target, { ...instance.media.caller, sid: instance.sid, jmi: script.via === 'jmi' });
      for (const step of script.steps) {
        if (instance.leg.session.state === 'ended' && step.kind !== 'play' && step.kind !== 'record') {
          throw new Error(`the call ended before the step ${describeStep(step)}`);
        }
        instance.activity = describeStep(step);
        await this.runStep(instance, step);
      }
      if (instance.leg.session.state !== 'ended') {
        this.record(instance, { step: 'hangup', side: 'caller', ok: true, detail: 'end of script' });
        instance.leg.hangUp();
      }
    } catch (error) {
      instance.error = (error as Error).message;
      log.info(`${instance.name}: ${instance.error}`);
      instance.leg?.hangUp({ condition: 'general-error', text: `call script: ${instance.error}` });
    }
    instance.activity = 'ending';
    await this.collectLegs(instance);
  }

  /** Scores the call, checks its expectations, and forgets it. */
  async finish(instance: Instance): Promise<RunCallResult> {
    instance.activity = 'scoring';
    const report = await this.report(instance);
    const callerJid = instance.leg?.self ?? this.accountJid(instance.script.caller);
    const expectations = checkExpectations(instance.script.expect ?? {}, callFigures(report, callerJid));
    instance.activity = 'done';
    this.instancesBySid.delete(instance.sid);
    return {
      name: instance.name,
      script: instance.script.name,
      repeat: instance.repeat,
      caller: this.accountJid(instance.script.caller),
      callee: this.accountJid(instance.script.callee),
      startedAt: instance.startedAt,
      elapsedMs: Date.now() - instance.startedAt,
      report: report && relativePaths(report, this.options.outDir),
      error: instance.error,
      steps: instance.steps,
      expectations,
      passed: instance.error === null && expectations.every((expectation) => expectation.passed),
      files: {
        ...(instance.legs[0]?.capture ? { pcap: relative(this.options.outDir, instance.legs[0].capture) } : {}),
        ...(instance.legs[1]?.capture ? { calleePcap: relative(this.options.outDir, instance.legs[1].capture) } : {}),
        ...(this.stanzaLogs.has(instance.script.caller) ? { stanzaLog: relative(this.options.outDir, this.stanzaLogs.get(instance.script.caller)!.path) } : {}),
      },
    };
  }

  hangUpAll(text: string): void {
    for (const instance of this.instancesBySid.values()) {
      instance.error ??= text;
      for (const leg of [instance.leg, instance.callee]) if (leg && leg.session.state !== 'ended') leg.hangUp({ condition: 'gone', text });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map((endpoint) => endpoint.close()));
    await Promise.all([...this.stanzaLogs.values()].map(({ stream }) => new Promise((done) => stream.end(done))));
  }

  private async runStep(instance: Instance, step: Step): Promise<void> {
    const leg = instance.leg!;
    const at = Date.now();
    const done = (detail?: string) => this.record(instance, { step: step.kind, ...('side' in step ? { side: step.side } : {}), ok: true, atMs: at - instance.startedAt, ...(detail ? { detail } : {}) });
    switch (step.kind) {
      case 'expectRinging': {
        const withinMs = step.withinMs ?? DEFAULT_RINGING_WITHIN_MS;
        const rang = leg.timeline.some((entry) => entry.event === 'ringing') || (await within(leg.session.onRinging.next().then(() => true), withinMs, leg));
        if (!rang) throw new Error(`no ringing within ${withinMs / 1000} s`);
        return done(`ringing after ${leg.timeline.find((entry) => entry.event === 'ringing')?.atMs ?? '?'} ms`);
      }
      case 'answer': {
        const incoming = await this.arrival(instance);
        incoming.answer();
        const connected = await within(Promise.all([leg.onConnected.next(), incoming.onConnected.next()]).then(() => true), CONNECT_TIMEOUT_MS, leg);
        if (!connected) throw new Error(leg.session.state === 'ended' ? 'the call ended while connecting' : `media did not connect within ${CONNECT_TIMEOUT_MS / 1000} s`);
        return done();
      }
      case 'reject': {
        const incoming = await this.arrival(instance);
        incoming.reject(step.reason);
        await within(leg.ended.then(() => true), END_TIMEOUT_MS, undefined);
        return done(step.reason);
      }
      case 'wait':
        await within(leg.ended.then(() => false), step.ms, undefined);
        return done();
      case 'play':
        return done(`plays ${relative(this.options.outDir, instance.media[step.side].play.path) || instance.media[step.side].play.path}`);
      case 'record':
        return done(`records to ${relative(this.options.outDir, instance.media[step.side].recordPath!)}`);
      case 'dtmf':
        await this.legOf(instance, step.side).sendDtmf(step.digits);
        return done(step.digits);
      case 'mute': {
        const target = this.legOf(instance, step.side);
        if (step.on) target.mute();
        else target.unmute();
        return done(step.on ? 'muted' : 'unmuted');
      }
      case 'hold': {
        const target = this.legOf(instance, step.side);
        if (step.on) target.hold();
        else target.unhold();
        return done(step.on ? 'on hold' : 'resumed');
      }
      case 'profile': {
        const target = this.legOf(instance, step.side);
        target.switchProfile(this.profiles.get(step.profile)!);
        return done(step.profile);
      }
      case 'iceRestart': {
        const target = this.legOf(instance, step.side);
        const answered = target.onIceRestartAnswered.next().then(() => true);
        const sentAt = performance.now();
        await target.restartIce();
        if (!(await within(answered, ICE_RESTART_TIMEOUT_MS, leg))) {
          throw new Error(leg.session.state === 'ended' ? 'the call ended during the ICE restart' : `the peer did not answer the ICE restart within ${ICE_RESTART_TIMEOUT_MS / 1000} s`);
        }
        return done(`answered after ${Math.round(performance.now() - sentAt)} ms`);
      }
      case 'hangup':
        this.legOf(instance, step.side).hangUp();
        await within(leg.ended.then(() => true), END_TIMEOUT_MS, undefined);
        return done();
    }
  }

  private record(instance: Instance, entry: Omit<StepRecord, 'atMs'> & { atMs?: number }): void {
    instance.steps.push({ ...entry, atMs: entry.atMs ?? Date.now() - instance.startedAt });
  }

  private legOf(instance: Instance, side: Side): Call {
    if (side === 'caller') return instance.leg!;
    if (instance.callee) return instance.callee;
    throw new Error('the callee has not answered');
  }

  /** The callee's leg of this call, once its propose or initiate has arrived. */
  private async arrival(instance: Instance): Promise<Call> {
    if (instance.callee) return instance.callee;
    if (!this.endpoints.has(instance.script.callee)) throw new Error(`the callee ${instance.script.callee} is not logged in here`);
    const arrived = new Promise<Call>((resolveArrival) => this.arrivals.set(instance.sid, resolveArrival));
    const call = await within(arrived, ARRIVAL_TIMEOUT_MS, instance.leg);
    this.arrivals.delete(instance.sid);
    if (!call) throw new Error(`the call did not reach ${instance.script.callee} within ${ARRIVAL_TIMEOUT_MS / 1000} s`);
    return call;
  }

  /** Every earshot callee rings for calls of this run and leaves answering to the script's steps. */
  private takeCalls(): void {
    const earshotJids = [...this.endpoints.values()].map((endpoint) => bareJid(endpoint.self));
    for (const [name, endpoint] of this.endpoints) {
      endpoint.autoAnswer({
        allow: earshotJids,
        mode: 'ring',
        media: { play: { path: '', samples: new Float32Array(0), sampleRate: 48000 } },
        mediaFor: (sid) => {
          const instance = this.instancesBySid.get(sid);
          return instance && instance.script.callee === name ? instance.media.callee : undefined;
        },
      });
      endpoint.onIncomingCall.subscribe((call) => {
        const instance = this.instancesBySid.get(call.id);
        if (!instance || instance.script.callee !== name) {
          call.reject('decline', 'not a call of this script');
          return;
        }
        instance.callee = call;
        this.arrivals.get(call.id)?.(call);
      });
    }
  }

  private async collectLegs(instance: Instance): Promise<void> {
    const legs = [instance.leg, instance.callee].filter((leg): leg is Call => leg !== undefined);
    for (const leg of legs) if (leg.session.state !== 'ended') leg.hangUp();
    const ended = await within(Promise.all(legs.map((leg) => leg.ended)), END_TIMEOUT_MS, undefined);
    if (!ended) instance.error ??= 'the call did not end within 10 s of hanging up';
    instance.legs = ended ?? [];
  }

  private async report(instance: Instance): Promise<CallReport | null> {
    const [callerLeg, calleeLeg] = instance.legs;
    if (!callerLeg) return null;
    const legs = [instance.leg, instance.callee].filter((leg): leg is Call => leg !== undefined);
    const report = calleeLeg ? reportBothEnds(callerLeg, calleeLeg) : reportOneEnd(callerLeg);
    try {
      return await scoreReport(report, legs, { visqol: this.options.visqol });
    } catch (error) {
      instance.error ??= `scoring failed: ${(error as Error).message}`;
      return report;
    }
  }

  private endpoint(account: string): Endpoint {
    const endpoint = this.endpoints.get(account);
    if (endpoint) return endpoint;
    throw new Error(`${account} is not logged in${this.loginErrors.has(account) ? `: ${this.loginErrors.get(account)}` : ''}`);
  }

  /** A lab or server account is called at its bare JID (JMI) or the full JID it is logged in with (direct). */
  private targetOf(script: CallScript): string {
    const login = this.options.logins[script.callee]!;
    if (login.kind === 'external') return login.jid;
    const callee = this.endpoint(script.callee);
    return script.via === 'jmi' ? bareJid(callee.self) : callee.self;
  }

  private accountJid(account: string): string {
    const login = this.options.logins[account];
    if (!login) return account;
    return login.kind === 'external' ? login.jid : login.account.jid;
  }

  private stanzaLogFor(account: string): (direction: 'in' | 'out', text: string) => void {
    const path = join(this.options.outDir, 'stanzas', `${safeName(account)}.log`);
    mkdirSync(join(this.options.outDir, 'stanzas'), { recursive: true });
    const stream = createWriteStream(path, { flags: 'w' });
    stream.on('error', (error) => log.warn(`stanza log ${path}: ${error.message}`));
    this.stanzaLogs.set(account, { path, stream });
    return (direction, text) => {
      stream.write(`${new Date().toISOString()} ${direction === 'in' ? 'RECV' : 'SEND'} ${text}\n`);
    };
  }
}

/** Resolves with the promise's value, or undefined after `ms` (or as soon as `leg` ends, when given). */
async function within<T>(promise: Promise<T>, ms: number, leg: Call | undefined): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(undefined), ms);
  });
  const ended = leg ? leg.ended.then(() => undefined) : new Promise<never>(() => undefined);
  try {
    return await Promise.race([promise, timeout, ended]);
  } finally {
    clearTimeout(timer);
  }
}

function describeStep(step: Step): string {
  switch (step.kind) {
    case 'wait':
      return `wait ${step.ms / 1000} s`;
    case 'dtmf':
      return `dtmf ${step.digits}`;
    case 'profile':
      return `profile ${step.profile}`;
    case 'hold':
    case 'mute':
      return `${step.on ? '' : 'un'}${step.kind}`;
    default:
      return step.kind;
  }
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** The report's file paths relative to the output folder, so a run folder can be moved and shared. */
function relativePaths(report: CallReport, outDir: string): CallReport {
  const rel = (path: string | null) => (path ? relative(outDir, path) : path);
  return {
    ...report,
    directions: report.directions.map((direction) => ({
      ...direction,
      reference: relative(outDir, direction.reference),
      recording: rel(direction.recording),
      packetLog: rel(direction.packetLog),
    })),
    impairment: report.impairment && { ...report.impairment, ...(report.impairment.fateLog ? { fateLog: relative(outDir, report.impairment.fateLog) } : {}) },
  };
}
