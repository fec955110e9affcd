// A logged-in account that places and answers calls: it routes Jingle iqs and JMI messages to call legs by sid,
// answers what belongs to no call with the right error, and lets only allowed callers through. When the XMPP
// connection drops and comes back, every active call notes it on its timeline and goes on: its media does not
// depend on XMPP, and what it signals meanwhile is delivered once the stream is back.
import { Event, el, logger, type Element } from '../util/index.js';
import { JingleError, NS, parseJingle, parseJmi, proposeReceiptId, receiptFor, serializeJingle, serializeJmi, type Jingle, type JmiMessage } from '../jingle/index.js';
import { StanzaError, XmppConnection, bareJid, toIceServers, type XmppAccount } from '../xmpp/index.js';
import { describeConnectionChange } from '../xmpp/connection-state.js';
import type { IceServerConfig } from '../media/index.js';
import { prepareReference } from './encoded-reference.js';
import { Call } from './call.js';
import { DEFAULT_CODECS, type CallMediaOptions, type OutgoingCallOptions, type Signalling } from './call-options.js';
import { CALL_FEATURES } from './features.js';
import { fromStanzaError, toStanzaError } from './jingle-errors.js';

const log = logger('endpoint');
const ICE_SERVERS_MAX_AGE_MS = 3_600_000;

export interface EndpointOptions {
  /** Use the server's STUN/TURN services (XEP-0215). Default true. */
  useExternalServices?: boolean;
  /** Receives every stanza as text, credentials masked. */
  stanzaLog?: (direction: 'in' | 'out', text: string) => void;
}

export interface AnswerPolicy {
  /** Bare or full JIDs whose calls are taken; everyone else is declined. */
  allow: readonly string[];
  media: CallMediaOptions;
  /**
   * `answer` (default): take allowed calls at once. `ring`: ring and leave the call to whoever listens to
   * onIncomingCall, which answers, rejects or lets it ring out (a call script's answer step).
   */
  mode?: 'answer' | 'ring';
  /** Media for one call in particular (a call script's play, record and profile), by session id. */
  mediaFor?: (sid: string, from: string) => CallMediaOptions | undefined;
}

export class Endpoint implements Signalling {
  /** A call arrived and was answered (or declined: see `onDeclined`). */
  readonly onIncomingCall = new Event<[Call]>();
  readonly onDeclined = new Event<[from: string]>();
  /** A call from an allowed caller that this end could not take as asked (its recording path cannot be written). */
  readonly onRefused = new Event<[from: string, why: string]>();
  private readonly calls = new Map<string, Call>();
  private answerPolicy?: AnswerPolicy;
  private iceServerCache: { servers: IceServerConfig[]; fetchedAt: number } = { servers: [], fetchedAt: -Infinity };

  private constructor(
    readonly connection: XmppConnection,
    private readonly options: EndpointOptions,
  ) {
    connection.handleIq('set', 'jingle', NS.jingle, (iq) => this.receiveJingle(iq));
    connection.onMessage.subscribe((message) => this.receiveMessage(message));
    connection.onPresence.subscribe((presence) => this.receivePresence(presence));
    connection.onConnectionState.subscribe((change) => {
      const event = describeConnectionChange(change);
      for (const call of this.calls.values()) {
        if (call.session.state !== 'ended') call.note(event);
      }
    });
  }

  static async login(account: XmppAccount, options: EndpointOptions = {}): Promise<Endpoint> {
    const connection = await XmppConnection.connect(account, { features: [...CALL_FEATURES], stanzaLog: options.stanzaLog });
    const endpoint = new Endpoint(connection, options);
    await endpoint.refreshIceServers();
    return endpoint;
  }

  get self(): string {
    return this.connection.jid;
  }

  /** Answer calls automatically from now on, from the allowed callers only. */
  autoAnswer(policy: AnswerPolicy): void {
    prepareReference(policy.media.play, policy.media.codecs ?? DEFAULT_CODECS);
    this.answerPolicy = policy;
  }

  async call(target: string, options: OutgoingCallOptions): Promise<Call> {
    prepareReference(options.play, options.codecs ?? DEFAULT_CODECS);
    await this.refreshIceServers();
    const iceServers = options.iceServers ?? this.iceServerCache.servers;
    const call = Call.outgoing(this, target, { ...options, iceServers });
    this.track(call);
    return call;
  }

  async sendJingle(to: string, jingle: Jingle): Promise<void> {
    try {
      await this.connection.iq('set', to, serializeJingle(jingle));
    } catch (error) {
      throw error instanceof StanzaError ? fromStanzaError(error) : error;
    }
  }

  async sendJmi(to: string, message: JmiMessage): Promise<void> {
    await this.connection.send(serializeJmi({ ...message, to }));
  }

  /** Hangs up every call, waits for them to end (bounded), and logs out. */
  async close(): Promise<void> {
    const ending = [...this.calls.values()].map((call) => {
      call.hangUp({ condition: 'gone', text: 'earshot is shutting down' });
      return call.ended;
    });
    await Promise.race([Promise.all(ending), new Promise((resolve) => setTimeout(resolve, 3000))]);
    await this.connection.close();
  }

  /**
   * STUN/TURN services with fresh TURN credentials (XEP-0215), fetched at login and again when an hour old, so
   * that an incoming call can be routed synchronously with servers at hand.
   */
  private async refreshIceServers(): Promise<void> {
    if (this.options.useExternalServices === false) return;
    if (performance.now() - this.iceServerCache.fetchedAt < ICE_SERVERS_MAX_AGE_MS) return;
    try {
      this.iceServerCache = { servers: toIceServers(await this.connection.externalServices()), fetchedAt: performance.now() };
    } catch (error) {
      log.warn(`no STUN/TURN from the server: ${String(error)}`);
    }
  }

  private incomingMedia(sid: string, from: string): CallMediaOptions {
    void this.refreshIceServers();
    const policy = this.answerPolicy;
    const media = (policy && isAllowed(from, policy.allow) && policy.mediaFor?.(sid, from)) || policy?.media || silentMedia();
    return { ...media, iceServers: media.iceServers ?? this.iceServerCache.servers };
  }

  private receiveJingle(iq: Element): undefined {
    const from = iq.attrs.from;
    const jingleEl = iq.getChild('jingle', NS.jingle);
    if (!from || !jingleEl) throw new StanzaError('bad-request', { text: 'a Jingle request needs a sender and a <jingle/> element' });
    try {
      const jingle = parseJingle(jingleEl);
      const call = this.calls.get(jingle.sid);
      if (call) {
        call.receiveJingle(jingle, from);
      } else if (jingle.action === 'session-initiate') {
        this.incomingInitiate(jingle, from);
      } else {
        throw new JingleError({ jingleCondition: 'unknown-session', text: `no session ${jingle.sid}` });
      }
      return undefined;
    } catch (error) {
      if (error instanceof JingleError) throw toStanzaError(error);
      throw error;
    }
  }

  private incomingInitiate(jingle: Jingle, from: string): void {
    const policy = this.answerPolicy;
    const call = Call.incoming(this, jingle.sid, from, this.incomingMedia(jingle.sid, from), false);
    this.track(call);
    call.receiveJingle(jingle, from);
    if (call.session.state === 'ended') return;
    this.takeOrDecline(call, from, policy);
  }

  private takeOrDecline(call: Call, from: string, policy: AnswerPolicy | undefined): void {
    if (!policy || !isAllowed(from, policy.allow)) {
      this.onDeclined.emit(from);
      call.decline();
      return;
    }
    const cannotRecord = call.recordingProblem();
    if (cannotRecord) {
      log.error(`refused a call from ${from}: ${cannotRecord}`);
      this.onRefused.emit(from, cannotRecord);
      call.hangUp({ condition: 'general-error', text: 'earshot cannot write its recording of the call' });
      return;
    }
    if (policy.mode === 'ring') {
      // The iq result for a session-initiate goes out before our ringing.
      setImmediate(() => call.ring());
    } else {
      call.answer();
    }
    this.onIncomingCall.emit(call);
  }

  private receiveMessage(message: Element): void {
    const from = message.attrs.from;
    if (!from || message.attrs.type === 'error') return;
    const proposeDelivered = proposeReceiptId(message);
    if (proposeDelivered !== undefined) {
      this.calls.get(proposeDelivered)?.proposeDelivered(from);
      return;
    }
    let jmi: JmiMessage | undefined;
    try {
      jmi = parseJmi(message);
    } catch (error) {
      log.warn(`malformed JMI message from ${from} ignored: ${String(error)}`);
      return;
    }
    if (!jmi) return;
    const receipt = jmi.kind === 'propose' ? receiptFor(message) : undefined;
    if (receipt) this.connection.send(receipt).catch((error: unknown) => log.debug(`receipt for ${from}'s propose not sent: ${String(error)}`));
    const call = this.calls.get(jmi.id);
    if (call) {
      call.receiveJmi(jmi, from);
      return;
    }
    if (jmi.kind !== 'propose') return;
    const policy = this.answerPolicy;
    const incoming = Call.incoming(this, jmi.id, from, this.incomingMedia(jmi.id, from), true);
    this.track(incoming);
    incoming.receiveJmi(jmi, from);
    this.takeOrDecline(incoming, from, policy);
  }

  /**
   * A presence subscription request (RFC 6121 §3.1) from an allowed caller is approved: its client then sees this
   * account online with its call features, without which Conversations and Dino offer no call button. Requests
   * from anyone else stay pending, for a person to decide with another client of the account.
   */
  private receivePresence(presence: Element): void {
    const from = presence.attrs.from;
    if (presence.attrs.type !== 'subscribe' || !from) return;
    const contact = bareJid(from);
    const allow = this.answerPolicy?.allow ?? [];
    if (!allow.some((jid) => bareJid(jid) === contact)) {
      log.info(`presence subscription from ${contact} left pending: not an allowed caller`);
      return;
    }
    log.info(`approved the presence subscription of ${contact}, an allowed caller`);
    this.connection.send(el('presence', { to: contact, type: 'subscribed' })).catch((error: unknown) => log.warn(`subscription approval to ${contact} not sent: ${String(error)}`));
  }

  private track(call: Call): void {
    this.calls.set(call.id, call);
    void call.ended.then(() => {
      // Late stanzas of an ended call still find it for a while (a crossing terminate is acknowledged).
      setTimeout(() => this.calls.delete(call.id), 30_000).unref();
    });
  }
}

function isAllowed(from: string, allow: readonly string[]): boolean {
  const bare = bareJid(from);
  return allow.some((jid) => jid === from || jid === bare);
}

/** Media for a call that is only declined: nothing is ever played. */
function silentMedia(): CallMediaOptions {
  return { play: { path: '', samples: new Float32Array(0), sampleRate: 48000 } };
}
