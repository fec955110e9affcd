// An XMPP client connection (RFC 6120/6121) composed by hand from xmpp.js's small packages plus
// earshot's own TLS policy and SCRAM client: TLS (always verified, revocation included), SASL
// SCRAM-SHA-1(-PLUS), resource binding, initial presence with entity capabilities, and answers to
// disco#info and ping. With XEP-0198 stream management it survives a dropped connection: it reconnects with
// backoff and resumes the session (or starts a new one on the same full JID), and what was sent meanwhile,
// iq handlers, subscribers and pending iqs all carry on.
import { Client, jid as parseJid } from '@xmpp/client-core';
import middlewareStack from '@xmpp/middleware';
import streamFeatures from '@xmpp/stream-features';
import { randomBytes } from 'node:crypto';
import { Event } from '../util/event.js';
import { logger, redact } from '../util/log.js';
import { el, type Element } from '../util/xml.js';
import { capsElement, capsVerification, CAPS_NODE, NS_CAPS } from './caps.js';
import { discoInfoQuery, discoInfoResult, NS_DISCO_INFO, parseDiscoInfo, type DiscoIdentity, type DiscoInfo } from './disco.js';
import { NS_EXTDISCO_1, NS_EXTDISCO_2, parseExternalServices, type ExternalService } from './external-services.js';
import { describeConnectionChange, type ConnectionStateChange } from './connection-state.js';
import { IqResponder, type IqHandler, type IqType } from './iq-responder.js';
import { PendingIqs } from './pending-iqs.js';
import { reconnectDelayMs, type ReconnectPolicy } from './reconnect-policy.js';
import type { RevocationPolicy } from './revocation.js';
import { SaslError, saslAuthentication, type ChannelBindingPolicy, type SaslOutcome } from './sasl.js';
import { sessionEstablishment, type SessionOutcome, type StreamManagementStatus } from './session-establishment.js';
import { StanzaError } from './stanza-error.js';
import { stanzaLogText } from './stanza-log.js';
import { starttlsPolicy } from './starttls.js';
import { StreamManagement, type StreamManagementReaction } from './stream-management.js';
import { classifyTlsError, TlsError, TlsSocket, type TlsDetails, type TlsMode } from './tls-policy.js';
import { directTlsTransport, tcpTransport } from './transports.js';

const log = logger('xmpp');

export interface XmppAccount {
  /** Bare JID, e.g. alice@example.org. */
  jid: string;
  password: string;
  /** Host to connect to; default: the JID's domain (no SRV lookup). */
  host?: string;
  /** Default: 5222 for STARTTLS and none-insecure, 5223 for direct TLS. */
  port?: number;
  /** Default 'starttls'. 'none-insecure' never encrypts: only for servers that have no TLS at all. */
  tls?: TlsMode;
  /** Extra trusted CA certificate(s), PEM, on top of the system roots. */
  ca?: string;
  /** Default: earshot-<8 random hex digits>. */
  resource?: string;
  /** When a CRL/OCSP responder gives no answer: default 'soft-fail' (log a warning and go on), or 'hard-fail'. */
  revocation?: RevocationPolicy;
  /** Default 'prefer': SCRAM-SHA-1-PLUS when the server offers it, else SCRAM-SHA-1; 'require' refuses the latter. */
  channelBinding?: ChannelBindingPolicy;
}

/** How a logged-in connection is protected. */
export interface ConnectionSecurity {
  /** Undefined on an unencrypted ('none-insecure') connection. */
  tls: TlsDetails | undefined;
  sasl: SaslOutcome;
}

export interface ConnectOptions {
  /** Features announced in disco#info and caps, besides disco#info, caps and ping. */
  features?: string[];
  /** Default: client/pc named earshot. */
  identity?: { category: string; type: string; name: string };
  /** Bound on the whole login; default 15000 ms. */
  timeoutMs?: number;
  /** Subscribed to onStanza before connecting, so the login is logged too. */
  stanzaLog?: (direction: StanzaDirection, text: string) => void;
  /** How to come back after the connection drops; false: never (the loss closes the connection). Default: see ReconnectPolicy. */
  reconnect?: ReconnectPolicy | false;
  /** With stream management: an <r/> unanswered this long means the connection is dead. Default 10000 ms. */
  ackTimeoutMs?: number;
  /** With stream management: after this long without hearing from the server, ask for an ack. Default 30000 ms. */
  keepaliveMs?: number;
}

export type StanzaDirection = 'in' | 'out';

const DEFAULT_IQ_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
/** How long close() waits for the server to close its stream before dropping the socket. */
const CLOSE_TIMEOUT_MS = 2_000;
const DEFAULT_ACK_TIMEOUT_MS = 10_000;
const DEFAULT_KEEPALIVE_MS = 30_000;
/** Stanzas sent close together share one <r/>. */
const ACK_REQUEST_DELAY_MS = 100;
const NS_PING = 'urn:xmpp:ping';
const NS_STREAMS = 'http://etherx.jabber.org/streams';
/** Stream errors after which reconnecting makes sense; any other (conflict, not-authorized, ...) ends the connection. */
const TRANSIENT_STREAM_ERRORS = new Set(['system-shutdown', 'connection-timeout', 'reset', 'internal-server-error']);

export class XmppConnection {
  readonly onMessage = new Event<[Element]>();
  readonly onPresence = new Event<[Element]>();
  /** Once, when the connection ends for good: undefined after close(), the cause when it was lost and not recovered. */
  readonly onClose = new Event<[Error | undefined]>();
  /** The connection dropped, came back (resumed, or a new session), or was given up. */
  readonly onConnectionState = new Event<[ConnectionStateChange]>();
  /** Every element sent and received, as text, SASL payloads masked and secrets scrubbed. */
  readonly onStanza = new Event<[StanzaDirection, string]>();
  /** The XMPP domain (from the account's JID). */
  readonly domain: string;
  /** XEP-0115 verification string of what this connection announces. */
  readonly capsVer: string;

  private readonly entity: Client;
  private readonly responder: IqResponder;
  private readonly pendingIqs = new PendingIqs();
  private readonly sm = new StreamManagement();
  private readonly smReactions = new Event<[StreamManagementReaction]>();
  private readonly ownDiscoInfo: DiscoInfo;
  private readonly loginTimeoutMs: number;
  private readonly reconnectPolicy: ReconnectPolicy | false;
  private readonly ackTimeoutMs: number;
  private readonly keepaliveMs: number;
  /** True while a session is established and stanzas go straight to the socket. */
  private live = false;
  /** Stanzas sent while no session is established, in order, for the next one. */
  private held: Element[] = [];
  private smStatus: StreamManagementStatus = 'not-offered';
  private lastError: Error | undefined;
  private streamError: string | undefined;
  /** Why we dropped the socket ourselves (the server stopped answering). */
  private lossCause: string | undefined;
  private sessionEstablished: ((outcome: SessionOutcome) => void) | undefined;
  private ackRequestTimer: NodeJS.Timeout | undefined;
  private ackDeadline: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private endPause: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private saslOutcome: SaslOutcome | undefined;

  static async connect(account: XmppAccount, options: ConnectOptions = {}): Promise<XmppConnection> {
    const connection = new XmppConnection(account, options);
    await connection.start();
    return connection;
  }

  private constructor(account: XmppAccount, options: ConnectOptions) {
    const { local, domain } = parseBareJid(account.jid);
    if (!account.password) throw new Error(`no password for ${account.jid}`);
    redact(account.password);
    this.domain = domain;

    const identity: DiscoIdentity = options.identity ?? { category: 'client', type: 'pc', name: 'earshot' };
    const announced = [...new Set([NS_DISCO_INFO, NS_CAPS, NS_PING, ...(options.features ?? [])])].sort();
    this.ownDiscoInfo = { identities: [identity], features: announced };
    this.capsVer = capsVerification([identity], announced);

    const mode = account.tls ?? 'starttls';
    const target = {
      domain,
      host: account.host ?? domain,
      port: account.port ?? (mode === 'direct' ? 5223 : 5222),
      ...(account.ca !== undefined && { ca: account.ca }),
      ...(account.revocation !== undefined && { revocation: account.revocation }),
    };
    this.loginTimeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.reconnectPolicy = options.reconnect ?? {};
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    this.keepaliveMs = options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
    // xmpp.js bounds each login step (stream open, STARTTLS answer) by `timeout`; each whole login is bounded in establish().
    const entity = new Client({ domain, timeout: this.loginTimeoutMs, service: `${mode === 'direct' ? 'xmpps' : 'xmpp'}://${target.host}:${target.port}` });
    entity.jid = parseJid(account.jid);
    entity.transports.push(mode === 'direct' ? directTlsTransport(target) : tcpTransport(target));
    this.entity = entity;

    // Stream management sees every element first, in arrival order: its count (h) and its reactions must not
    // wait for the asynchronous middleware below.
    entity.on('element', (element: Element) => this.receiveForStreamManagement(element));
    // Incoming elements pass the middleware in the order added: replies to our iqs first, then
    // requests to answer, then the stream features (each of which the server may offer).
    const middleware = middlewareStack({ entity });
    middleware.use(({ stanza }, next) => (this.pendingIqs.answer(stanza) ? undefined : next()));
    this.responder = new IqResponder((error, iq) => log.error(`iq handler failed on ${stanzaLogText(iq)}: ${String(error)}`));
    middleware.use(async ({ stanza }, next) => {
      if (stanza.name !== 'iq' || (stanza.attrs.type !== 'get' && stanza.attrs.type !== 'set')) return next();
      await this.sendSafely(await this.responder.respond(stanza));
    });
    // Stream features in negotiation order (RFC 6120 §5.3.1, XEP-0170): TLS before anything else,
    // SASL only inside TLS, then resumption, or binding and enabling stream management.
    const negotiation = streamFeatures({ middleware });
    starttlsPolicy({ middleware }, mode, target);
    saslAuthentication({ streamFeatures: negotiation }, { username: local, password: account.password }, account.channelBinding ?? 'prefer', (outcome) => {
      this.saslOutcome = outcome;
    });
    sessionEstablishment({
      middleware,
      sm: this.sm,
      smReactions: this.smReactions,
      pendingIqs: this.pendingIqs,
      resource: account.resource ?? `earshot-${randomBytes(4).toString('hex')}`,
      timeoutMs: this.loginTimeoutMs,
      onEstablished: (outcome) => this.sessionEstablished?.(outcome),
    });
    // Last: features that none of the above took would otherwise leave the login waiting for its timeout.
    middleware.use(({ stanza }, next) => {
      if (!stanza.is('features', NS_STREAMS) || this.live) return next();
      const offered = stanza.getChildElements().map((feature) => `<${feature.name} xmlns="${feature.getNS() ?? ''}"/>`);
      throw new Error(`cannot log in to ${domain} with tls: ${mode}: the server offers only ${offered.join(' ') || 'no features'}`);
    });

    if (options.stanzaLog) this.onStanza.subscribe(options.stanzaLog);
    entity.on('element', (element: Element) => this.logStanza('in', element));
    entity.on('send', (element: Element) => this.logStanza('out', element));
    // Without an 'error' listener an EventEmitter throws: every error is kept for onClose instead.
    entity.on('error', (error: Error) => {
      this.lastError = error;
      log.debug(`connection error: ${error.message}`);
    });
    entity.on('disconnect', () => this.connectionLost());
    entity.on('stanza', (stanza: Element) => this.dispatch(stanza));

    this.handleIq('get', 'ping', NS_PING, () => undefined);
    this.handleIq('get', 'query', NS_DISCO_INFO, (iq) => this.answerDiscoInfo(iq));
  }

  /** Full JID after resource binding; it stays the same across a resumption or a reconnection. */
  get jid(): string {
    return this.entity.jid?.toString() ?? '';
  }

  /** TLS and SASL as negotiated; set once connect() has resolved (tls undefined while the connection is interrupted). */
  get security(): ConnectionSecurity {
    if (!this.saslOutcome) throw new Error('the connection is not logged in');
    const socket = this.entity.socket;
    return { tls: socket instanceof TlsSocket ? socket.details : undefined, sasl: this.saslOutcome };
  }

  /** XEP-0198 on the current session: 'enabled' means a dropped connection can be resumed. */
  get streamManagement(): StreamManagementStatus {
    return this.smStatus;
  }

  /** True while the session is established; false while the connection is interrupted or closed. */
  get online(): boolean {
    return this.live;
  }

  private async start(): Promise<void> {
    try {
      await this.establish();
    } catch (error) {
      this.closed = true;
      throw error;
    }
  }

  /**
   * Opens a socket and a stream and logs in, up to an established session (resumed or new), within the login
   * timeout. On failure the socket is dropped and the error thrown.
   */
  private async establish(): Promise<{ outcome: SessionOutcome; resent: number; held: number }> {
    const bareJid = this.entity.jid?.bare().toString();
    this.streamError = undefined;
    this.lastError = undefined;
    this.lossCause = undefined;
    let timer: NodeJS.Timeout | undefined;
    let onFailure: ((error?: Error) => void) | undefined;
    const established = new Promise<{ outcome: SessionOutcome; resent: number; held: number }>((resolve, reject) => {
      this.sessionEstablished = (outcome) => resolve(this.goLive(outcome));
      timer = setTimeout(
        () => reject(new Error(`login of ${bareJid} timed out after ${this.loginTimeoutMs} ms (stuck at: ${this.entity.status})`)),
        this.loginTimeoutMs,
      );
      // A middleware that throws (TLS, SASL, binding) reports through 'error'; a socket that closes through 'disconnect'.
      onFailure = (error) => reject(error ?? this.lastError ?? new Error(`the server closed the connection during the login of ${bareJid}`));
      this.entity.on('error', onFailure);
      this.entity.on('disconnect', onFailure);
    });
    const opening = (async () => {
      await this.entity.connect(this.entity.options.service!);
      await this.entity.open({ domain: this.domain });
    })();
    opening.catch(() => undefined); // when `established` settles first, a later rejection has no one to tell
    try {
      await Promise.race([opening, established]);
      return await established;
    } catch (error) {
      this.abandonSocket();
      throw classifyTlsError(error as Error, this.domain) ?? error;
    } finally {
      clearTimeout(timer);
      this.sessionEstablished = undefined;
      if (onFailure) {
        this.entity.off('error', onFailure);
        this.entity.off('disconnect', onFailure);
      }
    }
  }

  /**
   * The session is established: what the server had not acknowledged goes again (a resumed session re-sends
   * it as it was, already counted), a new session announces presence, then what was held during the outage goes.
   */
  private goLive(outcome: SessionOutcome): { outcome: SessionOutcome; resent: number; held: number } {
    if (outcome.kind === 'resumed') {
      for (const stanza of outcome.resend) this.entity.send(stanza).catch((error: Error) => log.debug(`re-sending: ${error.message}`));
    } else {
      this.entity.jid = parseJid(outcome.jid);
      this.smStatus = outcome.streamManagement;
    }
    this.live = true;
    const held = this.held.splice(0);
    if (outcome.kind === 'bound') {
      void this.transmit(el('presence', {}, capsElement(this.capsVer)));
      for (const stanza of outcome.unacked) void this.transmit(stanza);
    }
    for (const stanza of held) void this.transmit(stanza);
    const resent = outcome.kind === 'resumed' ? outcome.resend.length : outcome.unacked.length;
    if (resent > 0) this.requestAck();
    this.armKeepalive();
    return { outcome, resent, held: held.length };
  }

  /** The socket closed. Ours to close, or unrecoverable: the end. Otherwise: interrupted, and we come back. */
  private connectionLost(): void {
    if (this.closed || !this.live) return; // a login in progress handles its own failures
    this.live = false;
    this.stopAckTimers();
    if (this.closing || this.reconnectPolicy === false || this.refusedByStreamError()) {
      this.finish();
      return;
    }
    const cause = this.lossCause ?? this.streamError ?? this.lastError?.message ?? 'the socket closed';
    this.sm.interrupt();
    log.warn(`${this.jid}: connection lost (${cause}); reconnecting`);
    this.announce({ state: 'interrupted', cause });
    void this.reconnect(this.reconnectPolicy, performance.now());
  }

  private async reconnect(policy: ReconnectPolicy, lostAt: number): Promise<void> {
    let failure: Error | undefined;
    for (let attempt = 0; ; attempt++) {
      const outageMs = () => Math.round(performance.now() - lostAt);
      const delay = reconnectDelayMs(policy, attempt, outageMs());
      if (delay === undefined) {
        this.giveUp(new Error(`could not reconnect to ${this.domain} within ${outageMs()} ms${failure ? `: ${failure.message}` : ''}`), attempt, outageMs());
        return;
      }
      if (delay > 0) await this.pause(delay);
      if (this.closing || this.closed) return;
      try {
        const { outcome, resent, held } = await this.establish();
        const recovery = { outageMs: outageMs(), attempts: attempt + 1, resent, held };
        this.announce(
          outcome.kind === 'resumed'
            ? { state: 'resumed', ...recovery }
            : { state: 'reconnected', resumeFailure: outcome.resumeFailure, streamManagement: outcome.streamManagement, ...recovery },
        );
        return;
      } catch (error) {
        failure = error as Error;
        if (this.closing || this.closed) return;
        log.info(`${this.jid}: reconnection attempt ${attempt + 1} failed: ${failure.message}`);
        if (isPermanent(failure) || this.refusedByStreamError()) {
          this.giveUp(failure, attempt + 1, outageMs());
          return;
        }
      }
    }
  }

  /** The server ended the stream with an error that reconnecting would only repeat (conflict, not-authorized, ...). */
  private refusedByStreamError(): boolean {
    return this.streamError !== undefined && !TRANSIENT_STREAM_ERRORS.has(this.streamError);
  }

  private giveUp(error: Error, attempts: number, outageMs: number): void {
    this.lastError = error;
    this.announce({ state: 'failed', outageMs, attempts, error });
    this.finish();
  }

  /** Waits `ms`, or less if the connection is closed meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.endPause = undefined;
        resolve();
      }, ms);
      this.endPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Drops the socket of a failed login without xmpp.js reporting a disconnect later, onto whatever socket comes next. */
  private abandonSocket(): void {
    const socket = this.entity.socket;
    if (!socket) return;
    this.entity._detachSocket();
    socket.on('error', () => undefined);
    socket.destroy();
  }

  /**
   * Sends now when the session is established; otherwise holds the stanza for the next session (resumed or
   * new). Rejects only once the connection is closed.
   */
  async send(stanza: Element): Promise<void> {
    if (this.closed || this.closing) throw new Error(`cannot send <${stanza.name}/>: the XMPP connection of ${this.jid} is closed`);
    if (!this.live) {
      this.held.push(stanza);
      return;
    }
    await this.transmit(stanza);
  }

  /** Writes a stanza on the established session, counted and kept by stream management until acknowledged. */
  private async transmit(stanza: Element): Promise<void> {
    this.sm.sent(stanza);
    this.scheduleAckRequest();
    try {
      await this.entity.send(stanza);
    } catch (error) {
      // The socket died under the write. Stream management sends it again after resumption (or on the new
      // session); without it, it waits for the next session here.
      if (this.sm.phase === 'off') this.held.push(stanza);
      log.debug(`<${stanza.name}/> not written (${(error as Error).message}); it waits for the connection to come back`);
    }
  }

  /**
   * Resolves with the result iq; rejects with StanzaError for an error reply, Error on timeout or close. A request
   * made during an outage goes out when the connection is back; its timeout runs all along.
   */
  async iq(type: IqType, to: string | undefined, payload: Element, timeoutMs = DEFAULT_IQ_TIMEOUT_MS): Promise<Element> {
    if (this.closed || this.closing) throw new Error(`cannot send iq ${type} <${payload.name}/>: the XMPP connection of ${this.jid} is closed`);
    const id = `earshot-${randomBytes(6).toString('hex')}`;
    const reply = this.pendingIqs.expect(
      id,
      timeoutMs,
      () => new Error(`iq ${type} <${payload.name} xmlns="${payload.getNS() ?? ''}"/> to ${to ?? this.domain} got no answer within ${timeoutMs} ms`),
    );
    // Both at once: an error reply from a server on loopback can come back before the send has resolved.
    const [, answer] = await Promise.all([this.send(el('iq', { type, to, id }, payload)), reply]);
    return answer;
  }

  /** Answers iqs of `type` whose child is <name xmlns=xmlns/>: return the result's child (or undefined), or throw a StanzaError. */
  handleIq(type: IqType, name: string, xmlns: string, handler: IqHandler): void {
    this.responder.handle(type, name, xmlns, handler);
  }

  async discoInfo(jid: string): Promise<DiscoInfo> {
    const result = await this.iq('get', jid, discoInfoQuery());
    const query = result.getChild('query', NS_DISCO_INFO);
    if (!query) throw new Error(`disco#info result from ${jid} has no <query/>`);
    return parseDiscoInfo(query);
  }

  /**
   * XEP-0215 services from the server (extdisco:2, else :1), entries without host or port left out.
   * An empty list when the server supports neither namespace.
   */
  async externalServices(): Promise<ExternalService[]> {
    for (const xmlns of [NS_EXTDISCO_2, NS_EXTDISCO_1]) {
      try {
        const result = await this.iq('get', this.domain, el('services', { xmlns }));
        const services = result.getChild('services', xmlns);
        return services ? parseExternalServices(services) : [];
      } catch (error) {
        const unsupported = error instanceof StanzaError && ['service-unavailable', 'feature-not-implemented', 'bad-request'].includes(error.condition);
        if (!unsupported) throw error;
      }
    }
    return [];
  }

  /** Idempotent; sends </stream:stream>, waits at most CLOSE_TIMEOUT_MS for the server, then drops the socket. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.closed) return;
    this.endPause?.();
    this.stopAckTimers();
    if (this.entity.socket) {
      this.entity.timeout = CLOSE_TIMEOUT_MS; // xmpp.js's own waits while closing, so no timer outlives close()
      const stopped = this.entity.stop().catch((error: Error) => log.debug(`closing the stream: ${error.message}`));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
      this.entity.socket?.destroy();
    }
    this.finish();
  }

  /** Emits onClose once and fails the iqs still waiting for an answer. */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.live = false;
    this.stopAckTimers();
    this.held = [];
    this.pendingIqs.failAll((id) => new Error(`the XMPP connection of ${this.jid} closed before iq ${id} was answered`));
    const lost = this.closing
      ? undefined
      : new Error(`XMPP connection of ${this.jid} lost${this.lastError ? `: ${this.lastError.message}` : ''}`);
    this.emitSafely(this.onClose, lost);
  }

  private announce(change: ConnectionStateChange): void {
    log.info(`${this.jid}: ${describeConnectionChange(change)}`);
    this.emitSafely(this.onConnectionState, change);
  }

  private receiveForStreamManagement(element: Element): void {
    if (element.is('error', NS_STREAMS)) this.streamError = element.getChildElements()[0]?.name ?? 'undefined-condition';
    const reaction = this.sm.receive(element);
    if (reaction.kind === 'reply') this.entity.send(reaction.element).catch(() => undefined);
    if (reaction.kind === 'acked') {
      clearTimeout(this.ackDeadline);
      this.ackDeadline = undefined;
    }
    if ('excess' in reaction && reaction.excess > 0) {
      log.warn(`${this.domain} acknowledged ${reaction.excess} more stanzas than ${this.jid} sent (XEP-0198 h too high)`);
    }
    if (reaction.kind !== 'none') this.emitSafely(this.smReactions, reaction);
    this.armKeepalive();
  }

  private scheduleAckRequest(): void {
    if (this.sm.phase !== 'on' || this.ackRequestTimer) return;
    this.ackRequestTimer = setTimeout(() => {
      this.ackRequestTimer = undefined;
      this.requestAck();
    }, ACK_REQUEST_DELAY_MS);
  }

  /** Asks the server what it has handled; no answer within ackTimeoutMs and the connection counts as dead. */
  private requestAck(): void {
    if (!this.live || this.sm.phase !== 'on') return;
    this.entity.send(this.sm.requestAck()).catch(() => undefined);
    this.ackDeadline ??= setTimeout(() => {
      this.ackDeadline = undefined;
      this.lossCause = `no answer to <r/> within ${this.ackTimeoutMs} ms`;
      this.entity.socket?.destroy(); // the socket's close event starts the reconnection
    }, this.ackTimeoutMs).unref();
  }

  /** While the session is established: silence for keepaliveMs makes us ask for an ack, which detects a dead connection. */
  private armKeepalive(): void {
    clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = this.live && this.sm.phase === 'on' ? setTimeout(() => this.requestAck(), this.keepaliveMs).unref() : undefined;
  }

  private stopAckTimers(): void {
    for (const timer of [this.ackRequestTimer, this.ackDeadline, this.keepaliveTimer]) clearTimeout(timer);
    this.ackRequestTimer = this.ackDeadline = this.keepaliveTimer = undefined;
  }

  private answerDiscoInfo(iq: Element): Element {
    const node = iq.getChild('query', NS_DISCO_INFO)?.attrs.node;
    if (node !== undefined && node !== `${CAPS_NODE}#${this.capsVer}`) throw new StanzaError('item-not-found');
    return discoInfoResult(this.ownDiscoInfo, node);
  }

  private dispatch(stanza: Element): void {
    if (stanza.name === 'message') this.emitSafely(this.onMessage, stanza);
    else if (stanza.name === 'presence') this.emitSafely(this.onPresence, stanza);
  }

  private logStanza(direction: StanzaDirection, element: Element): void {
    const text = stanzaLogText(element);
    log.debug(`${direction === 'in' ? '<-' : '->'} ${text}`);
    this.emitSafely(this.onStanza, direction, text);
  }

  /** A throwing listener must not break the stream parser it is called from. */
  private emitSafely<Args extends unknown[]>(event: Event<Args>, ...args: Args): void {
    try {
      event.emit(...args);
    } catch (error) {
      log.error(`event listener failed: ${String(error)}`);
    }
  }

  private async sendSafely(stanza: Element): Promise<void> {
    if (this.closed || this.closing) return;
    await this.send(stanza).catch((error: Error) => log.debug(`reply not sent: ${error.message}`));
  }
}

/** Wrong credentials, or a server we refuse to trust, will not get better by trying again. */
function isPermanent(failure: Error): boolean {
  if (failure instanceof SaslError) return failure.condition !== 'connection-lost';
  return failure instanceof TlsError && failure.reason !== 'handshake-failed' && failure.reason !== 'revocation-unknown';
}

function parseBareJid(address: string): { local: string; domain: string } {
  const match = /^([^@/\s]+)@([^@/\s]+)$/.exec(address);
  if (!match) throw new Error(`account JID must be a bare JID like user@example.org, got ${JSON.stringify(address)}`);
  return { local: match[1]!, domain: match[2]! };
}
