/**
 * One audio call leg over ICE with plain RTP (RTP/AVP, RFC 3550/3551): no DTLS, no SRTP, so anyone on the path
 * can hear and forge the media. It exists for peers without DTLS-SRTP, such as Gajim 1.7 (Farstream), and the
 * call layer uses it only when the user allowed insecure RTP explicitly.
 *
 * ICE comes from werift's agent (`Connection`, RFC 8445 via aioice), which runs a single component and numbers
 * its candidates 1. RTP and RTCP therefore get one agent each, as Farstream does without rtcp-mux: component 1
 * carries RTP, component 2 RTCP. The second agent takes the first one's ufrag and password (one pair per m-line),
 * and its candidates are renumbered 2 at the SDP boundary. When the peer offers rtcp-mux we answer with it and
 * run component 1 only. Incoming packets on component 1 are told apart by RFC 5761 section 4 either way.
 * RTP is connected once component 1 is; a component 2 that never connects only costs the RTCP reports.
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  Candidate,
  Connection,
  RtcpPacketConverter,
  RtcpSourceDescriptionPacket,
  SourceDescriptionChunk,
  SourceDescriptionItem,
  parseIceServers,
  type CandidatePair,
  type RtcpPacket,
} from 'werift';
import { Event, logger } from '../util/index.js';
import {
  RtpTransportError,
  type IceServerConfig,
  type MediaTransport,
  type PacketGate,
  type RtpTransportState,
  type RtpTransportStats,
  type SdpCodec,
} from './media-transport.js';
import type { PacketCapture } from './packet-capture.js';
import { parseRtp, serializeRtp, type RtpPacketFields } from './rtp-packet.js';
import { RtcpState, type RtcpReport } from './rtcp-state.js';
import { fromWeriftRtcp, toWeriftRtcp } from './rtp-transport.js';
import {
  checkCodec,
  checkPacket,
  epochMicroseconds,
  isLoopback,
  isTelephoneEvent,
  isUint32,
  parseCandidate,
  parseSdpSummary,
  pcapIpv4,
  usableCandidate,
  wallClockMs,
  type ParsedCandidate,
  type SdpSummary,
} from './transport-common.js';

const log = logger('media/plain-rtp-transport');

export interface PlainRtpTransportOptions {
  /** From XEP-0215; the first STUN and the first TURN entry are used. Default []: never a public server. */
  iceServers?: IceServerConfig[];
  /** Default true: only 127.0.0.1 (and ::1 with `ipv6`) host candidates, plus relays, gathered, accepted and paired. */
  loopbackOnly?: boolean;
  /** Default false: gather IPv6 host candidates too. */
  ipv6?: boolean;
  /** What we offer, or accept, in order of preference. */
  codecs: SdpCodec[];
  /** The SSRC announced in SDP and used in RTCP; sendRtp requires packets to carry it. Default random. */
  ssrc?: number;
  /** Mean RTCP report interval, randomized by 0.5-1.5x (RFC 3550 6.3.1). Default 1000 ms. */
  rtcpIntervalMs?: number;
  /** Impairs (delays, drops, reorders) media packets in both directions; default none. */
  gate?: PacketGate;
  /** onFailed fires when RTP's ICE component has not connected this long after the remote description. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** Keeps every RTP and RTCP packet sent (before the gate) and received (after it), for a pcap; default none. */
  capture?: PacketCapture;
}

/** One ICE component: its own werift agent (and sockets). */
interface IceComponent {
  id: 1 | 2;
  agent: Connection;
  connected: boolean;
}

const DEFAULT_RTCP_INTERVAL_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2000;
const PLAIN_PROFILES = new Set(['RTP/AVP', 'RTP/AVPF']);

export class PlainRtpTransport implements MediaTransport {
  readonly encryption = 'none';
  /** A local candidate ('candidate:...', component 1 or 2) and the mid of its m-line; emitted after the SDP holding it was returned. */
  readonly onLocalCandidate = new Event<[string, string]>();
  readonly onGatheringComplete = new Event<[]>();
  /** When RTP's component (1) has connected. */
  readonly onConnected = new Event<[]>();
  /** At most once; the transport stops sending and should be closed. */
  readonly onFailed = new Event<[RtpTransportError]>();
  /** Incoming RTP and its arrival time (performance.now() ms). */
  readonly onRtp = new Event<[RtpPacketFields, number]>();
  /** Incoming SR/RR and arrival time (performance.now() ms). */
  readonly onRtcp = new Event<[RtcpReport, number]>();
  readonly localSsrc: number;

  private readonly options: Required<Omit<PlainRtpTransportOptions, 'ssrc' | 'gate' | 'capture'>> & Pick<PlainRtpTransportOptions, 'gate' | 'capture'>;
  private readonly rtcp: RtcpState;
  private readonly cname = randomBytes(9).toString('base64url');
  private currentState: RtpTransportState = 'new';
  private components: IceComponent[] = [];
  private rtcpMux = false;
  private localMid?: string;
  private remoteSdp?: SdpSummary;
  private answerCodecs: SdpCodec[] = [];
  private readonly pendingRemoteCandidates: ParsedCandidate[] = [];
  private readonly appliedRemoteCandidates = new Set<string>();
  private remoteDescriptionApplied = false;
  private negotiationStartedAt?: number;
  private connectMs?: number;
  private connectTimer?: NodeJS.Timeout;
  private rtcpTimer?: NodeJS.Timeout;
  private candidateFlush?: NodeJS.Immediate;
  private closing?: Promise<void>;
  private markClosed!: () => void;
  private readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(options: PlainRtpTransportOptions) {
    if (!options.codecs?.length) throw new Error('PlainRtpTransport needs at least one codec');
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
    this.rtcp = new RtcpState(this.localSsrc, this.options.rtcpIntervalMs, (payloadType) => this.timingClockRate(payloadType));
  }

  get state(): RtpTransportState {
    return this.currentState;
  }

  /** The a=mid of our audio m-line (a Jingle content name), once the local description exists. */
  get mid(): string | undefined {
    return this.localMid;
  }

  /** The ICE components in use: [1, 2], or [1] with rtcp-mux. */
  get componentIds(): number[] {
    return this.components.map((component) => component.id);
  }

  /** Our offer, after gathering: RTP/AVP without fingerprint or rtcp-mux, candidates for components 1 and 2. */
  async createOffer(): Promise<string> {
    this.beginNegotiation('createOffer');
    this.localMid = '0';
    return this.whileOpen(async () => {
      await this.gather(true, [1, 2]);
      return this.finishLocalDescription(this.describe('offer', this.options.codecs));
    });
  }

  /** Applies a plain RTP offer and returns our answer: the first offered codec we have, rtcp-mux only if offered. */
  async acceptOffer(remoteSdp: string): Promise<string> {
    const remote = parseSdpSummary(remoteSdp);
    checkRemoteSdp(remote, 'offer');
    const codecs = answerCodecs(remote.codecs, this.options.codecs);
    if (!codecs.length) throw noCommonCodec(remote.codecs, this.options.codecs);
    this.beginNegotiation('acceptOffer');
    this.remoteSdp = remote;
    this.answerCodecs = codecs;
    this.rtcpMux = remote.rtcpMux;
    this.localMid = remote.mid ?? '0';
    return this.whileOpen(async () => {
      await this.gather(false, this.rtcpMux ? [1] : [1, 2]);
      const answer = this.finishLocalDescription(this.describe('answer', codecs));
      await this.applyRemoteDescription(remote);
      return answer;
    });
  }

  async acceptAnswer(remoteSdp: string): Promise<void> {
    if (this.currentState !== 'negotiating' || !this.components.length || this.remoteSdp) {
      throw new Error(`acceptAnswer needs a pending offer from createOffer (state ${this.currentState})`);
    }
    const remote = parseSdpSummary(remoteSdp);
    checkRemoteSdp(remote, 'answer');
    const offered = new Set(this.options.codecs.map((codec) => codec.payloadType));
    const codecs = remote.codecs.filter((codec) => offered.has(codec.payloadType));
    if (!codecs.some((codec) => !isTelephoneEvent(codec))) throw noCommonCodec(remote.codecs, this.options.codecs);
    this.remoteSdp = remote;
    this.answerCodecs = codecs;
    // We did not offer rtcp-mux, but a peer that answers with it sends RTCP on component 1: follow it.
    if (remote.rtcpMux) this.dropRtcpComponent();
    await this.whileOpen(() => this.applyRemoteDescription(remote));
  }

  /**
   * A trickled remote candidate for the m-line `mid`. Candidates this transport would not use (a component it
   * does not run, non-loopback in loopbackOnly mode) are ignored; those arriving before the remote description wait.
   */
  async addRemoteCandidate(candidateSdp: string, mid: string): Promise<void> {
    const candidate = parseCandidate(candidateSdp);
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    if (!usableCandidate(candidate, this.options) || (this.components.length && !this.component(candidate.component))) {
      log.debug(`ignoring remote candidate ${candidate.text} (mid ${mid})`);
      return;
    }
    if (!this.remoteDescriptionApplied) {
      this.pendingRemoteCandidates.push(candidate);
      return;
    }
    await this.applyRemoteCandidate(candidate);
  }

  /** Sends one packet as is. Throws before onConnected or for a packet whose SSRC is not `localSsrc`; drops after close() or a failure. */
  sendRtp(packet: RtpPacketFields): void {
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    const rtpComponent = this.component(1);
    if (this.currentState !== 'connected' || !rtpComponent) throw new Error(`sendRtp before the transport is connected (state ${this.currentState})`);
    if (packet.ssrc !== this.localSsrc) {
      throw new Error(`packet SSRC ${packet.ssrc} is not this transport's SSRC ${this.localSsrc} (announced in SDP)`);
    }
    checkPacket(packet);
    const bytes = Buffer.from(serializeRtp(packet));
    this.options.capture?.add('sent', 'rtp', bytes, epochMicroseconds(performance.now()));
    this.passOut('rtp', bytes.length, () => this.send(rtpComponent, bytes));
    this.rtcp.onSent(packet, wallClockMs());
  }

  stats(): RtpTransportStats {
    return { ...this.rtcp.stats(), connectMs: this.connectMs };
  }

  /** Idempotent; resolves within about two seconds; closes every socket and leaves no timer behind. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.currentState = 'closed';
    this.markClosed();
    clearTimeout(this.connectTimer);
    clearTimeout(this.rtcpTimer);
    if (this.candidateFlush) clearImmediate(this.candidateFlush);
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      deadline = setTimeout(() => {
        log.warn('the ICE agents did not close within 2 s; giving up on them');
        resolve();
      }, CLOSE_TIMEOUT_MS);
    });
    const closing = this.components.map(({ agent }) => agent.close().catch((error: unknown) => log.debug(`close: ${String(error)}`)));
    await Promise.race([Promise.all(closing), timedOut]);
    clearTimeout(deadline);
  }

  private whileOpen<T>(work: () => Promise<T>): Promise<T> {
    const closedFirst = this.closed.then((): never => {
      throw new Error('transport closed during negotiation');
    });
    return Promise.race([work(), closedFirst]);
  }

  private beginNegotiation(method: string): void {
    if (this.currentState !== 'new') throw new Error(`${method} on a transport in state ${this.currentState}; use a new PlainRtpTransport per call leg`);
    this.currentState = 'negotiating';
    this.negotiationStartedAt = performance.now();
  }

  private component(id: number): IceComponent | undefined {
    return this.components.find((component) => component.id === id);
  }

  /** One agent per component, all with the first agent's credentials; resolves once every host candidate is there. */
  private async gather(controlling: boolean, ids: Array<1 | 2>): Promise<void> {
    const { iceServers, loopbackOnly, ipv6 } = this.options;
    // A server-reflexive candidate is useless on loopback, and an unreachable STUN server stalls gathering for 5 s.
    const servers = parseIceServers(loopbackOnly ? iceServers.filter((server) => !/^stuns?:/i.test(server.urls)) : iceServers);
    const loopbackAddresses = ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
    for (const id of ids) {
      const agent = new Connection(controlling, {
        ...servers,
        // In loopback mode werift must not look at the interfaces at all: it would bind every one.
        useIpv4: !loopbackOnly,
        useIpv6: !loopbackOnly && ipv6,
        additionalHostAddresses: loopbackOnly ? loopbackAddresses : undefined,
        interfaceAddresses: loopbackOnly ? { udp4: '127.0.0.1', ...(ipv6 ? { udp6: '::1' } : {}) } : undefined,
        filterCandidatePair: (pair: CandidatePair) => this.allowsPair(pair),
      });
      // werift's agent falls back to stun.l.google.com:19302 when given no STUN server.
      if (!servers.stunServer) agent.stunServer = undefined;
      const first = this.components[0]?.agent;
      if (first) {
        agent.localUsername = first.localUsername;
        agent.localPassword = first.localPassword;
        agent.userHistory[first.localUsername] = first.localPassword;
      }
      const component: IceComponent = { id, agent, connected: false };
      agent.onData.subscribe((data) => this.received(component, data));
      agent.stateChanged.subscribe((state) => {
        if (state === 'failed' && component.connected) this.componentLost(component);
      });
      this.components.push(component);
    }
    await Promise.all(this.components.map(({ agent }) => agent.gatherCandidates()));
    if (this.isClosed()) throw new Error('transport closed during negotiation');
  }

  private dropRtcpComponent(): void {
    this.rtcpMux = true;
    const rtcpComponent = this.component(2);
    if (!rtcpComponent) return;
    this.components = this.components.filter((component) => component !== rtcpComponent);
    rtcpComponent.agent.close().catch((error: unknown) => log.debug(`close: ${String(error)}`));
  }

  private describe(type: 'offer' | 'answer', codecs: SdpCodec[]): string {
    const first = this.components[0]!.agent;
    const lines = [
      'v=0',
      `o=- ${randomInt(1, 2 ** 47)} 2 IN IP4 0.0.0.0`,
      's=-',
      't=0 0',
      `m=audio 9 RTP/AVP ${codecs.map((codec) => codec.payloadType).join(' ')}`,
      'c=IN IP4 0.0.0.0',
      `a=ice-ufrag:${first.localUsername}`,
      `a=ice-pwd:${first.localPassword}`,
      `a=mid:${this.localMid}`,
      'a=sendrecv',
    ];
    if (type === 'answer' && this.rtcpMux) lines.push('a=rtcp-mux');
    for (const codec of codecs) {
      lines.push(`a=rtpmap:${codec.payloadType} ${codec.name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`);
      if (codec.parameters) lines.push(`a=fmtp:${codec.payloadType} ${codec.parameters}`);
    }
    lines.push(`a=ssrc:${this.localSsrc} cname:${this.cname}`);
    for (const candidate of this.localCandidates()) lines.push(`a=${candidate}`);
    return `${lines.join('\r\n')}\r\n`;
  }

  private localCandidates(): string[] {
    return this.components.flatMap(({ id, agent }) =>
      agent.localCandidates
        .filter((candidate) => usableCandidate({ transport: candidate.transport.toLowerCase(), address: candidate.host, type: candidate.type }, this.options))
        .map((candidate) => localCandidateSdp(candidate, id)),
    );
  }

  /** The candidates are in the SDP; they are also trickled, after it was returned, for signalling that sends them apart. */
  private finishLocalDescription(sdp: string): string {
    const candidates = this.localCandidates();
    this.candidateFlush = setImmediate(() => {
      this.candidateFlush = undefined;
      if (this.isClosed()) return;
      for (const candidate of candidates) this.onLocalCandidate.emit(candidate, this.localMid!);
      this.onGatheringComplete.emit();
    });
    return sdp;
  }

  private async applyRemoteDescription(remote: SdpSummary): Promise<void> {
    for (const { agent } of this.components) {
      agent.setRemoteParams({ iceLite: false, usernameFragment: remote.iceUfrag!, password: remote.icePwd! });
    }
    this.remoteDescriptionApplied = true;
    const candidates = [...remote.candidates, ...this.pendingRemoteCandidates.splice(0)];
    for (const candidate of candidates) {
      if (usableCandidate(candidate, this.options) && this.component(candidate.component)) await this.applyRemoteCandidate(candidate);
    }
    this.startConnecting();
  }

  private async applyRemoteCandidate(candidate: ParsedCandidate): Promise<void> {
    const component = this.component(candidate.component);
    if (!component || this.appliedRemoteCandidates.has(candidate.text)) return;
    this.appliedRemoteCandidates.add(candidate.text);
    // Each agent runs one component, which werift numbers 1.
    const { foundation, transport, priority, address, port, type } = candidate;
    await component.agent.addRemoteCandidate(new Candidate(foundation, 1, transport, priority, address, port, type));
  }

  private startConnecting(): void {
    if (this.currentState !== 'negotiating') return;
    this.currentState = 'connecting';
    this.connectTimer = setTimeout(() => {
      this.fail(new RtpTransportError('connect-timeout', `ICE did not connect RTP (component 1) within ${this.options.connectTimeoutMs} ms`));
    }, this.options.connectTimeoutMs);
    for (const component of this.components) {
      component.agent.connect().then(
        () => this.componentConnected(component),
        (error: unknown) => this.componentFailed(component, error),
      );
    }
  }

  private componentConnected(component: IceComponent): void {
    if (this.isClosed()) return;
    component.connected = true;
    log.debug(`ICE component ${component.id} connected`);
    if (component.id !== 1 || (this.currentState !== 'connecting' && this.currentState !== 'negotiating')) return;
    this.currentState = 'connected';
    clearTimeout(this.connectTimer);
    if (this.negotiationStartedAt !== undefined) this.connectMs = performance.now() - this.negotiationStartedAt;
    this.captureEndpoints();
    this.scheduleRtcp();
    this.onConnected.emit();
  }

  private componentFailed(component: IceComponent, error: unknown): void {
    if (this.isClosed() || this.currentState === 'failed') return;
    if (component.id === 1) {
      this.fail(new RtpTransportError('ice-failed', `ICE found no working candidate pair for RTP (component 1): ${String(error)}`));
    } else {
      log.warn(`ICE found no working candidate pair for RTCP (component 2): no RTCP reports this call (${String(error)})`);
    }
  }

  private componentLost(component: IceComponent): void {
    component.connected = false;
    if (component.id === 1) this.fail(new RtpTransportError('connection-lost', 'the connection to the peer was lost (ICE consent expired)'));
    else log.warn('RTCP (ICE component 2) lost its connection (consent expired): no more RTCP reports');
  }

  private fail(error: RtpTransportError): void {
    if (this.currentState === 'failed' || this.currentState === 'closed') return;
    this.currentState = 'failed';
    clearTimeout(this.connectTimer);
    clearTimeout(this.rtcpTimer);
    log.info(`failed: ${error.message}`);
    this.onFailed.emit(error);
  }

  private send(component: IceComponent, bytes: Buffer): void {
    component.agent.send(bytes).catch((error: unknown) => log.debug(`send on component ${component.id} failed: ${String(error)}`));
  }

  /** Component 1 carries RTP, and RTCP too when muxed (told apart as RFC 5761 section 4 says); component 2 RTCP only. */
  private received(component: IceComponent, data: Buffer): void {
    if (this.isClosed()) return;
    if (component.id === 2 || isRtcp(data)) {
      this.receiveRtcp(data);
      return;
    }
    let packet: RtpPacketFields;
    try {
      const { payloadType, sequenceNumber, timestamp, ssrc, marker, payload } = parseRtp(data);
      packet = { payloadType, sequenceNumber, timestamp, ssrc, marker, payload };
    } catch (error) {
      log.debug(`dropping a datagram that is not RTP: ${(error as Error).message}`);
      return;
    }
    this.passIn('rtp', data.length, () => {
      const arrival = performance.now();
      this.options.capture?.add('received', 'rtp', data, epochMicroseconds(arrival));
      this.rtcp.onReceived(packet, performance.timeOrigin + arrival);
      this.onRtp.emit(packet, arrival);
    });
  }

  private receiveRtcp(data: Buffer): void {
    let compound: RtcpPacket[];
    try {
      compound = RtcpPacketConverter.deSerialize(data);
    } catch (error) {
      log.debug(`dropping malformed RTCP: ${(error as Error).message}`);
      return;
    }
    this.passIn('rtcp', data.length, () => {
      const arrival = performance.now();
      this.options.capture?.add('received', 'rtcp', data, epochMicroseconds(arrival));
      for (const part of compound) {
        const report = fromWeriftRtcp(part);
        if (!report) continue;
        report.rttMs = this.rtcp.onReport(report, performance.timeOrigin + arrival);
        this.onRtcp.emit(report, arrival);
      }
    });
  }

  private scheduleRtcp(): void {
    const delay = this.options.rtcpIntervalMs * (0.5 + Math.random());
    this.rtcpTimer = setTimeout(() => {
      this.sendRtcpReport();
      if (this.currentState === 'connected') this.scheduleRtcp();
    }, delay);
  }

  private sendRtcpReport(): void {
    const component = this.component(this.rtcpMux ? 1 : 2);
    if (!component?.connected) return;
    const cname = new RtcpSourceDescriptionPacket({
      chunks: [new SourceDescriptionChunk({ source: this.localSsrc, items: [new SourceDescriptionItem({ type: 1, text: this.cname })] })],
    });
    const bytes = Buffer.concat([toWeriftRtcp(this.rtcp.buildReport(wallClockMs())), cname].map((part) => part.serialize()));
    this.options.capture?.add('sent', 'rtcp', bytes, epochMicroseconds(performance.now()));
    this.passOut('rtcp', bytes.length, () => this.send(component, bytes));
  }

  /** RTP's selected candidate pair gives the capture its addresses (RTCP on component 2 is written with the same ones). */
  private captureEndpoints(): void {
    const capture = this.options.capture;
    const pair = this.component(1)?.agent.nominated;
    if (!capture || !pair) return;
    capture.setEndpoints({
      local: { ip: pcapIpv4(pair.localCandidate.host), port: pair.localCandidate.port },
      remote: { ip: pcapIpv4(pair.remoteCandidate.host), port: pair.remoteCandidate.port },
    });
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
    const codec = this.answerCodecs.find((c) => c.payloadType === payloadType) ?? this.options.codecs.find((c) => c.payloadType === payloadType);
    return codec && !isTelephoneEvent(codec) ? codec.clockRate : undefined;
  }

  private allowsPair(pair: CandidatePair): boolean {
    if (!this.options.loopbackOnly) return true;
    const allowed = (type: string, address: string) => type === 'relay' || isLoopback(address);
    return allowed(pair.localCandidate.type, pair.localCandidate.host) && allowed(pair.remoteCandidate.type, pair.remoteCandidate.host);
  }

  private isClosed(): boolean {
    return this.currentState === 'closed';
  }
}

function checkRemoteSdp(remote: SdpSummary, type: 'offer' | 'answer'): void {
  if (!remote.hasAudio) throw new RtpTransportError('bad-sdp', `remote ${type} has no m=audio line`);
  if (remote.fingerprints.length || !PLAIN_PROFILES.has(remote.profile ?? '')) {
    throw new RtpTransportError('bad-sdp', `remote ${type} is ${remote.profile}${remote.fingerprints.length ? ' with a DTLS fingerprint' : ''}: plain RTP takes RTP/AVP without DTLS only`);
  }
  if (!remote.iceUfrag || !remote.icePwd) throw new RtpTransportError('bad-sdp', `remote ${type} has no a=ice-ufrag/a=ice-pwd: ICE is required`);
}

/**
 * What we answer with, as Dino does and as the call layer's own choice (negotiateCodec) expects: the first offered
 * audio codec that we have, with the offerer's payload type and parameters, plus the offered telephone-event of the
 * same clock rate.
 */
function answerCodecs(offered: readonly SdpCodec[], ours: readonly SdpCodec[]): SdpCodec[] {
  const same = (a: SdpCodec, b: SdpCodec) => a.name.toLowerCase() === b.name.toLowerCase() && a.clockRate === b.clockRate;
  const audio = offered.find((codec) => !isTelephoneEvent(codec) && ours.some((our) => same(codec, our)));
  if (!audio) return [];
  const event = offered.find((codec) => isTelephoneEvent(codec) && codec.clockRate === audio.clockRate);
  return event ? [audio, event] : [audio];
}

function noCommonCodec(theirs: readonly SdpCodec[], ours: readonly SdpCodec[]): RtpTransportError {
  const names = (codecs: readonly SdpCodec[]) => codecs.map((codec) => `${codec.name}/${codec.clockRate}`).join(', ') || 'none';
  return new RtpTransportError('no-common-codec', `no common audio codec: the peer has ${names(theirs)}, we have ${names(ours)}`);
}

/** werift numbers every candidate 1; a component-2 candidate's priority is one lower (RFC 8445 5.1.2.1). */
function localCandidateSdp(candidate: Candidate, component: 1 | 2): string {
  const priority = candidate.priority - (component - 1);
  let text = `candidate:${candidate.foundation} ${component} ${candidate.transport.toLowerCase()} ${priority} ${candidate.host} ${candidate.port} typ ${candidate.type}`;
  if (candidate.relatedAddress !== undefined && candidate.relatedPort !== undefined) text += ` raddr ${candidate.relatedAddress} rport ${candidate.relatedPort}`;
  return `${text} generation 0`;
}

/** RFC 5761 section 4: on a shared port, RTCP packet types 192-223 sit where RTP has the marker bit and payload types 64-95. */
function isRtcp(data: Buffer): boolean {
  return data.length >= 8 && data[0] >> 6 === 2 && data[1] >= 192 && data[1] <= 223;
}
