/**
 * One audio call leg over ICE + DTLS-SRTP, speaking SDP at its boundary (the default MediaTransport). With
 * plain-rtp-transport.ts (werift's ICE agent only) and rtcp-session.ts (werift's RTCP packets), the only module in
 * earshot that imports werift (0.24.4); everything werift-specific and every workaround for its WebRTC stack lives
 * here. What both transports share (state, gate, capture, RTCP timing) is in ice-rtp-transport.ts.
 *
 * What werift does and does not do for us (read from its source):
 * - `RTCRtpSender.sendRtp`/`track.writeRtp` overwrite the SSRC and the payload type (always the
 *   first negotiated codec, which would break telephone-event). We write through the DTLS
 *   transport instead (`RTCDtlsTransport.sendRtp(payload, header)`): our header goes out as is.
 *   The SSRC announced in SDP (`a=ssrc`) is ours (`localSsrc`), so packets must carry it.
 * - werift sends RTCP SR only for packets sent through its RTCRtpSender, RR only for SSRCs
 *   announced in the remote SDP, and its NTP timestamps are malformed (decimal digits of the
 *   fraction written as an integer). So werift's own reports are switched off and this module
 *   sends RFC 3550 compound reports itself (`RtcpSession`, with `RtcpState` as the pure core).
 * - The remote certificate fingerprint is checked after the DTLS handshake (mismatch: the DTLS
 *   transport fails). werift's default `iceServers` is a public Google STUN server, and its ICE
 *   agent falls back to that server (DNS lookup, then a binding request) even with `iceServers: []`:
 *   both are overridden.
 * - Every RTCPeerConnection in a process shares one certificate unless given its own: each
 *   transport makes its own, so fingerprints differ per leg.
 * - `setLocalDescription` resolves only after gathering is complete, so the returned SDP holds
 *   every candidate; `onLocalCandidate` replays them afterwards for trickle signalling.
 * - Some werift timers survive close(): DTLS handshake retransmissions (~33 s) and the TURN
 *   allocation refresh sleep (minutes). See `stopDtlsRetransmissions`, and `unrefWeriftLongSleeps` in
 *   ice-rtp-transport.ts (the TURN client is plain RTP's too).
 * - ICE restart: werift restarts its ICE agent when a remote description changes the ICE credentials, or for
 *   `createOffer({ iceRestart: true })`, and keeps the DTLS association, but starts ICE checks only while DTLS is
 *   not connected yet; after a restart they are started here (`checkNewGeneration`).
 * - Incoming compound RTCP arrives split into its parts (werift drops BYE, APP and XR parts); see
 *   `receiveRtcpPart`.
 */
import { createHash } from 'node:crypto';
import {
  RTCCertificate,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpRrPacket,
  RtcpSrPacket,
  RtpHeader,
  createSelfSignedCertificate,
  type CandidatePair,
  type RTCDtlsTransport,
  type RtcpPacket,
} from 'werift';
import { logger } from '../util/index.js';
import { IceRtpTransport, type IceRtpTransportOptions, type RtcpOutlet, type RtpOutlet } from './ice-rtp-transport.js';
import { RtpTransportError, type IceCredentials, type SdpCodec } from './media-transport.js';
import type { RtpPacketFields } from './rtp-packet.js';
import {
  filterCandidateLines,
  iceHostAddresses,
  parseCandidate,
  parseSdpSummary,
  reachableIceServers,
  toBuffer,
  usablePair,
  type CandidatePairEnds,
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

export interface RtpTransportOptions extends IceRtpTransportOptions {
  /** Default false: only relay candidates (needs a TURN server in `iceServers`). */
  forceRelay?: boolean;
}

/** RTP header plus the SRTP authentication tag (RFC 3711, HMAC-SHA1-80), on top of the payload. */
const SRTP_OVERHEAD_BYTES = 12 + 10;
/** A compound SR or RR with one report block and an SDES CNAME, SRTCP-protected: about this size. */
const RTCP_REPORT_BYTES = 90;

export class RtpTransport extends IceRtpTransport {
  readonly encryption = 'dtls-srtp';

  private readonly forceRelay: boolean;
  private pc?: RTCPeerConnection;
  private dtls?: RTCDtlsTransport;
  private certificate?: RTCCertificate;
  private remoteSdp?: SdpSummary;
  /** The remote description werift took last, the base of an ICE restart's renegotiation. */
  private remoteSdpText?: string;
  /** Which side of an ICE restart is under way, if one is. */
  private restarting?: 'offer' | 'answer';
  private readonly heldLocalCandidates: string[] = [];
  private holdingCandidates = true;
  private gatheringComplete = false;
  /** The incoming compound RTCP packet whose parts werift is handing over (see receiveRtcpPart). */
  private inboundRtcp?: RtcpPacket[];

  constructor(options: RtpTransportOptions) {
    super('RtpTransport', log, options);
    this.forceRelay = options.forceRelay ?? false;
    if (this.forceRelay && !this.options.iceServers.some((server) => /^turns?:/i.test(server.urls))) {
      throw new Error('forceRelay needs a turn: or turns: URL in iceServers');
    }
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
      this.negotiated = parseSdpSummary(answer).codecs;
      this.connectIceAndDtls();
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
    this.negotiated = remote.codecs;
    await this.whileOpen(async () => {
      await this.applyRemoteDescription(pc, 'answer', remoteSdp);
      this.connectIceAndDtls();
    });
  }

  /**
   * ICE restart, offering side: werift's ICE agent starts a new generation with new local credentials and gathers
   * again; the DTLS association and SRTP keys stay. The new candidates follow through onLocalCandidate.
   */
  async startIceRestart(): Promise<IceCredentials> {
    const pc = this.beginIceRestart('startIceRestart');
    return this.whileOpen(async () => {
      await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
      return this.finishIceRestart(pc, 'offer');
    });
  }

  /** ICE restart, offering side: the peer's new credentials from its answer; ICE then checks the new generation's pairs. */
  async completeIceRestart(remote: IceCredentials): Promise<void> {
    const pc = this.pc;
    if (this.restarting !== 'offer' || !pc) throw new Error('completeIceRestart needs an ICE restart begun with startIceRestart');
    await this.whileOpen(async () => {
      await this.applyRemoteDescription(pc, 'answer', this.remoteRenegotiation(remote));
      this.restarting = undefined;
      this.checkNewGeneration();
    });
  }

  /**
   * ICE restart, answering side: the peer's previous description with its new credentials is applied as a new
   * offer, which makes werift restart its ICE agent (new local credentials, a new gathering) and check the new
   * generation's pairs, while the DTLS association and SRTP keys stay. The new candidates follow through onLocalCandidate.
   */
  async restartIce(remote: IceCredentials): Promise<IceCredentials> {
    const pc = this.beginIceRestart('restartIce');
    return this.whileOpen(async () => {
      await this.applyRemoteDescription(pc, 'offer', this.remoteRenegotiation(remote));
      await pc.setLocalDescription(await pc.createAnswer());
      const local = this.finishIceRestart(pc, 'answer');
      this.restarting = undefined;
      this.checkNewGeneration();
      return local;
    });
  }

  private beginIceRestart(method: string): RTCPeerConnection {
    const { pc, dtls } = this;
    if (this.currentState !== 'connected' || !pc || !dtls || !this.remoteSdpText) {
      throw new Error(`${method} needs a connected transport (state ${this.currentState})`);
    }
    if (this.restarting) throw new Error(`${method} while an ICE restart (${this.restarting} side) is under way`);
    this.restarting = method === 'restartIce' ? 'answer' : 'offer';
    this.forgetRemoteGeneration();
    this.holdingCandidates = true;
    this.gatheringComplete = false;
    return pc;
  }

  private finishIceRestart(pc: RTCPeerConnection, side: 'offer' | 'answer'): IceCredentials {
    const local = parseSdpSummary(this.finishLocalDescription(pc));
    if (!local.iceUfrag || !local.icePwd) throw new Error(`werift's ICE restart ${side} has no a=ice-ufrag/a=ice-pwd`);
    log.info(`ICE restart (${side} side): new local ufrag ${local.iceUfrag}`);
    return { ufrag: local.iceUfrag, pwd: local.icePwd };
  }

  /**
   * werift starts ICE checks only while DTLS is not connected yet, so after a restart they are started here;
   * meanwhile packets go nowhere (werift's ICE has no nominated pair). No working pair fails the transport.
   */
  private checkNewGeneration(): void {
    const ice = this.dtls!.iceTransport;
    ice.start().catch((error: unknown) => {
      this.fail(new RtpTransportError('ice-failed', `ICE restart found no working candidate pair (${error instanceof Error ? error.message : String(error)})`));
    });
  }

  /**
   * The peer's last description with new ICE credentials and no candidates (they trickle), its a=setup pinned to
   * the DTLS role the peer already has, so that werift keeps the association it has.
   */
  private remoteRenegotiation(remote: IceCredentials): string {
    if (!/^[A-Za-z0-9+/]{4,256}$/.test(remote.ufrag) || !/^[A-Za-z0-9+/]{22,256}$/.test(remote.pwd)) {
      throw new RtpTransportError('bad-sdp', 'ICE restart credentials must be ice-chars: a ufrag of 4-256 and a pwd of 22-256');
    }
    const remoteSetup = this.dtls?.role === 'client' ? 'passive' : 'active';
    return this.remoteSdpText!.split(/\r?\n/)
      .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
      .map((line) => {
        if (line.startsWith('a=ice-ufrag:')) return `a=ice-ufrag:${remote.ufrag}`;
        if (line.startsWith('a=ice-pwd:')) return `a=ice-pwd:${remote.pwd}`;
        if (line.startsWith('a=setup:')) return `a=setup:${remoteSetup}`;
        return line;
      })
      .join('\r\n');
  }

  private connectIceAndDtls(): void {
    this.startConnecting(`ICE + DTLS did not connect within ${this.options.connectTimeoutMs} ms`);
  }

  /** One ICE component: RTCP is muxed, so candidates for component 2 are of no use. */
  protected acceptsRemoteCandidate(candidate: ParsedCandidate): boolean {
    return candidate.component === 1 && this.usable(candidate);
  }

  protected async useRemoteCandidate(candidate: ParsedCandidate, mid: string): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    try {
      await pc.addIceCandidate({ candidate: candidate.text, sdpMid: mid });
    } catch (error) {
      throw new Error(`cannot add remote candidate for mid '${mid}': ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Through the DTLS transport, not werift's RTCRtpSender, which would overwrite SSRC and payload type. */
  protected rtpOutlet(): RtpOutlet | undefined {
    const dtls = this.dtls;
    if (!dtls) return undefined;
    return {
      wireBytes: (packet) => packet.payload.byteLength + SRTP_OVERHEAD_BYTES,
      write: (packet) => void dtls.sendRtp(toBuffer(packet.payload), rtpHeader(packet)),
    };
  }

  protected rtcpOutlet(): RtcpOutlet | undefined {
    const { dtls, pc } = this;
    if (!dtls || !pc) return undefined;
    return {
      cname: pc.cname,
      wireBytes: RTCP_REPORT_BYTES,
      write: (compound) => void dtls.sendRtcp(compound).catch((error: unknown) => log.debug(`RTCP send failed: ${String(error)}`)),
    };
  }

  protected nominatedPair(): CandidatePairEnds | undefined {
    return this.dtls?.iceTransport.connection.nominated;
  }

  protected async closeWire(): Promise<void> {
    if (!this.pc) return;
    if (this.dtls) stopDtlsRetransmissions(this.dtls);
    await this.pc.close();
  }

  private async openPeerConnection(): Promise<RTCPeerConnection> {
    this.certificate = await makeCertificate();
    if (this.isClosed()) throw new Error('transport closed during negotiation');
    const { codecs } = this.options;
    const iceServers = reachableIceServers(this.options.iceServers, this.options.loopbackOnly);
    const host = iceHostAddresses(this.options);
    const pc = new RTCPeerConnection({
      iceServers,
      iceTransportPolicy: this.forceRelay ? 'relay' : 'all',
      iceUseIpv4: host.useIpv4,
      iceUseIpv6: host.useIpv6,
      iceAdditionalHostAddresses: host.additionalHostAddresses,
      iceInterfaceAddresses: host.interfaceAddresses,
      iceFilterCandidatePair: (pair: CandidatePair) => usablePair(pair, { ...this.options, forceRelay: this.forceRelay }),
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
    if (!iceServers.some((server) => /^stuns?:/i.test(server.urls))) ice.stunServer = undefined;
    this.dtls.onRtp.subscribe((rtp) => {
      const { payloadType, sequenceNumber, timestamp, ssrc, marker } = rtp.header;
      const packet: RtpPacketFields = { payloadType, sequenceNumber, timestamp, ssrc, marker, payload: rtp.payload };
      this.receiveRtp(packet, rtp.payload.length + SRTP_OVERHEAD_BYTES, () => rtp.serialize());
    });
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
      if (state === 'connected') this.connected(this.nominatedPair());
      else if (state === 'failed') this.fail(this.diagnoseFailure());
    });
    return pc;
  }

  private async applyRemoteDescription(pc: RTCPeerConnection, type: 'offer' | 'answer', remoteSdp: string): Promise<void> {
    // Unusable candidates never reach werift: it would resolve a .local one by multicast DNS.
    const sdp = filterCandidateLines(remoteSdp, (candidate) => this.acceptsRemoteCandidate(candidate));
    try {
      await pc.setRemoteDescription({ type, sdp });
      this.remoteSdpText = sdp;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/negotiate codecs failed/.test(message)) {
        const ours = this.options.codecs.map((codec) => codec.name).join(', ');
        const theirs = this.remoteSdp?.codecs.map((codec) => codec.name).join(', ') ?? '';
        throw new RtpTransportError('no-common-codec', `no common audio codec: the peer has ${theirs || 'none'}, we have ${ours}`);
      }
      throw new RtpTransportError('bad-sdp', `werift rejected the remote ${type}: ${message}`);
    }
    await this.remoteCandidatesReady();
  }

  private finishLocalDescription(pc: RTCPeerConnection): string {
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no local description');
    const local = filterCandidateLines(sdp, (candidate) => this.allowsLocalCandidate(candidate));
    this.localMid = parseSdpSummary(local).mid;
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

  private allowsLocalCandidate(candidate: ParsedCandidate): boolean {
    return this.forceRelay ? candidate.type === 'relay' : this.usable(candidate);
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
      this.receiveRtcp(compound, RTCP_REPORT_BYTES);
    });
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

function rtpHeader(packet: RtpPacketFields): RtpHeader {
  const { payloadType, sequenceNumber, timestamp, ssrc, marker } = packet;
  return new RtpHeader({ payloadType, sequenceNumber, timestamp, ssrc, marker });
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
