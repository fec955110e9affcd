// An XMPP client connection (RFC 6120/6121) composed by hand from xmpp.js's small packages plus
// earshot's own TLS policy and SCRAM client: TLS (always verified, revocation included), SASL
// SCRAM-SHA-1(-PLUS), resource binding, initial presence with entity capabilities, and answers to
// disco#info and ping.
import { Client, jid as parseJid } from '@xmpp/client-core';
import middlewareStack from '@xmpp/middleware';
import streamFeatures from '@xmpp/stream-features';
import iqCaller, { type IqCaller } from '@xmpp/iq/caller.js';
import resourceBinding from '@xmpp/resource-binding';
import { randomBytes } from 'node:crypto';
import { Event } from '../util/event.js';
import { logger, redact } from '../util/log.js';
import { el, type Element } from '../util/xml.js';
import { capsElement, capsVerification, CAPS_NODE, NS_CAPS } from './caps.js';
import { discoInfoQuery, discoInfoResult, NS_DISCO_INFO, parseDiscoInfo, type DiscoIdentity, type DiscoInfo } from './disco.js';
import { NS_EXTDISCO_1, NS_EXTDISCO_2, parseExternalServices, type ExternalService } from './external-services.js';
import { IqResponder, type IqHandler, type IqType } from './iq-responder.js';
import type { RevocationPolicy } from './revocation.js';
import { saslAuthentication, type ChannelBindingPolicy, type SaslOutcome } from './sasl.js';
import { StanzaError } from './stanza-error.js';
import { stanzaLogText } from './stanza-log.js';
import { starttlsPolicy } from './starttls.js';
import { classifyTlsError, TlsSocket, type TlsDetails, type TlsMode } from './tls-policy.js';
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
}

export type StanzaDirection = 'in' | 'out';

const DEFAULT_IQ_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
/** How long close() waits for the server to close its stream before dropping the socket. */
const CLOSE_TIMEOUT_MS = 2_000;
const NS_PING = 'urn:xmpp:ping';
const NS_STREAMS = 'http://etherx.jabber.org/streams';

export class XmppConnection {
  readonly onMessage = new Event<[Element]>();
  readonly onPresence = new Event<[Element]>();
  /** Once, when the connection ends: undefined after close(), the cause when it was lost. */
  readonly onClose = new Event<[Error | undefined]>();
  /** Every element sent and received, as text, SASL payloads masked and secrets scrubbed. */
  readonly onStanza = new Event<[StanzaDirection, string]>();
  /** The XMPP domain (from the account's JID). */
  readonly domain: string;
  /** XEP-0115 verification string of what this connection announces. */
  readonly capsVer: string;

  private readonly entity: Client;
  private readonly iqCaller: IqCaller;
  private readonly responder: IqResponder;
  private readonly ownDiscoInfo: DiscoInfo;
  private lastError: Error | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private readonly loginTimeoutMs: number;
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
    // xmpp.js bounds each login step (stream open, STARTTLS answer) by `timeout`; the whole login is bounded in start().
    const entity = new Client({ domain, timeout: this.loginTimeoutMs, service: `${mode === 'direct' ? 'xmpps' : 'xmpp'}://${target.host}:${target.port}` });
    entity.jid = parseJid(account.jid);
    entity.transports.push(mode === 'direct' ? directTlsTransport(target) : tcpTransport(target));
    this.entity = entity;

    // Incoming elements pass the middleware in the order added: replies to our iqs first, then
    // requests to answer, then the stream features (each of which the server may offer).
    const middleware = middlewareStack({ entity });
    this.iqCaller = iqCaller({ middleware, entity });
    this.responder = new IqResponder((error, iq) => log.error(`iq handler failed on ${stanzaLogText(iq)}: ${String(error)}`));
    middleware.use(async ({ stanza }, next) => {
      if (stanza.name !== 'iq' || (stanza.attrs.type !== 'get' && stanza.attrs.type !== 'set')) return next();
      await this.sendSafely(await this.responder.respond(stanza));
    });
    // Stream features in negotiation order (RFC 6120 §5.3.1, XEP-0170): TLS before anything else,
    // SASL only inside TLS, binding only after SASL.
    const negotiation = streamFeatures({ middleware });
    starttlsPolicy({ middleware }, mode, target);
    saslAuthentication({ streamFeatures: negotiation }, { username: local, password: account.password }, account.channelBinding ?? 'prefer', (outcome) => {
      this.saslOutcome = outcome;
    });
    resourceBinding({ streamFeatures: negotiation, iqCaller: this.iqCaller }, account.resource ?? `earshot-${randomBytes(4).toString('hex')}`);
    // Last: features that none of the above took would otherwise leave the login waiting for its timeout.
    middleware.use(({ stanza, entity: client }, next) => {
      if (!stanza.is('features', NS_STREAMS) || client.status === 'online') return next();
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
    entity.on('stanza', (stanza: Element) => this.dispatch(stanza));

    this.handleIq('get', 'ping', NS_PING, () => undefined);
    this.handleIq('get', 'query', NS_DISCO_INFO, (iq) => this.answerDiscoInfo(iq));
  }

  /** Full JID after resource binding. */
  get jid(): string {
    return this.entity.jid?.toString() ?? '';
  }

  /** TLS and SASL as negotiated; set once connect() has resolved. */
  get security(): ConnectionSecurity {
    if (!this.saslOutcome) throw new Error('the connection is not logged in');
    const socket = this.entity.socket;
    return { tls: socket instanceof TlsSocket ? socket.details : undefined, sasl: this.saslOutcome };
  }

  private async start(): Promise<void> {
    const bareJid = this.entity.jid?.toString();
    let timer: NodeJS.Timeout | undefined;
    let onDisconnect: (() => void) | undefined;
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`login of ${bareJid} timed out after ${this.loginTimeoutMs} ms (stuck at: ${this.entity.status})`)),
        this.loginTimeoutMs,
      );
      onDisconnect = () => reject(this.lastError ?? new Error(`the server closed the connection during the login of ${bareJid}`));
      this.entity.on('disconnect', onDisconnect);
    });
    const started = this.entity.start();
    started.catch(() => undefined); // when `failure` wins the race, a later rejection has no one to tell
    try {
      await Promise.race([started, failure]);
      this.entity.on('disconnect', () => this.finish());
      await this.send(el('presence', {}, capsElement(this.capsVer)));
    } catch (error) {
      this.closed = true;
      this.entity.socket?.destroy();
      throw classifyTlsError(error as Error, this.domain) ?? error;
    } finally {
      clearTimeout(timer);
      if (onDisconnect) this.entity.off('disconnect', onDisconnect);
    }
  }

  async send(stanza: Element): Promise<void> {
    if (this.closed || this.closing) throw new Error(`cannot send <${stanza.name}/>: the XMPP connection of ${this.jid} is closed`);
    await this.entity.send(stanza);
  }

  /** Resolves with the result iq; rejects with StanzaError for an error reply, Error on timeout or close. */
  async iq(type: IqType, to: string | undefined, payload: Element, timeoutMs = DEFAULT_IQ_TIMEOUT_MS): Promise<Element> {
    if (this.closed || this.closing) throw new Error(`cannot send iq ${type} <${payload.name}/>: the XMPP connection of ${this.jid} is closed`);
    const request = el('iq', { type, to, id: `earshot-${randomBytes(6).toString('hex')}` }, payload);
    try {
      const reply = this.iqCaller.request(request, timeoutMs);
      // xmpp.js awaits the send before it listens to the reply's promise: a reply that comes back first (an
      // error from a server on loopback) would reject it unobserved and crash the process. Observe it now; the
      // rejection still reaches us through `reply`.
      this.iqCaller.handlers.get(request.attrs.id)?.promise.catch(() => undefined);
      return await reply;
    } catch (error) {
      const failure = error as Error & { element?: Element };
      if (failure.name === 'StanzaError' && failure.element) throw StanzaError.fromStanza(failure.element);
      if (failure.name === 'TimeoutError') {
        throw new Error(`iq ${type} <${payload.name} xmlns="${payload.getNS() ?? ''}"/> to ${to ?? this.domain} got no answer within ${timeoutMs} ms`);
      }
      throw failure;
    }
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
    this.entity.timeout = CLOSE_TIMEOUT_MS; // xmpp.js's own waits while closing, so no timer outlives close()
    const stopped = this.entity.stop().catch((error: Error) => log.debug(`closing the stream: ${error.message}`));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    this.entity.socket?.destroy();
    this.finish();
  }

  /** Emits onClose once and fails the iqs still waiting for an answer. */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, pending] of this.iqCaller.handlers) {
      pending.reject(new Error(`the XMPP connection of ${this.jid} closed before iq ${id} was answered`));
    }
    this.iqCaller.handlers.clear();
    const lost = this.closing
      ? undefined
      : new Error(`XMPP connection of ${this.jid} lost${this.lastError ? `: ${this.lastError.message}` : ''}`);
    this.emitSafely(this.onClose, lost);
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
    if (this.closed) return;
    await this.entity.send(stanza).catch((error: Error) => log.debug(`reply not sent: ${error.message}`));
  }
}

function parseBareJid(address: string): { local: string; domain: string } {
  const match = /^([^@/\s]+)@([^@/\s]+)$/.exec(address);
  if (!match) throw new Error(`account JID must be a bare JID like user@example.org, got ${JSON.stringify(address)}`);
  return { local: match[1]!, domain: match[2]! };
}
