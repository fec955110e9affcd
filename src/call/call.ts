// One call leg: a Jingle session (jingle/) joined to a media transport, a sender and a playout (media/). The
// transport is DTLS-SRTP (RtpTransport), or plain RTP (PlainRtpTransport) when the user allowed insecure RTP and
// the call has no DTLS: offered so by us, or by a peer without DTLS-SRTP (Gajim 1.7).
// The Endpoint routes stanzas to it; it never reads the XMPP connection itself, only the Signalling it is given.
// Once ICE and DTLS are up, CallMedia (call-media.ts) sends and receives; leg-files.ts writes what the leg leaves
// beside its recording.
import { randomBytes, randomInt } from 'node:crypto';
import { Event, logger } from '../util/index.js';
import {
  JingleError,
  JingleSession,
  candidateToSdp,
  contentsToSdp,
  negotiateCodec,
  offeredPayloadTypes,
  sdpToCandidate,
  sdpToContents,
  type Content,
  type IceRestart,
  type Jingle,
  type JmiMessage,
  type PayloadType,
  type Reason,
  type SessionInfo,
} from '../jingle/index.js';
import { PacketCapture, RtpTransport, dtmfPackets, recordingPathProblem, type SdpCodec, type TelephoneEvent } from '../media/index.js';
import type { MediaTransport, RtpTransportStats, SelectedCandidatePair } from '../media/media-transport.js';
import { PlainRtpTransport } from '../media/plain-rtp-transport.js';
import { ImpairedLink, type Profile } from '../netsim/index.js';
import { CallMedia } from './call-media.js';
import { DEFAULT_CODECS, type CallMediaOptions, type CallPhase, type DtmfOptions, type LiveCallStats, type OutgoingCallOptions, type RemoteState, type Signalling } from './call-options.js';
import type { ReceivedStream, SentStream } from './direction-scores.js';
import { describeImpairmentRun, writeCapture, writeFateLog, writePacketLog } from './leg-files.js';
import type { CallLegResult, TimelineEntry } from './result.js';

export type { CallMediaOptions, DtmfOptions, Impairment, LiveCallStats, OutgoingCallOptions, ReferenceAudio, RemoteState, Signalling } from './call-options.js';

const log = logger('call');

const DTMF_STRING = /^[0-9*#A-D]+$/i;

export class Call {
  readonly onEnded = new Event<[CallLegResult]>();
  readonly onConnected = new Event<[]>();
  /** An ICE restart this end started was answered by the peer: checks of the new generation run. */
  readonly onIceRestartAnswered = new Event<[]>();
  /** Every RFC 4733 event packet received (a tone's end packet comes up to three times). */
  readonly onTelephoneEvent = new Event<[TelephoneEvent]>();
  /** Every session-info the peer sent (ringing, active, hold, unhold, mute, unmute). */
  readonly onSessionInfo = new Event<[SessionInfo]>();
  readonly timeline: TimelineEntry[] = [];
  readonly session: JingleSession;
  readonly ended: Promise<CallLegResult>;

  private readonly startedAt = performance.now();
  /** Made with the offer: ours (caller), or the peer's, whose DTLS fingerprint or lack of one decides (callee). */
  private transport?: MediaTransport;
  private readonly link: ImpairedLink | undefined;
  private readonly capture: PacketCapture | undefined;
  /** Requests the session emitted while it handled a peer's request: they go out after our iq result. */
  private readonly heldRequests: Jingle[] = [];
  private handlingRequest = false;
  private readonly ssrc = randomInt(1, 2 ** 32 - 1);
  private phase: CallPhase = 'signalling';
  private media?: CallMedia;
  private ringTimer?: NodeJS.Timeout;
  private codec?: PayloadType;
  private telephoneEvent?: PayloadType;
  private answered = false;
  private rang = false;
  private offeredContents?: Content[];
  /** The audio content's name, for mute/unmute (both ends name contents the same). */
  private audioContentName?: string;
  private localHold = false;
  private localMute = false;
  private readonly remote: RemoteState = { held: false, muted: false };

  private constructor(
    private readonly signalling: Signalling,
    readonly role: 'initiator' | 'responder',
    sid: string,
    peer: string,
    private readonly options: CallMediaOptions,
    readonly usesJmi: boolean,
  ) {
    this.session = new JingleSession({ sid, role, self: signalling.self, peer, allowInsecureRtp: options.insecureRtp ?? false });
    this.ended = this.onEnded.next().then(([result]) => result);
    this.link = options.impairment && new ImpairedLink(options.impairment.profile, options.impairment.seed);
    this.capture = options.capturePath === undefined ? undefined : new PacketCapture();
    this.wire();
  }

  /** The call's media transport, made once: plain RTP only when insecure RTP is allowed and there is no DTLS. */
  private useTransport(dtls: boolean): MediaTransport {
    if (this.transport) return this.transport;
    const options = this.options;
    const transportOptions = {
      gate: this.link,
      capture: this.capture,
      codecs: offeredPayloadTypes(options.codecs).map(toSdpCodec),
      iceServers: options.iceServers ?? [],
      loopbackOnly: options.loopbackOnly ?? true,
      ipv6: options.ipv6,
      ssrc: this.ssrc,
      connectTimeoutMs: options.connectTimeoutMs,
    };
    const transport: MediaTransport =
      dtls || !options.insecureRtp ? new RtpTransport({ ...transportOptions, forceRelay: options.forceRelay }) : new PlainRtpTransport(transportOptions);
    if (transport.encryption === 'none') this.mark('media is plain RTP: unencrypted (insecure RTP allowed)');
    this.transport = transport;
    this.wireTransport(transport);
    return transport;
  }

  get id(): string {
    return this.session.sid;
  }

  get peer(): string {
    return this.session.peer;
  }

  /** Our own full JID. */
  get self(): string {
    return this.signalling.self;
  }

  /** Places a call: JMI propose first if asked, then session-initiate with our offer. */
  static outgoing(signalling: Signalling, target: string, options: OutgoingCallOptions): Call {
    const useJmi = options.jmi ?? !target.includes('/');
    if (!useJmi && !target.includes('/')) throw new Error(`a direct session-initiate needs a full JID (user@host/resource), not ${target}`);
    const cannotRecord = options.recordPath === undefined ? undefined : recordingPathProblem(options.recordPath);
    if (cannotRecord) throw new Error(cannotRecord);
    const call = new Call(signalling, 'initiator', options.sid ?? newSid(), target, options, useJmi);
    call.ringTimer = setTimeout(() => call.hangUp({ condition: 'timeout', text: 'nobody answered the call' }), options.ringTimeoutMs ?? 30_000);
    if (useJmi) {
      call.mark('propose sent');
      call.session.propose(['audio']);
    } else {
      void call.sendOffer();
    }
    return call;
  }

  /** A call the peer proposed (JMI) or initiated; `answer()` takes it, `decline()` refuses it. */
  static incoming(signalling: Signalling, sid: string, from: string, options: CallMediaOptions, viaJmi: boolean): Call {
    return new Call(signalling, 'responder', sid, from, options, viaJmi);
  }

  /** Why this call's recording cannot be written (checked before answering), or undefined. */
  recordingProblem(): string | undefined {
    return this.options.recordPath === undefined ? undefined : recordingPathProblem(this.options.recordPath);
  }

  /** Initiator: a device of the callee acknowledged our JMI propose (XEP-0184): it is reachable, if not yet ringing. */
  proposeDelivered(device: string): void {
    if (this.role === 'initiator' && this.session.state === 'proposed') this.mark(`propose delivered to ${device}`);
  }

  /** Responder: ring, then proceed (JMI) or accept once the offer is here. */
  answer(): void {
    this.answered = true;
    if (this.session.state === 'proposed') {
      this.ring();
      this.session.proceed();
      this.mark('proceed sent');
    } else if (this.session.state === 'pending') {
      void this.acceptOffer();
    }
  }

  decline(text = 'earshot does not take calls from this caller'): void {
    this.session.terminate({ condition: 'decline', text });
  }

  /** Responder: tells the caller this device is ringing (JMI ringing, or session-info ringing for a direct call). */
  ring(): void {
    if (this.rang || (this.session.state !== 'proposed' && this.session.state !== 'pending')) return;
    this.rang = true;
    this.session.ring();
  }

  /** Responder: refuses the call as a person would, declining it or saying they are busy. */
  reject(condition: 'decline' | 'busy', text?: string): void {
    this.session.terminate({ condition, ...(text ? { text } : {}) });
  }

  /** Changes the network profile at this end from now on (a call placed without one starts clean). */
  switchProfile(profile: Profile): void {
    if (!this.link) throw new Error('this call was placed without an impairment link; give it a profile (clean) when placing it');
    this.link.switchProfile(profile);
    this.mark(`network profile ${profile.name}`);
  }

  /** Puts something that happened outside the call (the XMPP connection dropped and resumed, say) on its timeline. */
  note(event: string): void {
    this.mark(event);
  }

  /** The candidate pair the media flows over (ICE's selected pair): the last one once the call ended; undefined before media connected. */
  selectedPair(): SelectedCandidatePair | undefined {
    return this.transport?.selectedPair();
  }

  /** Figures while the call runs, for progress displays. */
  liveStats(): LiveCallStats {
    const playout = this.media?.playout.stats;
    const rtcp = this.transportStats();
    return {
      phase: this.phase,
      codec: this.codec?.name,
      sent: this.media?.sender.log.length ?? 0,
      received: playout?.received ?? 0,
      lost: playout?.lost ?? 0,
      concealed: playout?.concealed ?? 0,
      jitterMs: rtcp.jitterMs,
      rttMs: rtcp.rttMs,
      meanBufferDelayMs: playout?.meanBufferDelayMs,
    };
  }

  /** Ends the call by whatever its state calls for (retract, reject, or session-terminate), with a reason. */
  hangUp(reason: Reason = { condition: 'success' }): void {
    this.session.terminate(reason);
  }

  /** A Jingle request for this session; the reply goes back as the iq result or error. */
  receiveJingle(jingle: Jingle, from: string): void {
    this.handlingRequest = true;
    try {
      const outcome = this.session.receive(jingle, from);
      if (outcome.reply === 'error') throw outcome.error;
    } finally {
      this.handlingRequest = false;
    }
  }

  receiveJmi(message: JmiMessage, from: string): boolean {
    return this.session.receiveJmi(message, from);
  }

  /** The peer's hold and mute state, from its session-info. */
  get remoteState(): RemoteState {
    return { ...this.remote };
  }

  get isOnHold(): boolean {
    return this.localHold;
  }

  get isMuted(): boolean {
    return this.localMute;
  }

  /**
   * Sends DTMF digits (0-9, *, #, A-D) as RFC 4733 telephone events in the audio stream, one tone after the other,
   * in place of audio frames. Resolves once the last packet is sent; rejects, sending nothing, when the digits
   * or options are invalid, media is not up, the call is on hold, or the peer negotiated no telephone-event.
   */
  async sendDtmf(digits: string, options: DtmfOptions = {}): Promise<void> {
    if (!DTMF_STRING.test(digits)) throw new RangeError(`cannot send DTMF '${digits}': only the digits 0-9, *, #, A-D are allowed`);
    const { sender } = this.requireMedia('send DTMF');
    const telephoneEvent = this.telephoneEvent;
    if (!telephoneEvent) throw new Error(`cannot send DTMF: the peer did not negotiate telephone-event (RFC 4733) for ${this.codec?.name}`);
    if (this.localHold) throw new Error('cannot send DTMF while the call is on hold');
    const clockRate = telephoneEvent.clockrate ?? this.codec?.clockrate ?? 8000;
    const tones = [...digits].map((digit) => dtmfPackets(digit, { clockRate, ...options }));
    await Promise.all(tones.map((payloads) => sender.sendTelephoneEvent(telephoneEvent.id, payloads)));
    this.mark(`DTMF ${digits.toUpperCase()} sent`);
  }

  /**
   * Puts the call on hold: session-info <hold/> (XEP-0167 §7.2.2), and our audio stops until `unhold()`.
   * We keep receiving and recording what the peer sends: earshot is a test client, the held party decides
   * for itself whether to go on sending. Nothing happens when already on hold.
   */
  hold(): void {
    const { sender } = this.requireMedia('hold');
    if (this.localHold) return;
    this.localHold = true;
    sender.pause();
    this.session.sendInfo({ type: 'hold' });
    this.mark('hold sent');
  }

  /** Takes the call off hold: session-info <unhold/>, and our audio resumes (timestamps account for the pause). */
  unhold(): void {
    const { sender } = this.requireMedia('unhold');
    if (!this.localHold) return;
    this.localHold = false;
    sender.resume();
    this.session.sendInfo({ type: 'unhold' });
    this.mark('unhold sent');
  }

  /**
   * Mutes our audio: session-info <mute/> for the audio content (XEP-0167 §7.2.3), and encoded digital silence
   * in place of the audio, as WebRTC clients do with a disabled track: the stream goes on, so the peer's
   * statistics and media watchdog see a live call.
   */
  mute(): void {
    this.setMuted(true);
  }

  unmute(): void {
    this.setMuted(false);
  }

  private setMuted(muted: boolean): void {
    const { sender } = this.requireMedia(muted ? 'mute' : 'unmute');
    if (this.localMute === muted) return;
    this.localMute = muted;
    sender.setMuted(muted);
    const type = muted ? 'mute' : 'unmute';
    this.session.sendInfo(this.audioContentName ? { type, creator: 'initiator', name: this.audioContentName } : { type });
    this.mark(`${type} sent`);
  }

  /**
   * Restarts ICE while media flows (as Conversations does after a network change): new local credentials in a
   * transport-info without candidates, then the new generation's candidates; DTLS and SRTP go on. The peer's
   * answer completes it; if the restart cannot be made or completed, the call ends with failed-transport.
   */
  async restartIce(): Promise<void> {
    this.requireMedia('restart ICE');
    const contentName = this.audioContentName;
    if (!contentName) throw new Error('cannot restart ICE: no audio content');
    try {
      const local = await this.transport!.startIceRestart();
      if (this.session.state === 'ended') return;
      this.session.restartIce(contentName, local.ufrag, local.pwd);
      this.mark(`ICE restart sent: new ufrag ${local.ufrag}`);
    } catch (error) {
      this.iceRestartFailed(error);
    }
  }

  private async iceRestarted(restart: IceRestart): Promise<void> {
    const transport = this.transport;
    if (!transport) return this.mark('ICE restart before any media negotiation: ignored');
    const remote = { ufrag: restart.ufrag, pwd: restart.pwd };
    try {
      if (restart.kind === 'offer') {
        this.mark(`ICE restart received: peer ufrag ${restart.ufrag}`);
        const local = await transport.restartIce(remote);
        if (this.session.state === 'ended') return;
        // Our new credentials go out with our first candidate of the new generation (onLocalCandidate).
        this.session.answerIceRestart(restart.contentName, local.ufrag, local.pwd);
        this.mark(`ICE restart answered: new ufrag ${local.ufrag}`);
      } else {
        await transport.completeIceRestart(remote);
        this.mark(`ICE restart answer received: peer ufrag ${restart.ufrag}`);
        this.onIceRestartAnswered.emit();
      }
    } catch (error) {
      return this.iceRestartFailed(error);
    }
    for (const candidate of restart.candidates) {
      transport.addRemoteCandidate(candidateToSdp(candidate), restart.contentName).catch((error: unknown) => log.debug(`candidate ignored: ${String(error)}`));
    }
  }

  private iceRestartFailed(error: unknown): void {
    const text = `ICE restart failed: ${error instanceof Error ? error.message : String(error)}`;
    this.mark(text);
    this.hangUp({ condition: 'failed-transport', text });
  }

  private requireMedia(action: string): CallMedia {
    if (this.phase !== 'media' || !this.media) throw new Error(`cannot ${action}: media is not up (the call is ${this.phase})`);
    return this.media;
  }

  private remoteInfo(info: SessionInfo): void {
    if (info.type === 'hold') this.remote.held = true;
    if (info.type === 'unhold') {
      this.remote.held = false;
      this.media?.peerResumed();
    }
    if (info.type === 'mute' || info.type === 'unmute') this.remote.muted = info.type === 'mute';
    if (info.type !== 'ringing') this.mark(`${info.type} received`); // ringing is on the timeline already
    this.onSessionInfo.emit(info);
  }

  private wire(): void {
    const { session } = this;
    session.onSend.subscribe((jingle) => {
      // XEP-0166: the peer's request is acknowledged before anything it caused (a terminate, say) is sent.
      if (this.handlingRequest || this.heldRequests.length > 0) {
        if (this.heldRequests.push(jingle) === 1) setImmediate(() => this.sendHeldRequests());
        return;
      }
      this.sendRequest(jingle);
    });
    session.onSendJmi.subscribe((message) => {
      this.signalling.sendJmi(session.peer, message).catch((error: unknown) => log.warn(`JMI ${message.kind} not sent: ${String(error)}`));
    });
    session.onRinging.subscribe(() => this.mark('ringing'));
    session.onStateChange.subscribe((state) => {
      if (state === 'proceeding' && this.role === 'initiator') {
        this.mark('proceed received');
        void this.sendOffer();
      }
      if (state === 'active') clearTimeout(this.ringTimer);
    });
    session.onSessionInfo.subscribe((info) => this.remoteInfo(info));
    session.onRemoteContents.subscribe((contents, action) => {
      this.mark(`${action} received`);
      this.audioContentName ??= contents.find((c) => c.description?.media === 'audio')?.name;
      if (action === 'session-initiate') this.answerWhenAsked(contents);
      else void this.applyAnswer(contents);
    });
    session.onRemoteCandidates.subscribe((contentName, candidates) => {
      const transport = this.transport;
      if (!transport) return log.debug('candidates before any offer: ignored');
      for (const candidate of candidates) {
        transport.addRemoteCandidate(candidateToSdp(candidate), contentName).catch((error: unknown) => log.debug(`candidate ignored: ${String(error)}`));
      }
    });
    session.onIceRestart.subscribe((restart) => void this.iceRestarted(restart));
    session.onTerminated.subscribe((reason, by) => void this.finish(reason, by));
  }

  private wireTransport(transport: MediaTransport): void {
    const { session } = this;
    transport.onLocalCandidate.subscribe((candidate, mid) => {
      if (session.state !== 'ended') session.sendCandidate(mid, sdpToCandidate(candidate));
    });
    transport.onConnected.subscribe(() => this.startMedia());
    transport.onFailed.subscribe((error) => {
      this.mark(`transport failed: ${error.message}`);
      this.hangUp({ condition: error.reason === 'fingerprint-mismatch' || error.reason === 'dtls-failed' ? 'security-error' : 'connectivity-error', text: error.message });
    });
  }

  private sendRequest(jingle: Jingle): void {
    this.mark(`${jingle.action} sent`);
    this.signalling.sendJingle(this.session.peer, jingle).catch((error: unknown) => this.requestFailed(jingle, error));
  }

  private sendHeldRequests(): void {
    for (const jingle of this.heldRequests.splice(0)) this.sendRequest(jingle);
  }

  /** Responder: an offer arrived; accepted at once if the call was already answered (JMI proceed). */
  private answerWhenAsked(contents: Content[]): void {
    this.offeredContents = contents;
    const audio = contents.find((c) => c.description?.media === 'audio');
    this.useTransport(audio?.transport?.fingerprint !== undefined);
    const chosen = audio?.description && negotiateCodec(audio.description.payloadTypes, this.options.codecs ?? DEFAULT_CODECS);
    if (!chosen) {
      this.session.terminate({ condition: 'failed-application', text: 'no audio codec in common (earshot speaks opus, PCMU, PCMA)' });
      return;
    }
    this.codec = chosen.audio;
    this.telephoneEvent = chosen.telephoneEvent;
    if (this.answered) void this.acceptOffer();
  }

  private async acceptOffer(): Promise<void> {
    if (!this.offeredContents) return;
    try {
      // Our iq result for the session-initiate goes out first.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.session.state !== 'pending') return;
      if (!this.usesJmi) this.ring();
      const allowInsecureRtp = this.options.insecureRtp ?? false;
      const offer = contentsToSdp(this.offeredContents, { sessionId: this.id, type: 'offer', allowInsecureRtp });
      const answer = await this.transport!.acceptOffer(offer); // made with the offer (answerWhenAsked)
      if (this.session.state !== 'pending') return;
      this.session.accept(sdpToContents(answer, { creator: 'initiator', author: 'responder', allowInsecureRtp }));
      this.phase = 'connecting';
    } catch (error) {
      this.failSetup(error);
    }
  }

  private async sendOffer(): Promise<void> {
    try {
      // Gajim 1.7 cannot answer a DTLS offer: with insecure RTP allowed, the caller offers plain RTP.
      const offer = await this.useTransport(!this.options.insecureRtp).createOffer();
      if (this.session.state === 'ended') return;
      this.session.initiate(sdpToContents(offer, { creator: 'initiator', allowInsecureRtp: this.options.insecureRtp ?? false }));
    } catch (error) {
      this.failSetup(error);
    }
  }

  private async applyAnswer(contents: Content[]): Promise<void> {
    try {
      const transport = this.transport;
      if (!transport) throw new Error('an answer arrived before we made an offer');
      await transport.acceptAnswer(contentsToSdp(contents, { sessionId: this.id, type: 'answer', allowInsecureRtp: this.options.insecureRtp ?? false }));
      this.phase = 'connecting';
      const audio = contents.find((c) => c.description?.media === 'audio')?.description;
      this.codec = audio?.payloadTypes.find((pt) => pt.name.toLowerCase() !== 'telephone-event');
      this.telephoneEvent = audio?.payloadTypes.find((pt) => pt.name.toLowerCase() === 'telephone-event' && pt.clockrate === this.codec?.clockrate);
    } catch (error) {
      this.failSetup(error);
    }
  }

  private failSetup(error: unknown): void {
    const reason = error instanceof JingleError ? error.reason ?? 'failed-application' : 'failed-application';
    this.mark(`setup failed: ${String(error)}`);
    this.hangUp({ condition: reason, text: error instanceof Error ? error.message : String(error) });
  }

  private requestFailed(jingle: Jingle, error: unknown): void {
    const text = `the peer refused our ${jingle.action}: ${error instanceof Error ? error.message : String(error)}`;
    this.mark(text);
    if (jingle.action === 'session-terminate' || this.session.state === 'ended') return;
    if (jingle.action === 'session-initiate' || jingle.action === 'session-accept') {
      // A refused initiate/accept leaves nothing to terminate on the peer's side (XEP-0166 §6.3.2).
      this.session.terminate({ condition: 'failed-application', text });
    }
  }

  private startMedia(): void {
    if (this.phase === 'media' || this.phase === 'ended' || !this.codec) return;
    this.phase = 'media';
    this.mark('media connected');
    try {
      this.media = new CallMedia(this.transport!, this.codec, this.telephoneEvent, this.ssrc, this.options, {
        mark: (event) => this.mark(event),
        peerSilent: (timeoutMs) => this.hangUp({ condition: 'connectivity-error', text: `no media from the peer for ${timeoutMs / 1000} s` }),
        playoutFailed: (error) => this.hangUp({ condition: 'general-error', text: `cannot play out or record: ${error.message}` }),
        telephoneEvent: (event: TelephoneEvent) => this.onTelephoneEvent.emit(event),
        peerHolds: () => this.remote.held,
      });
    } catch (error) {
      // The path stays on our side: the peer learns only why the call ends.
      this.mark(`cannot record: ${(error as Error).message}`);
      log.error(`cannot record: ${(error as Error).message}`);
      this.hangUp({ condition: 'general-error', text: 'earshot cannot write its recording of the call' });
      return;
    }
    this.onConnected.emit();
  }

  private async finish(reason: Reason, by: 'local' | 'remote'): Promise<void> {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.mark(`ended by ${by}: ${reason.condition}${reason.text ? ` (${reason.text})` : ''}`);
    clearTimeout(this.ringTimer);
    this.media?.stop();
    const transportStats = this.transportStats();
    await this.transport?.close();
    this.link?.stop();
    const { recordPath, capturePath } = this.options;
    const packetLog = this.media && recordPath ? await writePacketLog(this.media.playout, recordPath) : undefined;
    const capture = this.capture && capturePath ? await writeCapture(this.capture, capturePath) : undefined;
    const result = this.buildResult(reason, by, transportStats);
    if (capture) result.capture = capture;
    if (result.impairment && recordPath) result.impairment.fateLog = await writeFateLog(this.link!, recordPath);
    this.onEnded.emit({ ...result, packetLog });
  }

  private transportStats(): RtpTransportStats {
    return this.transport?.stats() ?? { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0, packetsLost: 0, rtcpSent: 0, rtcpReceived: 0 };
  }

  private buildResult(reason: Reason, by: 'local' | 'remote', transport: RtpTransportStats): CallLegResult {
    const media = this.media;
    const sender = media?.sender.stats;
    const playout = media?.playout.stats;
    return {
      id: this.id,
      role: this.role,
      self: this.signalling.self,
      peer: this.peer,
      signalling: this.usesJmi ? 'jmi' : 'direct',
      encryption: this.transport?.encryption ?? 'dtls-srtp',
      codec: this.codec ? { name: this.codec.name, clockRate: this.codec.clockrate ?? 0, payloadType: this.codec.id } : undefined,
      setupMs: media && round(media.connectedAt - this.startedAt),
      firstMediaMs: media?.firstMediaAt === undefined ? undefined : round(media.firstMediaAt - this.startedAt),
      mediaMs: media ? round(performance.now() - media.connectedAt) : 0,
      end: { condition: reason.condition, text: reason.text, by },
      reference: this.options.play.path,
      recording: media ? this.options.recordPath : undefined,
      sendingStartedAt: media?.speechStartedAt,
      recordingStartedAt: media?.playout.startedAtMs,
      sent: { packets: sender?.packetsSent ?? 0, bytes: sender?.bytesSent ?? 0, latenessP99Ms: sender?.latenessP99Ms ?? 0 },
      received: playout
        ? {
            packets: playout.received,
            lost: playout.lost,
            late: playout.late,
            duplicates: playout.duplicates,
            concealed: playout.concealed,
            jitterMs: round(playout.jitterMs, 2),
            meanBufferDelayMs: round(playout.meanBufferDelayMs, 1),
          }
        : undefined,
      peerReport: transport.remotePacketsLost === undefined ? undefined : { lost: transport.remotePacketsLost, jitterMs: transport.remoteJitterMs },
      rttMs: transport.rttMs === undefined ? undefined : round(transport.rttMs, 2),
      impairment: this.link && describeImpairmentRun(this.link),
      timeline: this.timeline,
    };
  }

  /** What this leg sent and received, for scoring (direction-scores.ts); nothing where media never ran. */
  streams(): { sent?: SentStream; received?: ReceivedStream } {
    return this.media?.streams(this.transportStats()) ?? {};
  }

  private mark(event: string): void {
    this.timeline.push({ atMs: round(performance.now() - this.startedAt), event });
    log.info(`${this.id} ${event}`);
  }
}

function toSdpCodec(pt: PayloadType): SdpCodec {
  const parameters = Object.entries(pt.parameters).map(([k, v]) => `${k}=${v}`).join(';');
  return { payloadType: pt.id, name: pt.name, clockRate: pt.clockrate ?? 8000, channels: pt.channels, parameters: parameters || undefined };
}

function newSid(): string {
  return randomBytes(12).toString('base64url');
}

function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
