// One cell of the interop matrix: log both ends in, let the callee answer automatically, place a direct call,
// hold it with speech both ways for the cell's duration, hang up, and score what each end heard against what the
// other played. Bounded by a timeout; whatever goes wrong becomes the cell's reason, never an exception.
import { mkdir } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { Endpoint } from '../call/endpoint.js';
import type { Call, ReferenceAudio } from '../call/call.js';
import { scoreDirection, type ReceivedStream, type SentStream } from '../call/direction-scores.js';
import type { CallLegResult } from '../call/result.js';
import { WavWriter } from '../media/wav.js';
import { SANDBOXED, judgeCell, notRunCell, type CellMedia, type CellSpec, type DirectionScore, type InteropCell, type IpVersion, type PeerKind } from './matrix.js';
import type { InteropServer, InteropServers } from './servers.js';
import { StanzaJsPeer, type SelectedPair } from './stanzajs-peer.js';
import { bareJid } from '../xmpp/index.js';

/** A peer that is not earshot, as a cell drives it. StanzaJS is built in; Dino plugs in through CellContext.externalPeers. */
export interface ExternalPeer {
  /** Full JID to call. */
  readonly jid: string;
  /** How it reached the server, for the cell's notes. */
  readonly signalling: string;
  /** Whether its calls carry DTLS-SRTP (false for a plain-RTP peer such as Farstream without DTLS). */
  readonly encrypted: boolean;
  /** It is reached only at a non-loopback address (a client in its own network namespace): earshot offers all its host candidates. */
  readonly routableCandidates?: boolean;
  autoAnswer(allow: readonly string[]): void;
  /** Absent for a peer that only answers. Resolves once the callee accepted. */
  call?(target: string): Promise<void>;
  hangUp(): Promise<void>;
  /** Resolves with the end reason once the current call ended. */
  callEnded(timeoutMs: number): Promise<string>;
  selectedPair?(): Promise<SelectedPair | undefined>;
  /** Epoch ms of the first sample of its recording, and of its speech's start: they put its audio on earshot's time line. */
  recordingStartedAt?(): number | undefined;
  speechStartedAt?(): number | undefined;
  /** Logs out and releases everything; afterwards `recordPath` holds what it heard. Safe to call twice. */
  stop(): Promise<void>;
}

/** What a peer factory gets for one cell. */
export interface ExternalPeerStart {
  server: InteropServer;
  account: { jid: string; password: string };
  ip: IpVersion;
  /** Both ends relay through the server's TURN. */
  turn: boolean;
  /** What to play (its `path` is a WAV file of the samples), and where to leave a WAV of what was heard. */
  play: ReferenceAudio;
  recordPath: string;
}

export type ExternalPeerFactory = (start: ExternalPeerStart) => Promise<ExternalPeer>;

export interface CellContext {
  servers: InteropServers;
  /** Speech earshot plays. */
  reference: ReferenceAudio;
  /** Speech the other peers play (different from earshot's, so that hearing oneself does not pass): a WAV file. */
  peerReference: ReferenceAudio;
  durationMs: number;
  /** Recordings go here, one folder per cell. */
  workDir: string;
  /** Peers besides earshot and stanzajs, by kind (the hook for Dino). */
  externalPeers?: Partial<Record<PeerKind, ExternalPeerFactory>>;
  /** Bound on login, call setup and hang-up; default durationMs + 40 s. */
  timeoutMs?: number;
}

/** Which lab account each end uses: one per peer and role, so that no two ends of a call share an account. */
const ACCOUNTS: Record<PeerKind, { caller: string; callee: string }> = {
  earshot: { caller: 'alice', callee: 'bob' },
  stanzajs: { caller: 'carol', callee: 'dave' },
  dino: { caller: 'erin', callee: 'erin' },
  gajim: { caller: 'erin', callee: 'erin' },
};
const HANG_UP_WAIT_MS = 5_000;
/** How long a call to a desktop client that is not routable yet is tried again. */
const UNAVAILABLE_RETRY_MS = 10_000;
const STOP_WAIT_MS = 5_000;
/**
 * earshot's speech starts this long after it first hears the peer: libwebrtc's NetEq time-stretches its first
 * ~0.9 s while it reaches its start-up delay, which scored earshot -> StanzaJS 2.96 (first window 2.2) against
 * 4.36 once settled.
 */
const SPEECH_LEAD_IN_MS = 1000;
/**
 * earshot's ICE (werift 0.24) reaches its TURN server from a udp4 socket and asks for no IPv6 relayed address
 * (RFC 6156 REQUESTED-ADDRESS-FAMILY), so no relayed call of earshot's can go over IPv6; the lab's coturn
 * therefore listens on 127.0.0.1 only (src/lab/lab.ts).
 */
const TURN_IPV6_UNAVAILABLE =
  "no IPv6 relay: earshot's ICE (werift) talks to TURN over udp4 only and requests no IPv6 relayed address (RFC 6156), and the lab's coturn listens on 127.0.0.1 only";

export async function runCell(spec: CellSpec, context: CellContext): Promise<InteropCell> {
  const server = context.servers.get(spec.server);
  if (typeof server === 'string') return notRunCell(spec, server);
  if (spec.ip === 6 && !server.ipv6) return notRunCell(spec, `${spec.server} does not listen on ::1 in this run`);
  if (spec.turn && !server.turn) return notRunCell(spec, `${spec.server} announces no TURN server`);
  if (spec.turn && spec.ip === 6) return notRunCell(spec, TURN_IPV6_UNAVAILABLE);
  for (const kind of [spec.caller, spec.callee]) {
    if (kind !== 'earshot' && kind !== 'stanzajs' && !context.externalPeers?.[kind]) return notRunCell(spec, `no ${kind} peer is wired into this run`);
    if (SANDBOXED.has(kind) && (spec.turn || spec.ip === 6)) {
      return notRunCell(spec, `${kind} runs in a network namespace with one IPv4 link that reaches the XMPP server only (no ${spec.ip === 6 ? 'IPv6' : 'route to the TURN server'})`);
    }
  }
  const cell = new CellRun(spec, server, context);
  return cell.run();
}

/** One end of the call: earshot's leg, or an external peer. */
type End =
  | { kind: 'earshot'; endpoint: Endpoint; reference: ReferenceAudio; recordPath: string; signalling: string; relayCandidatesSent: number; call?: Call; leg?: CallLegResult }
  | { kind: 'external'; peerKind: PeerKind; peer: ExternalPeer; reference: ReferenceAudio; recordPath: string };

class CellRun {
  private readonly ends: { caller?: End; callee?: End } = {};
  private readonly dir: string;
  private readonly startedAt = performance.now();
  /** The pair the external end reported, read while the call was up. */
  private externalPair: SelectedPair | undefined;
  /** Epoch ms when the caller hung up: the end of what a recording that runs on (an external peer's) should hold. */
  private hungUpAt: number | undefined;

  constructor(
    private readonly spec: CellSpec,
    private readonly server: InteropServer,
    private readonly context: CellContext,
  ) {
    this.dir = join(context.workDir, `${spec.server}-${spec.turn ? 'turn' : 'noturn'}-ip${spec.ip}-${spec.caller}-to-${spec.callee}`);
  }

  async run(): Promise<InteropCell> {
    let failure: string | null = null;
    try {
      await withTimeout(this.call(), this.context.timeoutMs ?? this.context.durationMs + 40_000, 'the cell');
    } catch (error) {
      failure = (error as Error).message;
    }
    await this.stopEnds();
    let directions: DirectionScore[] = [];
    if (failure === null) {
      try {
        directions = await Promise.all([this.score('caller', 'callee'), this.score('callee', 'caller')]);
      } catch (error) {
        failure = `scoring failed: ${(error as Error).message}`;
      }
    }
    const media = this.describeMedia();
    failure ??= this.unmetVariant();
    return judgeCell(this.spec, { directions, media, failure, durationMs: Math.round(performance.now() - this.startedAt) });
  }

  private async call(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const [caller, callee] = await Promise.all([this.startEnd(this.spec.caller, 'caller'), this.startEnd(this.spec.callee, 'callee')]);
    const callerJid = endJid(caller);
    const calleeJid = endJid(callee);
    const answered = this.answer(callee, callerJid);
    await this.place(caller, calleeJid, callee.kind === 'external' ? callee.peer : undefined);
    await withTimeout(answered, 15_000, `${this.spec.callee} answering`);
    await new Promise((resolve) => setTimeout(resolve, this.context.durationMs));
    const dropped = await this.droppedLeg();
    if (dropped) throw new Error(`the call dropped during media: ${dropped}`);
    this.hungUpAt = performance.timeOrigin + performance.now();
    await this.hangUp(caller);
    await Promise.all([this.ended(caller), this.ended(callee)]);
  }

  private async startEnd(kind: PeerKind, role: 'caller' | 'callee'): Promise<End> {
    const username = ACCOUNTS[kind][role];
    const recordPath = join(this.dir, `${role}-${kind}-heard.wav`);
    const { ip, turn } = this.spec;
    if (kind === 'earshot') {
      const login = this.server.login(username, ip);
      const end: End & { kind: 'earshot' } = {
        kind: 'earshot',
        endpoint: undefined as unknown as Endpoint,
        reference: this.context.reference,
        recordPath,
        signalling: `c2s ${bracket(login.host!)}:${login.port}`,
        relayCandidatesSent: 0,
      };
      this.ends[role] = end;
      end.endpoint = await Endpoint.login(login, {
        // Without TURN no STUN/TURN either: loopback host candidates only.
        useExternalServices: turn,
        stanzaLog: (direction, text) => {
          if (direction === 'out' && text.includes('<candidate')) end.relayCandidatesSent += (text.match(/type=["']relay["']/g) ?? []).length;
        },
      });
      return end;
    }
    const account = this.server.accounts.find((candidate) => candidate.username === username);
    if (!account) throw new Error(`${this.spec.server} has no account ${username}`);
    const start: ExternalPeerStart = { server: this.server, account: { jid: account.jid, password: account.password }, ip, turn, play: this.context.peerReference, recordPath };
    const factory = kind === 'stanzajs' ? startStanzaJs : this.context.externalPeers?.[kind];
    if (!factory) throw new Error(`no ${kind} peer is wired into this run`);
    const peer = await factory(start);
    const end: End = { kind: 'external', peerKind: kind, peer, reference: this.context.peerReference, recordPath };
    this.ends[role] = end;
    return end;
  }

  /** Resolves once the callee has taken the call (earshot: its leg connected). */
  private answer(callee: End, callerJid: string): Promise<void> {
    const allow = [bareJid(callerJid)];
    if (callee.kind === 'external') {
      callee.peer.autoAnswer(allow);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const unsubscribe = callee.endpoint.onIncomingCall.subscribe((call) => {
        unsubscribe();
        callee.call = call;
        void call.ended.then((leg) => (callee.leg = leg));
        void Promise.race([call.onConnected.next().then(() => undefined), call.ended]).then((ended) =>
          ended ? reject(new Error(`${this.spec.callee} (earshot) leg ended before media: ${endText(ended)}`)) : resolve(),
        );
      });
      callee.endpoint.autoAnswer({
        allow,
        media: { play: callee.reference, recordPath: callee.recordPath, forceRelay: this.spec.turn, ipv6: this.earshotIpv6(), speechLeadInMs: SPEECH_LEAD_IN_MS },
      });
    });
  }

  /** `callee` when it is not earshot: its needs decide the candidates earshot offers and whether DTLS-SRTP is kept. */
  private async place(caller: End, calleeJid: string, callee: ExternalPeer | undefined): Promise<void> {
    if (caller.kind === 'external') {
      if (!caller.peer.call) throw new Error(`${caller.peerKind} cannot place calls`);
      await caller.peer.call(calleeJid);
      return;
    }
    // A desktop client reports itself started a moment before the server routes to its resource: until then
    // the session-initiate bounces with service-unavailable, and is tried again.
    const deadline = performance.now() + UNAVAILABLE_RETRY_MS;
    for (;;) {
      const call = await caller.endpoint.call(calleeJid, {
        play: caller.reference,
        recordPath: caller.recordPath,
        jmi: false,
        ringTimeoutMs: 15_000,
        loopbackOnly: callee?.routableCandidates !== true,
        insecureRtp: callee?.encrypted === false,
        forceRelay: this.spec.turn,
        ipv6: this.earshotIpv6(),
        speechLeadInMs: SPEECH_LEAD_IN_MS,
      });
      caller.call = call;
      void call.ended.then((leg) => (caller.leg = leg));
      const ended = await Promise.race([call.onConnected.next().then(() => undefined), call.ended]);
      if (!ended) return;
      const bounced = ended.end.by === 'local' && /service-unavailable/.test(ended.end.text ?? '') && ended.setupMs === undefined;
      if (!callee || !bounced || performance.now() > deadline) throw new Error(`earshot's call ended before media: ${endText(ended)}`);
      caller.leg = undefined;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }


  /** What ended an earshot leg early; undefined while both ends are in the call (the selected pair is read then). */
  private async droppedLeg(): Promise<string | undefined> {
    for (const end of [this.ends.caller, this.ends.callee]) {
      if (end?.kind === 'earshot' && end.leg) return `earshot ${endText(end.leg)}`;
    }
    this.externalPair = await this.externalEnds()[0]?.peer.selectedPair?.();
    return undefined;
  }

  private async hangUp(end: End): Promise<void> {
    if (end.kind === 'external') await end.peer.hangUp();
    else end.call?.hangUp();
  }

  private async ended(end: End): Promise<void> {
    if (end.kind === 'external') await end.peer.callEnded(HANG_UP_WAIT_MS);
    else if (end.call) end.leg = await withTimeout(end.call.ended, HANG_UP_WAIT_MS, 'earshot ending its leg');
  }

  private async stopEnds(): Promise<void> {
    const stopping = [this.ends.caller, this.ends.callee].map((end) => {
      if (!end) return Promise.resolve();
      if (end.kind === 'external') return end.peer.stop();
      return end.endpoint ? end.endpoint.close() : Promise.resolve();
    });
    await withTimeout(Promise.allSettled(stopping), STOP_WAIT_MS, 'stopping the peers').catch(() => undefined);
  }

  /** What `to` heard against what `from` played: the sender's log where earshot sent it, else its reference. */
  private async score(fromRole: 'caller' | 'callee', toRole: 'caller' | 'callee'): Promise<DirectionScore> {
    const from = this.ends[fromRole]!;
    const to = this.ends[toRole]!;
    const direction = { from: kindOf(from), to: kindOf(to) };
    const sent: SentStream = (from.kind === 'earshot' && from.call?.streams().sent) || {
      reference: from.reference,
      log: [],
      speechFrames: 0,
      ...(from.kind === 'external' ? { startedAt: from.peer.speechStartedAt?.() } : {}),
    };
    const codec = this.codec() ?? { name: 'opus', clockRate: 48_000 };
    const received: ReceivedStream | undefined =
      to.kind === 'earshot'
        ? to.call?.streams().received
        : { recordingPath: to.recordPath, recordingStartedAt: to.peer.recordingStartedAt?.(), stoppedAt: this.hungUpAt, log: [], codec };
    if (!received) return { ...direction, mosLqo: null, stoi: null, problem: `${direction.to} received no media` };
    const scores = await scoreDirection(sent, received, { visqol: false });
    return 'mosLqo' in scores.quality
      ? { ...direction, mosLqo: scores.quality.mosLqo, stoi: scores.quality.stoi, problem: null }
      : { ...direction, mosLqo: null, stoi: null, problem: `${scores.quality.verdict}: ${scores.quality.reason}` };
  }

  private codec(): { name: string; clockRate: number } | undefined {
    for (const end of [this.ends.caller, this.ends.callee]) {
      if (end?.kind === 'earshot' && end.leg?.codec) return { name: end.leg.codec.name, clockRate: end.leg.codec.clockRate };
    }
    return undefined;
  }

  /** In an IPv6 cell earshot uses IPv6 candidates alone, so that a call that connects carries its media over IPv6. */
  private earshotIpv6(): 'only' | undefined {
    return this.spec.ip === 6 ? 'only' : undefined;
  }

  /** Each end's selected candidate pair that is known: the external end's as it reported it, the caller's earshot leg's own. */
  private selectedPairs(): Array<{ by: PeerKind; pair: SelectedPair }> {
    const pairs: Array<{ by: PeerKind; pair: SelectedPair }> = [];
    const external = this.externalEnds()[0];
    if (external && this.externalPair) pairs.push({ by: external.peerKind, pair: this.externalPair });
    // Both earshot legs of an earshot <-> earshot call see the same pair from either side: the caller's is enough.
    const earshot = [this.ends.caller, this.ends.callee].find((end): end is End & { kind: 'earshot' } => end?.kind === 'earshot');
    const own = earshot?.call?.selectedPair();
    if (own) pairs.push({ by: 'earshot', pair: own });
    return pairs;
  }

  private externalEnds(): Array<End & { kind: 'external' }> {
    return [this.ends.caller, this.ends.callee].filter((end): end is End & { kind: 'external' } => end?.kind === 'external');
  }

  private describeMedia(): CellMedia {
    const ends = [this.ends.caller, this.ends.callee].filter((end): end is End => end !== undefined);
    const notes: string[] = [];
    const earshotEnds = ends.filter((end): end is End & { kind: 'earshot' } => end.kind === 'earshot');
    if (this.spec.turn) {
      for (const end of earshotEnds) {
        notes.push(`earshot: relay only (forceRelay), TURN from XEP-0215, ${end.relayCandidatesSent} relay candidate(s) sent`);
      }
      for (const end of this.externalEnds()) if (end.peerKind === 'stanzajs') notes.push('stanzajs: relay only (iceTransportPolicy relay), TURN from XEP-0215');
    }
    if (this.spec.ip === 6 && earshotEnds.length > 0) notes.push('earshot: XMPP over ::1, media candidates ::1 only (ipv6 only)');
    const pairs = this.selectedPairs();
    const codec = this.codec();
    return {
      signalling: ends.map((end) => `${kindOf(end)}: ${end.kind === 'earshot' ? end.signalling : end.peer.signalling}`),
      selectedPair: pairs.length ? pairs.map(({ by, pair }) => describePair(by, pair)).join('; ') : null,
      encrypted: ends.length === 2 && (codec !== undefined || pairs.length > 0) ? ends.every((end) => end.kind === 'earshot' || end.peer.encrypted) : null,
      codec: codec ? `${codec.name}/${codec.clockRate}` : null,
      notes,
    };
  }

  /**
   * A call that worked but not in the cell's variant fails it: in an IPv6 cell, a selected pair with an IPv4 end
   * (or no pair known at all); in a TURN cell, a selected pair without a relay.
   */
  private unmetVariant(): string | null {
    const pairs = this.selectedPairs();
    if (this.spec.ip === 6) {
      if (pairs.length === 0) return 'media not shown to be over IPv6: no end reported its selected candidate pair';
      const ipv4 = pairs.find(({ pair }) => !isIpv6Address(pair.local.address) || !isIpv6Address(pair.remote.address));
      if (ipv4) return `media not over IPv6: ${describePair(ipv4.by, ipv4.pair)}`;
    }
    if (this.spec.turn) {
      const direct = pairs.find(({ pair }) => pair.local.type !== 'relay' && pair.remote.type !== 'relay');
      if (direct) return `no relay in the selected pair: ${describePair(direct.by, direct.pair)}`;
    }
    return null;
  }
}

async function startStanzaJs(start: ExternalPeerStart): Promise<ExternalPeer> {
  const websocketUrl = start.server.websocketUrl(start.ip);
  const peer = await StanzaJsPeer.start({
    websocketUrl,
    jid: `${start.account.jid}/interop-${Math.random().toString(36).slice(2, 8)}`,
    password: start.account.password,
    play: start.play,
    recordPath: start.recordPath,
    discoverIceServers: start.turn,
    relayOnly: start.turn,
  });
  return {
    jid: peer.jid,
    signalling: websocketUrl.replace(/\/xmpp-websocket.*$|\/ws.*$/, ''),
    encrypted: true,
    autoAnswer: (allow) => peer.autoAnswer(allow),
    call: (target) => peer.call(target),
    hangUp: () => peer.hangUp(),
    callEnded: (timeoutMs) => peer.callEnded(timeoutMs),
    selectedPair: () => peer.selectedPair(),
    recordingStartedAt: () => peer.recordingStartedAt,
    speechStartedAt: () => peer.speechStartedAt,
    stop: () => peer.stop(),
  };
}

/** Writes `reference` to a WAV file in `dir`, so that a peer that plays files can play it; returns it with that path. */
export function referenceFile(reference: ReferenceAudio, path: string): ReferenceAudio {
  const writer = new WavWriter(path, reference.sampleRate);
  writer.write(reference.samples);
  writer.close();
  return { ...reference, path };
}

/** Earshot's speech backwards: speech-like, the same level and spectrum, yet unrelated to it. */
export function reversedReference(reference: ReferenceAudio, path: string): ReferenceAudio {
  return referenceFile({ ...reference, samples: reference.samples.slice().reverse() }, path);
}

function describePair(by: PeerKind, pair: SelectedPair): string {
  return `${by} ${pair.local.type} ${pair.local.address} <-> ${pair.remote.type} ${pair.remote.address}`;
}

/** An IPv6 address, IPv4-mapped ones (::ffff:a.b.c.d, IPv4 on the wire) excepted. */
function isIpv6Address(address: string): boolean {
  return isIPv6(address) && !/^::ffff:\d/i.test(address);
}

function endJid(end: End): string {
  return end.kind === 'earshot' ? end.endpoint.self : end.peer.jid;
}

function kindOf(end: End): PeerKind {
  return end.kind === 'earshot' ? 'earshot' : end.peerKind;
}

function endText(leg: CallLegResult): string {
  return `${leg.end.condition}${leg.end.text ? ` (${leg.end.text})` : ''} by ${leg.end.by}`;
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
