// One Jingle RTP session as a state machine with no I/O: requests and JMI messages go in, typed events come out.
//   XEP-0166 Jingle 1.1.2 (§6 state machine, §7 actions, §10 errors), XEP-0176 ICE-UDP 1.1 (trickle, ICE restart),
//   XEP-0167 RTP 1.2.2 §7.2 (ringing and other session-info), XEP-0353 JMI 0.6 (propose ... finish).
// Nothing is sent directly: every outgoing Jingle is emitted on onSend (the caller sends it as an iq set to
// `peer`) and every JMI message on onSendJmi (the caller wraps it with serializeJmi, `to: peer`).
// The sid is the caller's routing key: a request for an unknown sid is answered by the caller with
// `new JingleError({ jingleCondition: 'unknown-session', ... })`; this class checks sid and sender again.
// Events fire before receive() returns. The iq reply it returns should go out before anything a handler
// decides to send in response (e.g. a session-terminate for an offer the media layer cannot use).
// One request is answered by the session itself: an offer or answer whose media security is refused (no DTLS
// fingerprint and allowInsecureRtp off) is acknowledged, and the session-terminate with <security-error/> is
// emitted on onSend during receive(); a caller that sends the iq reply asynchronously should hold what onSend
// emits while receive() runs and send it after the reply (XEP-0166 §6.3.2: acknowledge, then terminate).
import { Event } from '../util/index.js';
import { JingleError } from './errors.js';
import type { JmiKind, JmiMessage } from './jmi.js';
import { mediaSecurity } from './media-security.js';
import type {
  Candidate,
  Content,
  IceUdpTransport,
  Jingle,
  Media,
  Reason,
  Role,
  SessionInfo,
} from './model.js';

export const SESSION_STATES = ['new', 'proposed', 'proceeding', 'pending', 'active', 'ended'] as const;
/**
 * new: nothing exchanged yet. proposed: JMI propose sent/received. proceeding: JMI proceed sent/received, the
 * session-initiate is next. pending: session-initiate sent/received, not yet accepted. active: accepted. ended.
 * Ringing is not a state: it can happen while proposed (JMI) or pending (session-info) and is an event.
 */
export type SessionState = (typeof SESSION_STATES)[number];

/** Which side a step comes from, and which step: a JMI message kind or a Jingle action. */
export type SessionEvent = `${'local' | 'remote'}:${JmiKind | HandledAction}`;

/** The Jingle actions a voice call needs; any other action is answered with feature-not-implemented. */
export const HANDLED_ACTIONS = ['session-initiate', 'session-accept', 'session-info', 'session-terminate', 'transport-info'] as const;
export type HandledAction = (typeof HANDLED_ACTIONS)[number];

type Table = Readonly<Record<SessionState, Readonly<Partial<Record<SessionEvent, SessionState>>>>>;

const IN_CALL_STEPS = (state: 'pending' | 'active') =>
  ({
    'local:transport-info': state,
    'remote:transport-info': state,
    'local:session-info': state,
    'remote:session-info': state,
    'local:session-terminate': 'ended',
    'remote:session-terminate': 'ended',
    'remote:finish': 'ended',
  }) as const;

const ENDED_STEPS = {
  // A terminate crossing ours on the wire is harmless: acknowledge it.
  'remote:session-terminate': 'ended',
  'remote:finish': 'ended',
} as const;

/** Every allowed step, per role and state. A step not listed is out of order. */
export const TRANSITIONS: Readonly<Record<Role, Table>> = {
  initiator: {
    new: { 'local:propose': 'proposed', 'local:session-initiate': 'pending', 'local:session-terminate': 'ended' },
    proposed: { 'remote:ringing': 'proposed', 'remote:proceed': 'proceeding', 'remote:reject': 'ended', 'local:retract': 'ended' },
    proceeding: { 'local:session-initiate': 'pending', 'local:retract': 'ended', 'remote:reject': 'ended' },
    pending: { ...IN_CALL_STEPS('pending'), 'remote:session-accept': 'active' },
    active: IN_CALL_STEPS('active'),
    ended: ENDED_STEPS,
  },
  responder: {
    new: { 'remote:propose': 'proposed', 'remote:session-initiate': 'pending', 'local:session-terminate': 'ended' },
    proposed: { 'local:ringing': 'proposed', 'local:proceed': 'proceeding', 'local:reject': 'ended', 'remote:retract': 'ended' },
    proceeding: { 'remote:session-initiate': 'pending', 'remote:retract': 'ended', 'local:reject': 'ended' },
    pending: { ...IN_CALL_STEPS('pending'), 'local:session-accept': 'active' },
    active: IN_CALL_STEPS('active'),
    ended: ENDED_STEPS,
  },
};

export type ReceiveResult = { reply: 'ack' } | { reply: 'error'; error: JingleError };

/** A local call that the session's state or role does not allow (a bug in the caller, not in the peer). */
export class JingleStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JingleStateError';
  }
}

export interface JingleSessionOptions {
  sid: string;
  role: Role;
  /** Our own full JID: written as initiator/responder. */
  self: string;
  /** The peer's JID. A bare JID while a JMI propose is out; the full JID of the answering device after proceed. */
  peer: string;
  /**
   * Take contents without a DTLS fingerprint as plain RTP (RTP/AVP) instead of ending the session with
   * security-error. Only on the user's explicit request: Farstream peers (Gajim 1.7) have no DTLS-SRTP. Default false.
   */
  allowInsecureRtp?: boolean;
}

/**
 * The peer changed a content's ICE credentials in a transport-info (XEP-0176 §2.7: ICE restart).
 * kind 'offer': the peer restarts ICE (Conversations sends the new ufrag/pwd with no candidates). Restart the ICE
 * agent with these remote credentials and fresh local ones, call answerIceRestart() with the local ones, then
 * trickle the new candidates with sendCandidate(). kind 'answer': the peer's reply to our restartIce(), usually
 * carrying its first new candidate.
 */
export interface IceRestart {
  contentName: string;
  kind: 'offer' | 'answer';
  ufrag: string;
  pwd: string;
  /** Candidates of the new generation that came with the credentials (rtcp-mux rule applied, as for trickle). */
  candidates: Candidate[];
}

interface Credentials {
  ufrag?: string;
  pwd?: string;
}

export class JingleSession {
  readonly sid: string;
  readonly role: Role;
  readonly self: string;

  /** A Jingle request to send as `<iq type="set" to={peer}>`. */
  readonly onSend = new Event<[Jingle]>();
  /** A JMI message to send with serializeJmi({ ...message, to: peer }). */
  readonly onSendJmi = new Event<[JmiMessage]>();
  readonly onStateChange = new Event<[to: SessionState, from: SessionState]>();
  /** The peer's contents, from its session-initiate or session-accept (candidates included, if any). */
  readonly onRemoteContents = new Event<[Content[], 'session-initiate' | 'session-accept']>();
  /**
   * Candidates trickled in a transport-info. Component-2 candidates of an rtcp-mux content are left out (Dino sends
   * them even with rtcp-mux), as contentsToSdp leaves them out of the session-initiate's.
   */
  readonly onRemoteCandidates = new Event<[contentName: string, candidates: Candidate[]]>();
  /** A transport-info with a new ufrag/pwd: an ICE restart, to act on as IceRestart describes. */
  readonly onIceRestart = new Event<[IceRestart]>();
  /** The callee's device is ringing (JMI ringing or session-info ringing). */
  readonly onRinging = new Event<[]>();
  /** Any session-info payload from the peer (ringing, hold, mute ...). */
  readonly onSessionInfo = new Event<[SessionInfo]>();
  readonly onTerminated = new Event<[reason: Reason, by: 'local' | 'remote']>();

  private currentState: SessionState = 'new';
  private currentPeer: string;
  private proposedMedia?: Media[];
  private usedJmi = false;
  private localContents: Content[] = [];
  private remoteContents: Content[] = [];
  private readonly localCredentials = new Map<string, Credentials>();
  private readonly remoteCredentials = new Map<string, Credentials>();
  /** Remote ufrags replaced by an ICE restart, per content: late candidates of that generation are dropped. */
  private readonly retiredRemoteUfrags = new Map<string, Set<string>>();
  /** Contents whose ICE we restarted and whose peer has not answered with new credentials yet. */
  private readonly localRestartsPending = new Set<string>();
  /** Contents whose ICE the peer restarted and that wait for answerIceRestart(). */
  private readonly remoteRestartsPending = new Set<string>();
  private readonly allowInsecureRtp: boolean;
  /** Candidates gathered before our session-initiate/accept went out: a transport-info must never precede it. */
  private queuedCandidates: Array<{ contentName: string; candidate: Candidate }> = [];
  private endReason?: Reason;

  constructor(options: JingleSessionOptions) {
    this.sid = options.sid;
    this.role = options.role;
    this.self = options.self;
    this.currentPeer = options.peer;
    this.allowInsecureRtp = options.allowInsecureRtp ?? false;
  }

  get state(): SessionState {
    return this.currentState;
  }

  get peer(): string {
    return this.currentPeer;
  }

  /** Why the session ended; undefined until it has. */
  get reason(): Reason | undefined {
    return this.endReason;
  }

  // ------------------------------------------------------------ remote input

  /** Handles a Jingle request from `from`; the caller sends the iq result or the error this returns. */
  receive(jingle: Jingle, from: string): ReceiveResult {
    if (from !== this.currentPeer || jingle.sid !== this.sid) {
      return this.refuse(
        new JingleError({
          jingleCondition: 'unknown-session',
          text: `no session ${jingle.sid} with ${from} (this session is ${this.sid} with ${this.currentPeer})`,
        }),
      );
    }
    if (!(HANDLED_ACTIONS as readonly string[]).includes(jingle.action)) {
      return this.refuse(new JingleError({ condition: 'feature-not-implemented', text: `action ${jingle.action} is not supported` }));
    }
    const action = jingle.action as HandledAction;
    const next = this.next(`remote:${action}`);
    if (!next) return this.refuse(this.outOfOrder(action));
    try {
      switch (action) {
        case 'session-initiate':
          return this.receiveInitiate(jingle, next);
        case 'session-accept':
          return this.receiveAccept(jingle, next);
        case 'transport-info':
          return this.receiveTransportInfo(jingle, next);
        case 'session-info':
          this.moveTo(next);
          if (jingle.info) {
            if (jingle.info.type === 'ringing') this.onRinging.emit();
            this.onSessionInfo.emit(jingle.info);
          }
          return { reply: 'ack' };
        case 'session-terminate':
          if (this.currentState !== 'ended') {
            this.end(jingle.reason ?? { condition: 'success', text: 'the peer gave no reason' }, 'remote');
          }
          return { reply: 'ack' };
      }
    } catch (error) {
      if (error instanceof JingleError) return this.refuse(error);
      throw error;
    }
  }

  /** Handles a JMI message; returns false when it is not for this session or not expected now (ignore it). */
  receiveJmi(message: JmiMessage, from: string): boolean {
    if (message.id !== this.sid) return false;
    const fromBare = bareJid(from);
    const fromOwnOtherDevice = fromBare === bareJid(this.self) && from !== this.self && from !== this.currentPeer;
    if (this.role === 'responder' && fromOwnOtherDevice && this.currentState === 'proposed') {
      // Our own other device answered or declined (seen through carbons).
      if (message.kind === 'proceed' || message.kind === 'reject') {
        const text = message.kind === 'proceed' ? 'answered on another device' : 'declined on another device';
        this.end({ condition: 'cancel', text }, 'local');
        return true;
      }
      return false;
    }
    // Before proceed any device of the peer may answer; after it, only the device that answered counts.
    const fromPeer = this.currentPeer.includes('/') ? from === this.currentPeer : fromBare === bareJid(this.currentPeer);
    if (!fromPeer) return false;
    const next = this.next(`remote:${message.kind}`);
    if (!next) return false;
    switch (message.kind) {
      case 'propose':
        this.proposedMedia = [...message.media];
        this.usedJmi = true;
        this.currentPeer = from;
        this.moveTo(next);
        return true;
      case 'ringing':
        this.onRinging.emit();
        return true;
      case 'proceed':
        // The session-initiate goes to the device that answered.
        this.currentPeer = from;
        this.moveTo(next);
        return true;
      case 'reject':
        this.end(message.reason ?? { condition: 'decline' }, 'remote');
        return true;
      case 'retract':
        this.end(message.reason ?? { condition: 'cancel' }, 'remote');
        return true;
      case 'finish':
        if (this.currentState !== 'ended') this.end(message.reason ?? { condition: 'success' }, 'remote');
        return true;
    }
  }

  private receiveInitiate(jingle: Jingle, next: SessionState): ReceiveResult {
    const contents = jingle.contents;
    if (!contents.length) throw JingleError.badRequest('session-initiate without content');
    assertUniqueNames(contents);
    for (const content of contents) {
      if (!content.description) {
        this.end({ condition: 'unsupported-applications', text: `content '${content.name}' is not RTP` }, 'local');
        throw new JingleError({ condition: 'feature-not-implemented', reason: 'unsupported-applications', text: `content '${content.name}' has no RTP description` });
      }
      if (!content.transport) {
        this.end({ condition: 'unsupported-transports', text: `content '${content.name}' is not ICE-UDP` }, 'local');
        throw new JingleError({ condition: 'feature-not-implemented', reason: 'unsupported-transports', text: `content '${content.name}' has no ICE-UDP transport` });
      }
    }
    if (this.proposedMedia) {
      const offered = uniqueSorted(contents.map((c) => (c.description as NonNullable<Content['description']>).media));
      const proposed = uniqueSorted(this.proposedMedia);
      if (offered.join() !== proposed.join()) {
        const text = `session-initiate media (${offered.join(', ')}) differs from the JMI propose (${proposed.join(', ')})`;
        this.end({ condition: 'security-error', text }, 'local');
        throw JingleError.badRequest(text, 'security-error');
      }
    }
    this.remoteContents = contents;
    for (const content of contents) this.rememberRemoteCredentials(content.name, content.transport);
    this.moveTo(next);
    const refusal = this.securityRefusal(contents);
    if (refusal) this.terminate(refusal);
    else this.onRemoteContents.emit(contents, 'session-initiate');
    return { reply: 'ack' };
  }

  private receiveAccept(jingle: Jingle, next: SessionState): ReceiveResult {
    if (!jingle.contents.length) throw JingleError.badRequest('session-accept without content');
    assertUniqueNames(jingle.contents);
    for (const content of jingle.contents) {
      if (!this.localContents.some((c) => c.name === content.name)) {
        throw JingleError.badRequest(`session-accept names content '${content.name}', which was not offered`);
      }
      if (!content.description || !content.transport) {
        throw JingleError.badRequest(`session-accept content '${content.name}' lacks an RTP description or ICE-UDP transport`);
      }
    }
    this.remoteContents = jingle.contents;
    for (const content of jingle.contents) this.rememberRemoteCredentials(content.name, content.transport);
    this.moveTo(next);
    const refusal = this.securityRefusal(jingle.contents);
    if (refusal) this.terminate(refusal);
    else this.onRemoteContents.emit(jingle.contents, 'session-accept');
    return { reply: 'ack' };
  }

  private receiveTransportInfo(jingle: Jingle, next: SessionState): ReceiveResult {
    if (!jingle.contents.length) throw JingleError.badRequest('transport-info without content');
    for (const content of jingle.contents) {
      if (!this.knowsContent(content.name)) throw JingleError.badRequest(`transport-info for unknown content '${content.name}'`);
      if (!content.transport) throw JingleError.badRequest(`transport-info for content '${content.name}' without ICE-UDP transport`);
      const transport = content.transport;
      if (this.isIceRestart(content.name, transport) && transport.pwd === undefined) {
        throw JingleError.badRequest(`transport-info for content '${content.name}' changes the ufrag without a pwd; an ICE restart needs both`);
      }
      // Restarts crossing on the wire: the initiator's wins, as in Conversations (tie-break for the responder's).
      const crossing = this.localRestartsPending.has(content.name) && this.isIceRestart(content.name, transport) && !transport.candidates.length;
      if (crossing && this.role === 'initiator') {
        return this.refuse(new JingleError({ jingleCondition: 'tie-break', text: `both sides restarted ICE of content '${content.name}'; the initiator's restart wins` }));
      }
    }
    this.moveTo(next);
    for (const content of jingle.contents) {
      const name = content.name;
      const transport = content.transport as IceUdpTransport;
      // Late candidates of a generation that an ICE restart replaced.
      if (transport.ufrag !== undefined && this.retiredRemoteUfrags.get(name)?.has(transport.ufrag)) continue;
      const candidates = this.usableCandidates(name, transport.candidates);
      if (!this.isIceRestart(name, transport)) {
        this.rememberRemoteCredentials(name, transport);
        if (candidates.length) this.onRemoteCandidates.emit(name, candidates);
        continue;
      }
      const previousUfrag = this.remoteCredentials.get(name)?.ufrag as string;
      if (previousUfrag !== transport.ufrag) {
        const retired = this.retiredRemoteUfrags.get(name) ?? new Set<string>();
        this.retiredRemoteUfrags.set(name, retired.add(previousUfrag));
      }
      this.rememberRemoteCredentials(name, transport);
      // Conversations' own rule: new credentials without candidates offer a restart; with candidates they answer one.
      const kind = this.localRestartsPending.has(name) && transport.candidates.length ? 'answer' : 'offer';
      this.localRestartsPending.delete(name);
      if (kind === 'offer') this.remoteRestartsPending.add(name);
      this.onIceRestart.emit({ contentName: name, kind, ufrag: transport.ufrag as string, pwd: transport.pwd as string, candidates });
    }
    return { reply: 'ack' };
  }

  // ------------------------------------------------------------ local actions

  /** Initiator: ring all the peer's devices with a JMI propose before the session-initiate. */
  propose(media: Media[]): void {
    if (this.role !== 'initiator') throw new JingleStateError('only the initiator proposes');
    if (!media.length) throw new JingleStateError('propose needs at least one media');
    this.step('local:propose');
    this.proposedMedia = [...media];
    this.usedJmi = true;
    this.onSendJmi.emit({ kind: 'propose', id: this.sid, media: [...media] });
  }

  /** Responder: tell the caller we ring (JMI ringing while proposed, session-info ringing while pending). */
  ring(): void {
    if (this.role !== 'responder') throw new JingleStateError('only the responder rings');
    if (this.currentState === 'proposed') {
      this.step('local:ringing');
      this.onSendJmi.emit({ kind: 'ringing', id: this.sid });
    } else {
      this.step('local:session-info');
      this.onSend.emit({ action: 'session-info', sid: this.sid, contents: [], info: { type: 'ringing' } });
    }
  }

  /** Responder: accept a JMI propose; the initiator then sends the session-initiate. */
  proceed(): void {
    if (this.role !== 'responder') throw new JingleStateError('only the responder proceeds');
    this.step('local:proceed');
    this.onSendJmi.emit({ kind: 'proceed', id: this.sid });
  }

  /** Initiator: send the session-initiate, then any candidates gathered meanwhile, one transport-info each. */
  initiate(contents: Content[]): void {
    if (this.role !== 'initiator') throw new JingleStateError('only the initiator sends session-initiate');
    this.checkLocalContents(contents);
    if (this.proposedMedia) {
      const media = uniqueSorted(contents.map((c) => (c.description as NonNullable<Content['description']>).media));
      if (media.join() !== uniqueSorted(this.proposedMedia).join()) {
        throw new JingleStateError(`session-initiate media (${media.join(', ')}) must match the JMI propose (${this.proposedMedia.join(', ')})`);
      }
    }
    this.step('local:session-initiate');
    this.adoptLocalContents(contents);
    this.onSend.emit({ action: 'session-initiate', sid: this.sid, initiator: this.self, contents });
    this.flushQueuedCandidates();
  }

  /** Responder: send the session-accept, then any candidates gathered meanwhile. */
  accept(contents: Content[]): void {
    if (this.role !== 'responder') throw new JingleStateError('only the responder sends session-accept');
    this.checkLocalContents(contents);
    for (const content of contents) {
      if (!this.remoteContents.some((c) => c.name === content.name)) {
        throw new JingleStateError(`session-accept content '${content.name}' was not offered`);
      }
    }
    this.step('local:session-accept');
    this.adoptLocalContents(contents);
    this.onSend.emit({ action: 'session-accept', sid: this.sid, responder: this.self, contents });
    this.flushQueuedCandidates();
  }

  /**
   * Trickles one local candidate in its own transport-info (with sid, content name, creator, ufrag and pwd).
   * Before our session-initiate/accept is out, the candidate is queued; after the end it is dropped.
   */
  sendCandidate(contentName: string, candidate: Candidate): void {
    if (this.currentState === 'ended') return;
    if (!this.sentDescription()) {
      this.queuedCandidates.push({ contentName, candidate });
      return;
    }
    this.sendTransportInfo(contentName, [candidate]);
  }

  /**
   * Restarts ICE: a transport-info with the new ufrag/pwd and no candidates (as Conversations does). The peer's
   * new credentials come back as an IceRestart of kind 'answer'.
   */
  restartIce(contentName: string, ufrag: string, pwd: string): void {
    if (!this.sentDescription()) throw new JingleStateError('ICE restart before the session is negotiated');
    this.localCredentials.set(contentName, { ufrag, pwd });
    this.localRestartsPending.add(contentName);
    this.sendTransportInfo(contentName, []);
  }

  /**
   * Answers the peer's ICE restart (an IceRestart of kind 'offer') with our new credentials. Nothing goes out
   * yet: they travel with the next sendCandidate(), because a transport-info with new credentials and no
   * candidates is, to Conversations, a restart offer of its own. Ignored after the end.
   */
  answerIceRestart(contentName: string, ufrag: string, pwd: string): void {
    if (this.currentState === 'ended') return;
    if (!this.remoteRestartsPending.delete(contentName)) {
      throw new JingleStateError(`no ICE restart of content '${contentName}' from the peer to answer`);
    }
    this.localCredentials.set(contentName, { ufrag, pwd });
  }

  /** Sends a session-info (hold, mute, active ...). */
  sendInfo(info: SessionInfo): void {
    this.step('local:session-info');
    this.onSend.emit({ action: 'session-info', sid: this.sid, contents: [], info });
  }

  /**
   * Ends the session with a reason, by whatever the state calls for: nothing while new, JMI retract (initiator)
   * or reject (responder) before the session-initiate, else session-terminate (plus JMI finish when the call
   * began with JMI). Safe to call again after the end.
   */
  terminate(reason: Reason): void {
    switch (this.currentState) {
      case 'ended':
        return;
      case 'new':
        this.step('local:session-terminate');
        break;
      case 'proposed':
      case 'proceeding': {
        const kind = this.role === 'initiator' ? 'retract' : 'reject';
        this.step(`local:${kind}`);
        this.onSendJmi.emit({ kind, id: this.sid, reason });
        break;
      }
      case 'pending':
      case 'active':
        this.step('local:session-terminate');
        this.onSend.emit({ action: 'session-terminate', sid: this.sid, contents: [], reason });
        if (this.usedJmi) this.onSendJmi.emit({ kind: 'finish', id: this.sid, reason });
        break;
    }
    this.endReason = reason;
    this.onTerminated.emit(reason, 'local');
  }

  // ------------------------------------------------------------ internals

  private next(event: SessionEvent): SessionState | undefined {
    return TRANSITIONS[this.role][this.currentState][event];
  }

  /** Applies a local step or throws: local steps out of order are the caller's bug. */
  private step(event: SessionEvent): void {
    const next = this.next(event);
    if (!next) throw new JingleStateError(`${event.slice('local:'.length)} is not allowed for the ${this.role} in state ${this.currentState}`);
    this.moveTo(next);
  }

  private moveTo(next: SessionState): void {
    const previous = this.currentState;
    if (next === previous) return;
    this.currentState = next;
    if (next === 'ended') this.queuedCandidates = [];
    this.onStateChange.emit(next, previous);
  }

  private end(reason: Reason, by: 'local' | 'remote'): void {
    this.moveTo('ended');
    this.endReason = reason;
    this.onTerminated.emit(reason, by);
  }

  private refuse(error: JingleError): ReceiveResult {
    return { reply: 'error', error };
  }

  private outOfOrder(action: HandledAction): JingleError {
    // XEP-0166 §6.7: once terminated, the session no longer exists for the peer's late requests.
    if (this.currentState === 'ended') {
      return new JingleError({ jingleCondition: 'unknown-session', text: `session ${this.sid} has ended` });
    }
    if (action === 'session-initiate' && this.role === 'initiator') {
      return new JingleError({ jingleCondition: 'tie-break', text: `both sides initiated session ${this.sid}` });
    }
    return JingleError.outOfOrder(`${action} is not allowed for the ${this.role === 'initiator' ? 'responder' : 'initiator'} while this session is ${this.currentState}`);
  }

  private sentDescription(): boolean {
    if (this.role === 'initiator') return this.currentState === 'pending' || this.currentState === 'active';
    return this.currentState === 'active';
  }

  private knowsContent(name: string): boolean {
    return this.localContents.some((c) => c.name === name) || this.remoteContents.some((c) => c.name === name);
  }

  private checkLocalContents(contents: Content[]): void {
    if (!contents.length) throw new JingleStateError('a session needs at least one content');
    for (const content of contents) {
      if (!content.description || !content.transport) {
        throw new JingleStateError(`content '${content.name}' needs an RTP description and an ICE-UDP transport`);
      }
    }
    assertUniqueNames(contents, (text) => new JingleStateError(text));
    for (const { contentName } of this.queuedCandidates) {
      if (!contents.some((c) => c.name === contentName)) {
        throw new JingleStateError(`a queued candidate is for content '${contentName}', which these contents lack`);
      }
    }
  }

  private adoptLocalContents(contents: Content[]): void {
    this.localContents = contents;
    for (const content of contents) {
      this.localCredentials.set(content.name, { ufrag: content.transport?.ufrag, pwd: content.transport?.pwd });
    }
  }

  /** The first content whose media security is refused, as the reason to end the session with. */
  private securityRefusal(contents: Content[]): Reason | undefined {
    for (const content of contents) {
      const security = mediaSecurity(content, this.allowInsecureRtp);
      if (typeof security !== 'string') return security.refusal;
    }
    return undefined;
  }

  private isIceRestart(contentName: string, transport: IceUdpTransport): boolean {
    const known = this.remoteCredentials.get(contentName);
    if (transport.ufrag === undefined || known?.ufrag === undefined) return false;
    return transport.ufrag !== known.ufrag || (transport.pwd !== undefined && transport.pwd !== known.pwd);
  }

  /** With rtcp-mux, RTCP shares component 1: component-2 candidates would only give ICE pairs nobody uses. */
  private usableCandidates(contentName: string, candidates: Candidate[]): Candidate[] {
    const rtcpMux = this.remoteContents.find((c) => c.name === contentName)?.description?.rtcpMux ?? false;
    return rtcpMux ? candidates.filter((c) => c.component === 1) : candidates;
  }

  private rememberRemoteCredentials(contentName: string, transport: IceUdpTransport | undefined): void {
    if (transport?.ufrag === undefined) return;
    this.remoteCredentials.set(contentName, { ufrag: transport.ufrag, pwd: transport.pwd });
  }

  private flushQueuedCandidates(): void {
    const queued = this.queuedCandidates;
    this.queuedCandidates = [];
    for (const { contentName, candidate } of queued) this.sendTransportInfo(contentName, [candidate]);
  }

  private sendTransportInfo(contentName: string, candidates: Candidate[]): void {
    const content = this.localContents.find((c) => c.name === contentName);
    if (!content) throw new JingleStateError(`no local content '${contentName}' to send a transport-info for`);
    this.step('local:transport-info');
    const { ufrag, pwd } = this.localCredentials.get(contentName) ?? {};
    const transport: IceUdpTransport = { candidates };
    if (ufrag !== undefined) transport.ufrag = ufrag;
    if (pwd !== undefined) transport.pwd = pwd;
    this.onSend.emit({
      action: 'transport-info',
      sid: this.sid,
      contents: [{ creator: content.creator, name: content.name, transport }],
    });
  }
}

function assertUniqueNames(contents: Content[], makeError: (text: string) => Error = (text) => JingleError.badRequest(text)): void {
  const seen = new Set<string>();
  for (const content of contents) {
    if (seen.has(content.name)) throw makeError(`content name '${content.name}' appears twice`);
    seen.add(content.name);
  }
}

function uniqueSorted<T extends string>(values: T[]): T[] {
  return [...new Set(values)].sort();
}

function bareJid(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}
