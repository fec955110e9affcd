/**
 * What RtpTransport (ICE + DTLS-SRTP) and PlainRtpTransport (ICE + plain RTP) share, as the one base each extends:
 * options and their defaults, the transport's state with its connect timeout and close deadline, remote candidates
 * that wait for the remote description, and every packet's way between earshot and the wire: through the impairment
 * gate, into the capture, counted for RTCP (RtcpSession). A subclass says how its packets reach the wire (outlets)
 * and how ICE gets its candidates. Loading it also keeps werift's long sleeps from holding the process open.
 */
import { randomBytes } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import timersPromises from 'node:timers/promises';
import type { RtcpPacket } from 'werift';
import { Event, type Logger } from '../util/index.js';
import {
  RtpTransportError,
  type IceCredentials,
  type IceServerConfig,
  type MediaEncryption,
  type MediaTransport,
  type PacketGate,
  type RtpTransportState,
  type RtpTransportStats,
  type SdpCodec,
  type SelectedCandidatePair,
} from './media-transport.js';
import type { PacketCapture } from './packet-capture.js';
import { serializeRtp, type RtpPacketFields } from './rtp-packet.js';
import type { RtcpReport } from './rtcp-state.js';
import { RtcpSession, serializeCompound } from './rtcp-session.js';
import {
  checkCodec,
  checkPacket,
  epochMicroseconds,
  isTelephoneEvent,
  isUint32,
  pairEndpoints,
  parseCandidate,
  selectedCandidatePair,
  usableCandidate,
  type CandidatePairEnds,
  type Ipv6Policy,
  type ParsedCandidate,
} from './transport-common.js';

export interface IceRtpTransportOptions {
  /** From XEP-0215. Default []: no STUN or TURN server, and never a public one. */
  iceServers?: IceServerConfig[];
  /**
   * Default true: only 127.0.0.1 (and ::1 with `ipv6`) host candidates, plus relay candidates,
   * are gathered, emitted, accepted from the peer and paired; sockets bind to loopback only.
   */
  loopbackOnly?: boolean;
  /**
   * Default false: IPv4 candidates only. true: IPv6 host candidates too. 'only': IPv6 candidates alone, gathered,
   * emitted, accepted and paired, so that media goes over IPv6 or not at all (a relay must then be IPv6 too).
   */
  ipv6?: Ipv6Policy;
  /** What we offer, or accept, in order of preference. */
  codecs: SdpCodec[];
  /** The SSRC announced in SDP and used in RTCP; sendRtp requires packets to carry it. Default random. */
  ssrc?: number;
  /** Mean RTCP report interval, randomized by 0.5-1.5x (RFC 3550 6.3.1). Default 1000 ms. */
  rtcpIntervalMs?: number;
  /** Impairs (delays, drops, reorders) media packets in both directions; default none. */
  gate?: PacketGate;
  /** onFailed fires when media has not connected this long after the remote description. Default 10000 ms. */
  connectTimeoutMs?: number;
  /**
   * Keeps every RTP and RTCP packet sent and received, decrypted, for a pcap; default none. Sent packets are
   * taken as earshot produced them, before the gate; received ones as they reached earshot, after the gate.
   */
  capture?: PacketCapture;
}

type ResolvedOptions = Required<Omit<IceRtpTransportOptions, 'ssrc' | 'gate' | 'capture'>> & Pick<IceRtpTransportOptions, 'gate' | 'capture'>;

/** How RTP reaches the wire: the size a packet has there (what the gate is told) and the write. */
export interface RtpOutlet {
  wireBytes(packet: RtpPacketFields, serialized: Uint8Array): number;
  write(packet: RtpPacketFields, serialized: Uint8Array): void;
}

/** How our RTCP reports reach the wire. */
export interface RtcpOutlet {
  /** The SDES CNAME the reports carry. */
  cname: string;
  /** The size of a report on the wire; default its serialized size. */
  wireBytes?: number;
  write(compound: RtcpPacket[], serialized: Buffer): void;
}

unrefWeriftLongSleeps();

const DEFAULT_RTCP_INTERVAL_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2000;

export abstract class IceRtpTransport implements MediaTransport {
  abstract readonly encryption: MediaEncryption;
  /** A local candidate ('candidate:...') and the mid of its m-line; emitted after the SDP holding it was returned. */
  readonly onLocalCandidate = new Event<[string, string]>();
  readonly onGatheringComplete = new Event<[]>();
  readonly onConnected = new Event<[]>();
  /** At most once; the transport stops sending and should be closed. */
  readonly onFailed = new Event<[RtpTransportError]>();
  /** Incoming RTP (decrypted where it was encrypted) and its arrival time (performance.now() ms). */
  readonly onRtp = new Event<[RtpPacketFields, number]>();
  /** Incoming SR/RR and arrival time (performance.now() ms). */
  readonly onRtcp = new Event<[RtcpReport, number]>();
  readonly localSsrc: number;

  protected readonly options: ResolvedOptions;
  private readonly rtcp: RtcpSession;
  protected currentState: RtpTransportState = 'new';
  /** The a=mid of our audio m-line, once the local description exists. */
  protected localMid?: string;
  /** The answer's codecs, in its order. */
  protected negotiated: readonly SdpCodec[] = [];
  /** Pending emission of local candidates, after the SDP holding them was returned. */
  protected candidateFlush?: NodeJS.Immediate;
  private negotiationStartedAt?: number;
  private connectMs?: number;
  private connectTimer?: NodeJS.Timeout;
  private lastPair?: SelectedCandidatePair;
  private readonly pendingRemoteCandidates: Array<{ candidate: ParsedCandidate; mid: string }> = [];
  private readonly appliedRemoteCandidates = new Set<string>();
  private remoteDescriptionApplied = false;
  private closing?: Promise<void>;
  private markClosed!: () => void;
  private readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  /** `className` names the transport in errors; `log` is the subclass's. */
  constructor(
    private readonly className: string,
    private readonly log: Logger,
    options: IceRtpTransportOptions,
  ) {
    if (!options.codecs?.length) throw new Error(`${className} needs at least one codec`);
    for (const codec of options.codecs) checkCodec(codec);
    if (options.ssrc !== undefined && !isUint32(options.ssrc)) throw new RangeError(`ssrc must be a 32-bit unsigned integer, got ${options.ssrc}`);
    this.options = {
      iceServers: options.iceServers ?? [],
      loopbackOnly: options.loopbackOnly ?? true,
      ipv6: options.ipv6 ?? false,
      codecs: options.codecs.map((codec) => ({ ...codec })),
      rtcpIntervalMs: options.rtcpIntervalMs ?? DEFAULT_RTCP_INTERVAL_MS,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      gate: options.gate,
      capture: options.capture,
    };
    this.localSsrc = options.ssrc ?? randomBytes(4).readUInt32BE(0);
    this.rtcp = new RtcpSession(this.localSsrc, this.options.rtcpIntervalMs, (payloadType) => this.timingClockRate(payloadType));
  }

  get state(): RtpTransportState {
    return this.currentState;
  }

  /** The a=mid of our audio m-line (a Jingle content name), once the local description exists. */
  get mid(): string | undefined {
    return this.localMid;
  }

  /** The payload types of the answer, in its order (the first audio one is what media should use). */
  get negotiatedCodecs(): readonly SdpCodec[] {
    return this.negotiated;
  }

  /** The answer's first payload type that is not telephone-event. */
  get negotiatedPayloadType(): number | undefined {
    return this.negotiated.find((codec) => !isTelephoneEvent(codec))?.payloadType;
  }

  abstract createOffer(): Promise<string>;
  abstract acceptOffer(remoteSdp: string): Promise<string>;
  abstract acceptAnswer(remoteSdp: string): Promise<void>;
  abstract startIceRestart(): Promise<IceCredentials>;
  abstract completeIceRestart(remote: IceCredentials): Promise<void>;
  abstract restartIce(remote: IceCredentials): Promise<IceCredentials>;

  /**
   * A trickled remote candidate ('candidate:...' or 'a=candidate:...') for the m-line `mid`. Candidates this
   * transport would not use are ignored; those arriving before the remote description are kept until then.
   */
  async addRemoteCandidate(candidateSdp: string, mid: string): Promise<void> {
    const candidate = parseCandidate(candidateSdp);
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    if (!this.acceptsRemoteCandidate(candidate)) {
      this.log.debug(`ignoring remote candidate ${candidate.text} (mid ${mid})`);
      return;
    }
    if (!this.remoteDescriptionApplied) {
      this.pendingRemoteCandidates.push({ candidate, mid });
      return;
    }
    await this.applyRemoteCandidate(candidate, mid);
  }

  /**
   * Sends one packet with its header unchanged (SRTP-protected where the transport encrypts). Throws before
   * onConnected or for a packet whose SSRC is not `localSsrc`; after close() or a failure packets are dropped.
   */
  sendRtp(packet: RtpPacketFields): void {
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    const outlet = this.rtpOutlet();
    if (this.currentState !== 'connected' || !outlet) throw new Error(`sendRtp before the transport is connected (state ${this.currentState})`);
    if (packet.ssrc !== this.localSsrc) {
      throw new Error(`packet SSRC ${packet.ssrc} is not this transport's SSRC ${this.localSsrc} (announced in SDP)`);
    }
    checkPacket(packet);
    const serialized = serializeRtp(packet);
    // Captured before the gate: what earshot sent is what its sender produced, sequence numbers without gaps.
    // What the impaired network then lost or delayed is seen where the packets arrive.
    this.options.capture?.add('sent', 'rtp', serialized, epochMicroseconds(performance.now()));
    this.passOut('rtp', outlet.wireBytes(packet, serialized), () => outlet.write(packet, serialized));
    this.rtcp.sent(packet);
  }

  stats(): RtpTransportStats {
    return { ...this.rtcp.stats(), connectMs: this.connectMs };
  }

  /** The candidate pair ICE selected: the live one while connected, afterwards the last one; undefined before. */
  selectedPair(): SelectedCandidatePair | undefined {
    const live = this.currentState === 'connected' ? this.nominatedPair() : undefined;
    if (live) this.lastPair = selectedCandidatePair(live);
    return this.lastPair;
  }

  /** Idempotent; resolves within about two seconds whatever werift does; closes every socket and leaves no timer behind. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /** Where RTP goes out, once the transport has one. */
  protected abstract rtpOutlet(): RtpOutlet | undefined;
  /** Where our RTCP goes out, while it can. */
  protected abstract rtcpOutlet(): RtcpOutlet | undefined;
  /** Whether a remote candidate is one this transport would pair. */
  protected abstract acceptsRemoteCandidate(candidate: ParsedCandidate): boolean;
  /** Hands a remote candidate, accepted and seen for the first time, to ICE. */
  protected abstract useRemoteCandidate(candidate: ParsedCandidate, mid: string): Promise<void>;
  /** The pair werift's ICE has nominated (for RTP), if any. */
  protected abstract nominatedPair(): CandidatePairEnds | undefined;
  /** Closes werift's part; close() gives up on it after two seconds. */
  protected abstract closeWire(): Promise<void>;

  protected beginNegotiation(method: string): void {
    if (this.currentState !== 'new') throw new Error(`${method} on a transport in state ${this.currentState}; use a new ${this.className} per call leg`);
    this.currentState = 'negotiating';
    this.negotiationStartedAt = performance.now();
  }

  /** werift never settles a description call made after it was closed: negotiation ends with close(). */
  protected whileOpen<T>(work: () => Promise<T>): Promise<T> {
    const closedFirst = this.closed.then((): never => {
      throw new Error('transport closed during negotiation');
    });
    return Promise.race([work(), closedFirst]);
  }

  /** The remote description is in place: the candidates it holds (if ICE needs them given) are used, then those that waited for it. */
  protected async remoteCandidatesReady(fromDescription?: { candidates: readonly ParsedCandidate[]; mid: string }): Promise<void> {
    this.remoteDescriptionApplied = true;
    const described = fromDescription ? fromDescription.candidates.map((candidate) => ({ candidate, mid: fromDescription.mid })) : [];
    const candidates = [...described, ...this.pendingRemoteCandidates.splice(0)];
    for (const { candidate, mid } of candidates) {
      if (this.acceptsRemoteCandidate(candidate)) await this.applyRemoteCandidate(candidate, mid);
    }
  }

  /**
   * An ICE restart began: remote candidates wait again for the remote description (with the new credentials), and
   * those of the new generation are used even where their text repeats the old generation's.
   */
  protected forgetRemoteGeneration(): void {
    this.remoteDescriptionApplied = false;
    this.appliedRemoteCandidates.clear();
  }

  /** Starts the connect timeout, which fails the transport with `timeoutMessage`. */
  protected startConnecting(timeoutMessage: string): void {
    if (this.currentState !== 'negotiating') return;
    this.currentState = 'connecting';
    this.connectTimer = setTimeout(() => {
      this.fail(new RtpTransportError('connect-timeout', timeoutMessage));
    }, this.options.connectTimeoutMs);
  }

  /** Media is connected over `selectedPair`, whose addresses become the capture's (so that its ports are the real ones). */
  protected connected(selectedPair: CandidatePairEnds | undefined): void {
    if (this.currentState !== 'connecting' && this.currentState !== 'negotiating') return;
    this.currentState = 'connected';
    clearTimeout(this.connectTimer);
    if (this.negotiationStartedAt !== undefined) this.connectMs = performance.now() - this.negotiationStartedAt;
    if (selectedPair) this.lastPair = selectedCandidatePair(selectedPair);
    if (this.options.capture) {
      if (selectedPair) this.options.capture.setEndpoints(pairEndpoints(selectedPair));
      else this.log.debug('no selected candidate pair: the capture keeps placeholder addresses');
    }
    this.rtcp.start(() => this.sendRtcpReport());
    this.onConnected.emit();
  }

  protected fail(error: RtpTransportError): void {
    if (this.currentState === 'failed' || this.currentState === 'closed') return;
    this.currentState = 'failed';
    clearTimeout(this.connectTimer);
    this.rtcp.stop();
    this.log.info(`failed: ${error.message}`);
    this.onFailed.emit(error);
  }

  /** An RTP packet off the wire, `sizeBytes` there: through the gate, then captured, counted and handed on. */
  protected receiveRtp(packet: RtpPacketFields, sizeBytes: number, serialized: () => Uint8Array): void {
    this.passIn('rtp', sizeBytes, () => {
      const arrival = performance.now();
      // Captured after the gate, as it reaches the jitter buffer: what earshot received, losses and delays included.
      this.options.capture?.add('received', 'rtp', serialized(), epochMicroseconds(arrival));
      this.rtcp.received(packet, arrival);
      this.onRtp.emit(packet, arrival);
    });
  }

  /** A compound RTCP packet off the wire, `sizeBytes` there: through the gate whole, then captured and read. */
  protected receiveRtcp(compound: RtcpPacket[], sizeBytes: number, serialized = serializeCompound(compound)): void {
    this.passIn('rtcp', sizeBytes, () => {
      const arrival = performance.now();
      this.options.capture?.add('received', 'rtcp', serialized, epochMicroseconds(arrival));
      for (const report of this.rtcp.reports(compound, arrival)) this.onRtcp.emit(report, arrival);
    });
  }

  protected usable(candidate: { transport: string; address: string; type: string }): boolean {
    return usableCandidate(candidate, this.options);
  }

  protected isClosed(): boolean {
    return this.currentState === 'closed';
  }

  private async applyRemoteCandidate(candidate: ParsedCandidate, mid: string): Promise<void> {
    if (this.appliedRemoteCandidates.has(candidate.text)) return;
    this.appliedRemoteCandidates.add(candidate.text);
    await this.useRemoteCandidate(candidate, mid);
  }

  private sendRtcpReport(): void {
    const outlet = this.rtcpOutlet();
    if (!outlet) return;
    const compound = this.rtcp.compound(outlet.cname);
    const serialized = serializeCompound(compound);
    // Before the gate, as for RTP (sendRtp).
    this.options.capture?.add('sent', 'rtcp', serialized, epochMicroseconds(performance.now()));
    this.passOut('rtcp', outlet.wireBytes ?? serialized.length, () => outlet.write(compound, serialized));
  }

  private passOut(kind: 'rtp' | 'rtcp', sizeBytes: number, send: () => void): void {
    const gate = this.options.gate;
    if (!gate) return send();
    gate.outbound(kind, sizeBytes, () => {
      if (this.currentState === 'connected') send();
    });
  }

  private passIn(kind: 'rtp' | 'rtcp', sizeBytes: number, deliver: () => void): void {
    const gate = this.options.gate;
    if (!gate) return deliver();
    gate.inbound(kind, sizeBytes, () => {
      if (!this.isClosed()) deliver();
    });
  }

  private timingClockRate(payloadType: number): number | undefined {
    const codec = this.negotiated.find((c) => c.payloadType === payloadType) ?? this.options.codecs.find((c) => c.payloadType === payloadType);
    return codec && !isTelephoneEvent(codec) ? codec.clockRate : undefined;
  }

  private async shutDown(): Promise<void> {
    this.currentState = 'closed';
    this.markClosed();
    clearTimeout(this.connectTimer);
    this.rtcp.stop();
    if (this.candidateFlush) clearImmediate(this.candidateFlush);
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      deadline = setTimeout(() => {
        this.log.warn(`werift did not close within ${CLOSE_TIMEOUT_MS / 1000} s; giving up on it`);
        resolve();
      }, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([this.closeWire().catch((error: unknown) => this.log.debug(`close: ${String(error)}`)), timedOut]);
    clearTimeout(deadline);
  }
}

/**
 * werift's TURN client refreshes its allocation in a loop that sleeps 5/6 of the allocation
 * lifetime (500 s with coturn's default) on a timer nothing can cancel: closing stops the loop
 * but not the sleep, which would keep the process alive for minutes after close(). werift's long
 * sleeps (30 s or more; the TURN refresh is the only one in 0.24.4) are therefore made not to hold
 * the process open: while a call lives, its sockets do. Other callers of timers/promises are untouched.
 */
function unrefWeriftLongSleeps(): void {
  type Sleep = (delay?: number, value?: unknown, options?: { ref?: boolean; signal?: AbortSignal }) => Promise<unknown>;
  const original = timersPromises.setTimeout as Sleep;
  const sleep: Sleep = (delay, value, options) =>
    typeof delay === 'number' && delay >= 30_000 && new Error().stack?.includes('/werift/')
      ? original(delay, value, { ...options, ref: false })
      : original(delay, value, options);
  (timersPromises as { setTimeout: Sleep }).setTimeout = sleep;
  syncBuiltinESMExports(); // werift's `import { setTimeout } from "timers/promises"` bindings follow
}
