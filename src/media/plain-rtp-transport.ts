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
import { Candidate, Connection, RtcpPacketConverter, parseIceServers, type CandidatePair, type RtcpPacket } from 'werift';
import { logger } from '../util/index.js';
import { IceRtpTransport, type IceRtpTransportOptions, type RtcpOutlet, type RtpOutlet } from './ice-rtp-transport.js';
import { RtpTransportError, type IceCredentials, type SdpCodec } from './media-transport.js';
import { parseRtp, type RtpPacketFields } from './rtp-packet.js';
import {
  iceHostAddresses,
  isTelephoneEvent,
  parseSdpSummary,
  reachableIceServers,
  usablePair,
  type CandidatePairEnds,
  type ParsedCandidate,
  type SdpSummary,
} from './transport-common.js';

const log = logger('media/plain-rtp-transport');

/** Options as RtpTransport's, but no forceRelay. */
export type PlainRtpTransportOptions = IceRtpTransportOptions;

/** One ICE component: its own werift agent (and sockets). */
interface IceComponent {
  id: 1 | 2;
  agent: Connection;
  connected: boolean;
}

const PLAIN_PROFILES = new Set(['RTP/AVP', 'RTP/AVPF']);

export class PlainRtpTransport extends IceRtpTransport {
  readonly encryption = 'none';

  private readonly cname = randomBytes(9).toString('base64url');
  private components: IceComponent[] = [];
  private rtcpMux = false;
  private remoteSdp?: SdpSummary;

  constructor(options: PlainRtpTransportOptions) {
    super('PlainRtpTransport', log, options);
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
    this.negotiated = codecs;
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
    this.negotiated = codecs;
    // We did not offer rtcp-mux, but a peer that answers with it sends RTCP on component 1: follow it.
    if (remote.rtcpMux) this.dropRtcpComponent();
    await this.whileOpen(() => this.applyRemoteDescription(remote));
  }

  /** Not supported over plain RTP: rejects, and the transport carries on as it was. */
  startIceRestart(): Promise<IceCredentials> {
    return Promise.reject(iceRestartUnsupported());
  }

  /** Not supported over plain RTP: rejects, and the transport carries on as it was. */
  completeIceRestart(): Promise<void> {
    return Promise.reject(iceRestartUnsupported());
  }

  /** Not supported over plain RTP: rejects, and the transport carries on as it was. */
  restartIce(): Promise<IceCredentials> {
    return Promise.reject(iceRestartUnsupported());
  }

  /** Candidates of a component this transport does not run (once it runs any) are of no use. */
  protected acceptsRemoteCandidate(candidate: ParsedCandidate): boolean {
    return this.usable(candidate) && (!this.components.length || !!this.component(candidate.component));
  }

  protected async useRemoteCandidate(candidate: ParsedCandidate): Promise<void> {
    const component = this.component(candidate.component);
    if (!component) return;
    // Each agent runs one component, which werift numbers 1.
    const { foundation, transport, priority, address, port, type } = candidate;
    await component.agent.addRemoteCandidate(new Candidate(foundation, 1, transport, priority, address, port, type));
  }

  protected rtpOutlet(): RtpOutlet | undefined {
    const rtpComponent = this.component(1);
    if (!rtpComponent) return undefined;
    return { wireBytes: (_packet, serialized) => serialized.length, write: (_packet, serialized) => this.send(rtpComponent, Buffer.from(serialized)) };
  }

  protected rtcpOutlet(): RtcpOutlet | undefined {
    const component = this.component(this.rtcpMux ? 1 : 2);
    if (!component?.connected) return undefined;
    return { cname: this.cname, write: (_compound, serialized) => this.send(component, serialized) };
  }

  protected nominatedPair(): CandidatePairEnds | undefined {
    return this.component(1)?.agent.nominated;
  }

  protected async closeWire(): Promise<void> {
    await Promise.all(this.components.map(({ agent }) => closeAgent(agent)));
  }

  private component(id: number): IceComponent | undefined {
    return this.components.find((component) => component.id === id);
  }

  /** One agent per component, all with the first agent's credentials; resolves once every host candidate is there. */
  private async gather(controlling: boolean, ids: Array<1 | 2>): Promise<void> {
    const servers = parseIceServers(reachableIceServers(this.options.iceServers, this.options.loopbackOnly));
    for (const id of ids) {
      const agent = new Connection(controlling, {
        ...servers,
        ...iceHostAddresses(this.options),
        filterCandidatePair: (pair: CandidatePair) => usablePair(pair, this.options),
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
    void closeAgent(rtcpComponent.agent);
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
        .filter((candidate) => this.usable({ transport: candidate.transport.toLowerCase(), address: candidate.host, type: candidate.type }))
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
    await this.remoteCandidatesReady({ candidates: remote.candidates, mid: remote.mid ?? '' });
    this.connectComponents();
  }

  private connectComponents(): void {
    if (this.currentState !== 'negotiating') return;
    this.startConnecting(`ICE did not connect RTP (component 1) within ${this.options.connectTimeoutMs} ms`);
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
    if (component.id === 1) this.connected(this.nominatedPair());
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

  private send(component: IceComponent, bytes: Buffer): void {
    component.agent.send(bytes).catch((error: unknown) => log.debug(`send on component ${component.id} failed: ${String(error)}`));
  }

  /** Component 1 carries RTP, and RTCP too when muxed (told apart as RFC 5761 section 4 says); component 2 RTCP only. */
  private received(component: IceComponent, data: Buffer): void {
    if (this.isClosed()) return;
    if (component.id === 2 || isRtcp(data)) {
      this.receiveRtcpDatagram(data);
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
    this.receiveRtp(packet, data.length, () => data);
  }

  private receiveRtcpDatagram(data: Buffer): void {
    let compound: RtcpPacket[];
    try {
      compound = RtcpPacketConverter.deSerialize(data);
    } catch (error) {
      log.debug(`dropping malformed RTCP: ${(error as Error).message}`);
      return;
    }
    this.receiveRtcp(compound, data.length, data);
  }
}

function closeAgent(agent: Connection): Promise<void> {
  return agent.close().catch((error: unknown) => log.debug(`close: ${String(error)}`));
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

function iceRestartUnsupported(): Error {
  return new Error('ICE restart is not supported over plain RTP (only over DTLS-SRTP)');
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
