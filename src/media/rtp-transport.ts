/**
 * One audio call leg over ICE + DTLS-SRTP, speaking SDP at its boundary (the default MediaTransport). With
 * plain-rtp-transport.ts, which uses only werift's ICE agent, the only module in earshot that imports werift
 * (0.24.4); everything werift-specific and every workaround for its WebRTC stack lives here.
 *
 * What werift does and does not do for us (read from its source):
 * - `RTCRtpSender.sendRtp`/`track.writeRtp` overwrite the SSRC and the payload type (always the
 *   first negotiated codec, which would break telephone-event). We write through the DTLS
 *   transport instead (`RTCDtlsTransport.sendRtp(payload, header)`): our header goes out as is.
 *   The SSRC announced in SDP (`a=ssrc`) is ours (`localSsrc`), so packets must carry it.
 * - werift sends RTCP SR only for packets sent through its RTCRtpSender, RR only for SSRCs
 *   announced in the remote SDP, and its NTP timestamps are malformed (decimal digits of the
 *   fraction written as an integer). So werift's own reports are switched off and this module
 *   sends RFC 3550 compound reports itself (`RtcpState` in rtcp-state.ts is the pure core).
 * - The remote certificate fingerprint is checked after the DTLS handshake (mismatch: the DTLS
 *   transport fails). werift's default `iceServers` is a public Google STUN server, and its ICE
 *   agent falls back to that server (DNS lookup, then a binding request) even with `iceServers: []`:
 *   both are overridden.
 * - Every RTCPeerConnection in a process shares one certificate unless given its own: each
 *   transport makes its own, so fingerprints differ per leg.
 * - `setLocalDescription` resolves only after gathering is complete, so the returned SDP holds
 *   every candidate; `onLocalCandidate` replays them afterwards for trickle signalling.
 * - Some werift timers survive close(): DTLS handshake retransmissions (~33 s) and the TURN
 *   allocation refresh sleep (minutes). See `stopDtlsRetransmissions` and `unrefWeriftLongSleeps`.
 * - Incoming compound RTCP arrives split into its parts (werift drops BYE, APP and XR parts); see
 *   `receiveRtcpPart`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import timersPromises from 'node:timers/promises';
import {
  RTCCertificate,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpReceiverInfo,
  RtcpRrPacket,
  RtcpSenderInfo,
  RtcpSourceDescriptionPacket,
  RtcpSrPacket,
  RtpHeader,
  SourceDescriptionChunk,
  SourceDescriptionItem,
  createSelfSignedCertificate,
  type CandidatePair,
  type RTCDtlsTransport,
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
import type { PcapEndpoints } from './pcap.js';
import { serializeRtp, type RtpPacketFields } from './rtp-packet.js';
import { RtcpState, type RtcpReport, type RtcpReportBlock } from './rtcp-state.js';
import {
  checkCodec,
  checkPacket,
  epochMicroseconds,
  filterCandidateLines,
  isLoopback,
  isTelephoneEvent,
  isUint32,
  parseCandidate,
  parseSdpSummary,
  pcapIpv4,
  toBuffer,
  usableCandidate,
  wallClockMs,
  type ParsedCandidate,
  type SdpSummary,
} from './transport-common.js';

export {
  RtpTransportError,
  type IceServerConfig,
  type PacketGate,
  type RtpTransportFailure,
  type RtpTransportState,
  type RtpTransportStats,
  type SdpCodec,
} from './media-transport.js';

const log = logger('media/rtp-transport');

unrefWeriftLongSleeps();

export interface RtpTransportOptions {
  /** From XEP-0215. Default []: no STUN or TURN server, and never a public one. */
  iceServers?: IceServerConfig[];
  /**
   * Default true: only 127.0.0.1 (and ::1 with `ipv6`) host candidates, plus relay candidates,
   * are gathered, emitted, accepted from the peer and paired; sockets bind to loopback only.
   */
  loopbackOnly?: boolean;
  /** Default false: gather IPv6 host candidates too. */
  ipv6?: boolean;
  /** Default false: only relay candidates (needs a TURN server in `iceServers`). */
  forceRelay?: boolean;
  /** What we offer, or accept, in order of preference. */
  codecs: SdpCodec[];
  /** The SSRC announced in SDP and used in RTCP; sendRtp requires packets to carry it. Default random. */
  ssrc?: number;
  /** Mean RTCP report interval, randomized by 0.5-1.5x (RFC 3550 6.3.1). Default 1000 ms. */
  rtcpIntervalMs?: number;
  /** Impairs (delays, drops, reorders) media packets in both directions; default none. */
  gate?: PacketGate;
  /** onFailed fires when ICE + DTLS have not connected this long after the remote description. Default 10000 ms. */
  connectTimeoutMs?: number;
  /**
   * Keeps every RTP and RTCP packet sent and received, decrypted, for a pcap; default none. Sent packets are
   * taken as earshot produced them, before the gate; received ones as they reached earshot, after the gate.
   */
  capture?: PacketCapture;
}

/** RTP header plus the SRTP authentication tag (RFC 3711, HMAC-SHA1-80), on top of the payload. */
const SRTP_OVERHEAD_BYTES = 12 + 10;
/** A compound SR or RR with one report block and an SDES CNAME, SRTCP-protected: about this size. */
const RTCP_REPORT_BYTES = 90;

const DEFAULT_RTCP_INTERVAL_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2000;

export class RtpTransport implements MediaTransport {
  readonly encryption = 'dtls-srtp';
  /** A local candidate ('candidate:...') and the mid of its m-line; emitted after the SDP holding it was returned. */
  readonly onLocalCandidate = new Event<[string, string]>();
  readonly onGatheringComplete = new Event<[]>();
  readonly onConnected = new Event<[]>();
  /** At most once; the transport stops sending and should be closed. */
  readonly onFailed = new Event<[RtpTransportError]>();
  /** Decrypted incoming RTP and its arrival time (performance.now() ms). */
  readonly onRtp = new Event<[RtpPacketFields, number]>();
  /** Incoming SR/RR and arrival time (performance.now() ms). */
  readonly onRtcp = new Event<[RtcpReport, number]>();
  readonly localSsrc: number;

  private readonly options: Required<Omit<RtpTransportOptions, 'ssrc' | 'gate' | 'capture'>> & Pick<RtpTransportOptions, 'gate' | 'capture'>;
  private readonly rtcp: RtcpState;
  private currentState: RtpTransportState = 'new';
  private pc?: RTCPeerConnection;
  private dtls?: RTCDtlsTransport;
  private certificate?: RTCCertificate;
  private localSdp?: SdpSummary;
  private remoteSdp?: SdpSummary;
  private answerSdp?: SdpSummary;
  private readonly pendingRemoteCandidates: Array<{ candidate: string; mid: string }> = [];
  private readonly appliedRemoteCandidates = new Set<string>();
  private readonly heldLocalCandidates: string[] = [];
  private holdingCandidates = true;
  private gatheringComplete = false;
  private negotiationStartedAt?: number;
  private connectMs?: number;
  private connectTimer?: NodeJS.Timeout;
  private rtcpTimer?: NodeJS.Timeout;
  private candidateFlush?: NodeJS.Immediate;
  private remoteDescriptionApplied = false;
  /** The incoming compound RTCP packet whose parts werift is handing over (see receiveRtcpPart). */
  private inboundRtcp?: RtcpPacket[];
  private closing?: Promise<void>;
  private markClosed!: () => void;
  private readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(options: RtpTransportOptions) {
    if (!options.codecs?.length) throw new Error('RtpTransport needs at least one codec');
    for (const codec of options.codecs) checkCodec(codec);
    const iceServers = options.iceServers ?? [];
    const hasTurn = iceServers.some((server) => /^turns?:/i.test(server.urls));
    if (options.forceRelay && !hasTurn) throw new Error('forceRelay needs a turn: or turns: URL in iceServers');
    this.options = {
      iceServers,
      loopbackOnly: options.loopbackOnly ?? true,
      ipv6: options.ipv6 ?? false,
      forceRelay: options.forceRelay ?? false,
      codecs: options.codecs.map((codec) => ({ ...codec })),
      rtcpIntervalMs: options.rtcpIntervalMs ?? DEFAULT_RTCP_INTERVAL_MS,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      gate: options.gate,
      capture: options.capture,
    };
    if (options.ssrc !== undefined && !isUint32(options.ssrc)) throw new RangeError(`ssrc must be a 32-bit unsigned integer, got ${options.ssrc}`);
    this.localSsrc = options.ssrc ?? randomBytes(4).readUInt32BE(0);
    this.rtcp = new RtcpState(this.localSsrc, this.options.rtcpIntervalMs, (payloadType) => this.timingClockRate(payloadType));
  }

  get state(): RtpTransportState {
    return this.currentState;
  }

  /** 'sha-256 AB:CD:...' once createOffer/acceptOffer has made the certificate. */
  get localFingerprint(): string | undefined {
    const fingerprint = this.certificate?.getFingerprints()[0];
    return fingerprint ? `${fingerprint.algorithm} ${fingerprint.value}` : undefined;
  }

  /** The first a=fingerprint of the remote SDP, as 'sha-256 AB:CD:...'. */
  get remoteFingerprint(): string | undefined {
    return this.remoteSdp?.fingerprints[0];
  }

  /** The a=mid of our audio m-line (a Jingle content name), once the local description exists. */
  get mid(): string | undefined {
    return this.localSdp?.mid;
  }

  /** The payload types of the answer, in its order (the first audio one is what media should use). */
  get negotiatedCodecs(): readonly SdpCodec[] {
    return this.answerSdp?.codecs ?? [];
  }

  /** The answer's first payload type that is not telephone-event. */
  get negotiatedPayloadType(): number | undefined {
    return this.negotiatedCodecs.find((codec) => !isTelephoneEvent(codec))?.payloadType;
  }

  /** Local SDP offer, after gathering: DTLS setup actpass, rtcp-mux, one sendrecv audio m-line. */
  async createOffer(): Promise<string> {
    this.beginNegotiation('createOffer');
    return this.whileOpen(async () => {
      const pc = await this.openPeerConnection();
      await pc.setLocalDescription(await pc.createOffer());
      return this.finishLocalDescription(pc);
    });
  }

  /** Applies a remote offer and returns our answer (DTLS setup active or passive). */
  async acceptOffer(remoteSdp: string): Promise<string> {
    const remote = parseSdpSummary(remoteSdp);
    checkRemoteSdp(remote, 'offer');
    this.beginNegotiation('acceptOffer');
    this.remoteSdp = remote;
    return this.whileOpen(async () => {
      const pc = await this.openPeerConnection();
      await this.applyRemoteDescription(pc, 'offer', remoteSdp);
      await pc.setLocalDescription(await pc.createAnswer());
      const answer = this.finishLocalDescription(pc);
      this.answerSdp = parseSdpSummary(answer);
      this.startConnecting();
      return answer;
    });
  }

  async acceptAnswer(remoteSdp: string): Promise<void> {
    const pc = this.pc;
    if (this.currentState !== 'negotiating' || !pc || this.remoteSdp) {
      throw new Error(`acceptAnswer needs a pending offer from createOffer (state ${this.currentState})`);
    }
    const remote = parseSdpSummary(remoteSdp);
    checkRemoteSdp(remote, 'answer');
    this.remoteSdp = remote;
    this.answerSdp = remote;
    await this.whileOpen(async () => {
      await this.applyRemoteDescription(pc, 'answer', remoteSdp);
      this.startConnecting();
    });
  }

  /**
   * A trickled remote candidate ('candidate:...' or 'a=candidate:...') for the m-line `mid`.
   * Candidates that this transport would not use (RTCP component, non-loopback in loopbackOnly
   * mode) are ignored; candidates arriving before the remote description are kept until then.
   */
  async addRemoteCandidate(candidateSdp: string, mid: string): Promise<void> {
    const candidate = parseCandidate(candidateSdp);
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    if (candidate.component !== 1 || !this.allowsCandidate(candidate)) {
      log.debug(`ignoring remote candidate ${candidate.text}`);
      return;
    }
    if (!this.pc || !this.remoteDescriptionApplied) {
      this.pendingRemoteCandidates.push({ candidate: candidate.text, mid });
      return;
    }
    await this.applyRemoteCandidate(this.pc, candidate.text, mid);
  }

  /**
   * Sends one packet, SRTP-protected, with its header unchanged. Throws before onConnected or for
   * a packet whose SSRC is not `localSsrc`; after close() or a failure packets are dropped.
   */
  sendRtp(packet: RtpPacketFields): void {
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    if (this.currentState !== 'connected' || !this.dtls) throw new Error(`sendRtp before the transport is connected (state ${this.currentState})`);
    if (packet.ssrc !== this.localSsrc) {
      throw new Error(`packet SSRC ${packet.ssrc} is not this transport's SSRC ${this.localSsrc} (announced in SDP)`);
    }
    checkPacket(packet);
    const header = new RtpHeader({
      payloadType: packet.payloadType,
      sequenceNumber: packet.sequenceNumber,
      timestamp: packet.timestamp,
      ssrc: packet.ssrc,
      marker: packet.marker,
    });
    const dtls = this.dtls;
    const payload = toBuffer(packet.payload);
    // Captured before the gate: what earshot sent is what its sender produced, sequence numbers without gaps.
    // What the impaired network then lost or delayed is seen where the packets arrive.
    this.options.capture?.add('sent', 'rtp', serializeRtp(packet), epochMicroseconds(performance.now()));
    this.passOut('rtp', payload.length + SRTP_OVERHEAD_BYTES, () => void dtls.sendRtp(payload, header));
    this.rtcp.onSent(packet, wallClockMs());
  }

  stats(): RtpTransportStats {
    return { ...this.rtcp.stats(), connectMs: this.connectMs };
  }

  /** Idempotent; resolves within about two seconds whatever werift does; leaves no timer behind. */
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
    const pc = this.pc;
    if (!pc) return;
    if (this.dtls) stopDtlsRetransmissions(this.dtls);
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      deadline = setTimeout(() => {
        log.warn('werift did not close within 2 s; giving up on it');
        resolve();
      }, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([pc.close().catch((error: unknown) => log.debug(`close: ${String(error)}`)), timedOut]);
    clearTimeout(deadline);
  }

  /** werift never settles a description call made after it was closed: negotiation ends with close(). */
  private whileOpen<T>(work: () => Promise<T>): Promise<T> {
    const closedFirst = this.closed.then((): never => {
      throw new Error('transport closed during negotiation');
    });
    return Promise.race([work(), closedFirst]);
  }

  private beginNegotiation(method: string): void {
    if (this.currentState !== 'new') throw new Error(`${method} on a transport in state ${this.currentState}; use a new RtpTransport per call leg`);
    this.currentState = 'negotiating';
    this.negotiationStartedAt = performance.now();
  }

  private async openPeerConnection(): Promise<RTCPeerConnection> {
    this.certificate = await makeCertificate();
    if (this.isClosed()) throw new Error('transport closed during negotiation');
    const { loopbackOnly, ipv6, forceRelay, codecs } = this.options;
    const loopbackAddresses = ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
    const pc = new RTCPeerConnection({
      iceServers: this.weriftIceServers(),
      iceTransportPolicy: forceRelay ? 'relay' : 'all',
      // In loopback mode werift must not look at the interfaces at all: it would bind every one.
      iceUseIpv4: !loopbackOnly,
      iceUseIpv6: !loopbackOnly && ipv6,
      iceAdditionalHostAddresses: loopbackOnly ? loopbackAddresses : undefined,
      iceInterfaceAddresses: loopbackOnly ? { udp4: '127.0.0.1', ...(ipv6 ? { udp6: '::1' } : {}) } : undefined,
      iceFilterCandidatePair: (pair: CandidatePair) => this.allowsPair(pair),
      certificates: [this.certificate],
      codecs: { audio: codecs.map(toWeriftCodec), video: [] },
      headerExtensions: { audio: [], video: [] },
    });
    this.pc = pc;
    const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
    // Typed readonly but a plain field, read when the SDP's a=ssrc line is written.
    (transceiver.sender as { ssrc: number }).ssrc = this.localSsrc;
    // werift's receiver would send its own RRs for SSRCs announced in SDP; we send ours.
    transceiver.receiver.stop();
    this.dtls = transceiver.dtlsTransport;
    const ice = this.dtls.iceTransport.connection;
    // werift's ICE falls back to stun.l.google.com:19302 when given no STUN server.
    if (!this.weriftIceServers().some((server) => /^stuns?:/i.test(server.urls))) ice.stunServer = undefined;
    this.dtls.onRtp.subscribe((rtp) => this.passIn('rtp', rtp.payload.length + SRTP_OVERHEAD_BYTES, () => {
      const arrival = performance.now();
      const packet: RtpPacketFields = {
        payloadType: rtp.header.payloadType,
        sequenceNumber: rtp.header.sequenceNumber,
        timestamp: rtp.header.timestamp,
        ssrc: rtp.header.ssrc,
        marker: rtp.header.marker,
        payload: rtp.payload,
      };
      // Captured after the gate, as it reaches the jitter buffer: what earshot received, losses and delays included.
      this.options.capture?.add('received', 'rtp', rtp.serialize(), epochMicroseconds(arrival));
      this.rtcp.onReceived(packet, performance.timeOrigin + arrival);
      this.onRtp.emit(packet, arrival);
    }));
    this.dtls.onRtcp.subscribe((packet) => this.receiveRtcpPart(packet));
    pc.onIceCandidate.subscribe((candidate) => {
      if (candidate?.candidate) this.localCandidate(candidate.candidate);
    });
    pc.iceGatheringStateChange.subscribe((state) => {
      if (state !== 'complete') return;
      this.gatheringComplete = true;
      if (!this.holdingCandidates && !this.candidateFlush && !this.isClosed()) this.onGatheringComplete.emit();
    });
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.connected();
      else if (state === 'failed') this.fail(this.diagnoseFailure());
    });
    return pc;
  }

  private weriftIceServers(): IceServerConfig[] {
    const { iceServers, loopbackOnly } = this.options;
    // A server-reflexive candidate is useless on loopback, and a STUN server werift cannot
    // reach from a loopback socket stalls gathering for 5 s.
    return loopbackOnly ? iceServers.filter((server) => !/^stuns?:/i.test(server.urls)) : iceServers;
  }

  private async applyRemoteDescription(pc: RTCPeerConnection, type: 'offer' | 'answer', remoteSdp: string): Promise<void> {
    // Unusable candidates never reach werift: it would resolve a .local one by multicast DNS.
    const sdp = filterCandidateLines(remoteSdp, (candidate) => candidate.component === 1 && this.allowsCandidate(candidate));
    try {
      await pc.setRemoteDescription({ type, sdp });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/negotiate codecs failed/.test(message)) {
        const ours = this.options.codecs.map((codec) => codec.name).join(', ');
        const theirs = this.remoteSdp?.codecs.map((codec) => codec.name).join(', ') ?? '';
        throw new RtpTransportError('no-common-codec', `no common audio codec: the peer has ${theirs || 'none'}, we have ${ours}`);
      }
      throw new RtpTransportError('bad-sdp', `werift rejected the remote ${type}: ${message}`);
    }
    this.remoteDescriptionApplied = true;
    for (const { candidate, mid } of this.pendingRemoteCandidates.splice(0)) {
      await this.applyRemoteCandidate(pc, candidate, mid);
    }
  }

  private async applyRemoteCandidate(pc: RTCPeerConnection, candidate: string, mid: string): Promise<void> {
    if (this.appliedRemoteCandidates.has(candidate)) return;
    this.appliedRemoteCandidates.add(candidate);
    try {
      await pc.addIceCandidate({ candidate, sdpMid: mid });
    } catch (error) {
      throw new Error(`cannot add remote candidate for mid '${mid}': ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private finishLocalDescription(pc: RTCPeerConnection): string {
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no local description');
    const local = filterCandidateLines(sdp, (candidate) => this.allowsLocalCandidate(candidate));
    this.localSdp = parseSdpSummary(local);
    this.holdingCandidates = false;
    this.candidateFlush = setImmediate(() => {
      this.candidateFlush = undefined;
      for (const candidate of this.heldLocalCandidates.splice(0)) this.emitLocalCandidate(candidate);
      if (this.gatheringComplete) this.onGatheringComplete.emit();
    });
    return local;
  }

  private localCandidate(text: string): void {
    const candidate = parseCandidate(text);
    if (!this.allowsLocalCandidate(candidate)) return;
    if (this.holdingCandidates) this.heldLocalCandidates.push(candidate.text);
    else this.emitLocalCandidate(candidate.text);
  }

  private emitLocalCandidate(candidate: string): void {
    if (this.isClosed() || this.mid === undefined) return;
    this.onLocalCandidate.emit(candidate, this.mid);
  }

  private startConnecting(): void {
    if (this.currentState !== 'negotiating') return;
    this.currentState = 'connecting';
    this.connectTimer = setTimeout(() => {
      this.fail(new RtpTransportError('connect-timeout', `ICE + DTLS did not connect within ${this.options.connectTimeoutMs} ms`));
    }, this.options.connectTimeoutMs);
  }

  private connected(): void {
    if (this.currentState !== 'connecting' && this.currentState !== 'negotiating') return;
    this.currentState = 'connected';
    clearTimeout(this.connectTimer);
    if (this.negotiationStartedAt !== undefined) this.connectMs = performance.now() - this.negotiationStartedAt;
    this.captureEndpoints();
    this.scheduleRtcp();
    this.onConnected.emit();
  }

  private fail(error: RtpTransportError): void {
    if (this.currentState === 'failed' || this.currentState === 'closed') return;
    this.currentState = 'failed';
    clearTimeout(this.connectTimer);
    clearTimeout(this.rtcpTimer);
    log.info(`failed: ${error.message}`);
    this.onFailed.emit(error);
  }

  private diagnoseFailure(): RtpTransportError {
    if (this.currentState === 'connected') return new RtpTransportError('connection-lost', 'the connection to the peer was lost (ICE consent or DTLS)');
    const dtls = this.dtls;
    if (dtls?.state === 'failed') {
      const certificate = dtls.dtls?.remoteCertificate;
      const expected = this.remoteSdp?.fingerprints ?? [];
      if (certificate) {
        const actual = `sha-256 ${fingerprintOf(certificate)}`;
        if (!expected.some((fingerprint) => sameFingerprint(fingerprint, certificate))) {
          return new RtpTransportError(
            'fingerprint-mismatch',
            `the peer's DTLS certificate (${actual}) does not match the remote SDP's a=fingerprint (${expected.join(', ')})`,
          );
        }
      }
      return new RtpTransportError('dtls-failed', 'the DTLS handshake failed');
    }
    return new RtpTransportError('ice-failed', 'ICE found no working candidate pair');
  }

  private scheduleRtcp(): void {
    const delay = this.options.rtcpIntervalMs * (0.5 + Math.random());
    this.rtcpTimer = setTimeout(() => {
      this.sendRtcpReport();
      if (this.currentState === 'connected') this.scheduleRtcp();
    }, delay);
  }

  private sendRtcpReport(): void {
    if (!this.dtls || !this.pc) return;
    const report = this.rtcp.buildReport(wallClockMs());
    const cname = new RtcpSourceDescriptionPacket({
      chunks: [new SourceDescriptionChunk({ source: this.localSsrc, items: [new SourceDescriptionItem({ type: 1, text: this.pc.cname })] })],
    });
    const compound = [toWeriftRtcp(report), cname];
    const dtls = this.dtls;
    // Before the gate, as for RTP (sendRtp); werift's sendRtcp concatenates the same serializations.
    this.options.capture?.add('sent', 'rtcp', Buffer.concat(compound.map((part) => part.serialize())), epochMicroseconds(performance.now()));
    this.passOut('rtcp', RTCP_REPORT_BYTES, () => {
      dtls.sendRtcp(compound).catch((error: unknown) => log.debug(`RTCP send failed: ${String(error)}`));
    });
  }

  /**
   * werift splits each incoming compound RTCP packet (RFC 3550 6.1) into its parts and hands them over one by
   * one, synchronously. They are gathered again, a compound starting at its SR or RR, and passed on a microtask
   * later, so that the gate passes or drops a compound whole, as a network would, and a capture keeps it as
   * the one datagram it was.
   */
  private receiveRtcpPart(part: RtcpPacket): void {
    const startsCompound = part.type === RtcpSrPacket.type || part.type === RtcpRrPacket.type;
    if (this.inboundRtcp && !startsCompound) {
      this.inboundRtcp.push(part);
      return;
    }
    const compound = [part];
    this.inboundRtcp = compound;
    queueMicrotask(() => {
      if (this.inboundRtcp === compound) this.inboundRtcp = undefined;
      this.receiveRtcp(compound);
    });
  }

  private receiveRtcp(compound: RtcpPacket[]): void {
    this.passIn('rtcp', RTCP_REPORT_BYTES, () => {
      const arrival = performance.now();
      this.options.capture?.add('received', 'rtcp', Buffer.concat(compound.map((part) => part.serialize())), epochMicroseconds(arrival));
      for (const part of compound) {
        const report = fromWeriftRtcp(part);
        if (!report) continue;
        report.rttMs = this.rtcp.onReport(report, performance.timeOrigin + arrival);
        this.onRtcp.emit(report, arrival);
      }
    });
  }

  /** The selected ICE candidate pair's addresses become the capture's, so that its ports are the real ones. */
  private captureEndpoints(): void {
    const capture = this.options.capture;
    if (!capture) return;
    const pair = this.dtls?.iceTransport.connection.nominated;
    if (!pair) {
      log.debug('no selected candidate pair: the capture keeps placeholder addresses');
      return;
    }
    const endpoints: PcapEndpoints = {
      local: { ip: pcapIpv4(pair.localCandidate.host), port: pair.localCandidate.port },
      remote: { ip: pcapIpv4(pair.remoteCandidate.host), port: pair.remoteCandidate.port },
    };
    capture.setEndpoints(endpoints);
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
    const codec = this.negotiatedCodecs.find((c) => c.payloadType === payloadType) ?? this.options.codecs.find((c) => c.payloadType === payloadType);
    return codec && !isTelephoneEvent(codec) ? codec.clockRate : undefined;
  }

  private allowsLocalCandidate(candidate: ParsedCandidate): boolean {
    if (this.options.forceRelay) return candidate.type === 'relay';
    return this.allowsCandidate(candidate);
  }

  private allowsCandidate(candidate: ParsedCandidate): boolean {
    return usableCandidate(candidate, this.options);
  }

  private allowsPair(pair: CandidatePair): boolean {
    const local = pair.localCandidate;
    const remote = pair.remoteCandidate;
    if (this.options.forceRelay && local.type !== 'relay') return false;
    if (!this.options.loopbackOnly) return true;
    const allowed = (type: string, address: string) => type === 'relay' || isLoopback(address);
    return allowed(local.type, local.host) && allowed(remote.type, remote.host);
  }

  private isClosed(): boolean {
    return this.currentState === 'closed';
  }
}

// ---------------------------------------------------------------------------------------------
// werift conversions and workarounds.

function toWeriftCodec(codec: SdpCodec): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: `audio/${codec.name}`,
    clockRate: codec.clockRate,
    channels: codec.channels,
    payloadType: codec.payloadType,
    parameters: codec.parameters,
  });
}

export function toWeriftRtcp(report: RtcpReport): RtcpSrPacket | RtcpRrPacket {
  const reports = report.blocks.map(
    (block) =>
      new RtcpReceiverInfo({
        ssrc: block.ssrc,
        fractionLost: Math.round(block.fractionLost * 256),
        packetsLost: block.packetsLost & 0xffffff,
        highestSequence: block.highestSequence,
        jitter: block.jitter,
        lsr: block.lsr,
        dlsr: block.dlsr,
      }),
  );
  if (!report.sender) return new RtcpRrPacket({ ssrc: report.ssrc, reports });
  return new RtcpSrPacket({ ssrc: report.ssrc, senderInfo: new RtcpSenderInfo(report.sender), reports });
}

export function fromWeriftRtcp(packet: { type: number }): RtcpReport | undefined {
  const block = (info: RtcpReceiverInfo): RtcpReportBlock => ({
    ssrc: info.ssrc,
    fractionLost: info.fractionLost / 256,
    packetsLost: info.packetsLost >= 0x800000 ? info.packetsLost - 0x1000000 : info.packetsLost,
    highestSequence: info.highestSequence,
    jitter: info.jitter,
    lsr: info.lsr,
    dlsr: info.dlsr,
  });
  if (packet.type === RtcpSrPacket.type) {
    const sr = packet as RtcpSrPacket;
    const { ntpTimestamp, rtpTimestamp, packetCount, octetCount } = sr.senderInfo;
    return { type: 'sr', ssrc: sr.ssrc, sender: { ntpTimestamp, rtpTimestamp, packetCount, octetCount }, blocks: sr.reports.map(block) };
  }
  if (packet.type === RtcpRrPacket.type) {
    const rr = packet as RtcpRrPacket;
    return { type: 'rr', ssrc: rr.ssrc, blocks: rr.reports.map(block) };
  }
  return undefined;
}

async function makeCertificate(): Promise<RTCCertificate> {
  const ecdsa = 3; // werift's SignatureAlgorithm.ecdsa_3, HashAlgorithm.sha256_4, NamedCurveAlgorithm.secp256r1_23
  const { certPem, keyPem, signatureHash } = await createSelfSignedCertificate({ signature: ecdsa, hash: 4 }, 23);
  return new RTCCertificate(keyPem, certPem, signatureHash);
}

/**
 * werift's DTLS flights retransmit in loops of uncancellable timers (up to ~33 s) that only look
 * at the handshake's flight counter, and a client starts its first flight 100 ms after the
 * transport started, even if closed meanwhile. Without this, a leg closed during its handshake
 * keeps the process alive for half a minute.
 */
function stopDtlsRetransmissions(dtls: RTCDtlsTransport): void {
  const socket = dtls.dtls as unknown as { connect?: () => Promise<void>; dtls?: { flight: number } } | undefined;
  if (!socket) return;
  if (socket.connect) socket.connect = async () => {};
  if (socket.dtls) socket.dtls.flight = Number.MAX_SAFE_INTEGER;
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

function fingerprintOf(certificateDer: Buffer): string {
  return createHash('sha256').update(certificateDer).digest('hex').toUpperCase().match(/../g)!.join(':');
}

function sameFingerprint(sdpFingerprint: string, certificateDer: Buffer): boolean {
  const [algorithm, value] = sdpFingerprint.split(/\s+/);
  const hash = algorithm.toLowerCase().replace('-', '');
  if (!['sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(hash) || !value) return false;
  const actual = createHash(hash).update(certificateDer).digest('hex');
  return actual === value.replace(/:/g, '').toLowerCase();
}

function checkRemoteSdp(remote: SdpSummary, type: 'offer' | 'answer'): void {
  if (!remote.hasAudio) throw new RtpTransportError('bad-sdp', `remote ${type} has no m=audio line`);
  if (remote.fingerprints.length === 0) {
    throw new RtpTransportError('no-fingerprint', `remote ${type} has no a=fingerprint: DTLS-SRTP is required (plain RTP goes through PlainRtpTransport)`);
  }
  if (!remote.rtcpMux) throw new RtpTransportError('bad-sdp', `remote ${type} lacks a=rtcp-mux, which is required (one ICE component)`);
  if (type === 'answer' && remote.setup === 'actpass') {
    throw new RtpTransportError('bad-sdp', 'remote answer says a=setup:actpass; an answer must choose active or passive');
  }
}
