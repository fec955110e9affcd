// TLS for the XMPP stream (RFC 6120 §5, RFC 7590), with earshot's policy: the certificate is always
// verified, against the system roots plus the caller's own CA, for the XMPP domain (not the host
// connected to; RFC 6125 rules in service-identity.ts), checked for revocation (revocation.ts),
// with TLS 1.2 at least: nothing older is ever offered. STARTTLS (RFC 6120 §5.4) or direct TLS (XEP-0368).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { logger } from '../util/log.js';
import { channelBindingOf, type ChannelBinding } from './channel-binding.js';
import { checkRevocation, describeRevocation, type RevocationPolicy, type RevocationReport } from './revocation.js';
import { checkXmppServerIdentity } from './service-identity.js';

const log = logger('xmpp');

export type TlsMode = 'starttls' | 'direct' | 'none-insecure';

export type TlsFailureReason =
  | 'no-tls-offered'
  | 'untrusted'
  | 'expired'
  | 'not-yet-valid'
  | 'name-mismatch'
  | 'revoked'
  | 'revocation-unknown'
  | 'protocol-too-old'
  | 'handshake-failed';

const reasonByCode: Record<string, TlsFailureReason> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name-mismatch',
  HOSTNAME_MISMATCH: 'name-mismatch',
  // The server has no certificate for the domain sent as SNI (Prosody answers so for domains it does not serve).
  ERR_SSL_TLSV1_UNRECOGNIZED_NAME: 'name-mismatch',
  CERT_REVOKED: 'revoked',
  // The server speaks only TLS older than 1.2: it alerts on our hello, or answers with an old version.
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'protocol-too-old',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'protocol-too-old',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
  CERT_UNTRUSTED: 'untrusted',
  CERT_SIGNATURE_FAILURE: 'untrusted',
  INVALID_CA: 'untrusted',
  CERT_CHAIN_TOO_LONG: 'untrusted',
  INVALID_PURPOSE: 'untrusted',
};

const explanations: Record<TlsFailureReason, string> = {
  'no-tls-offered': 'the server offered no STARTTLS',
  untrusted: 'its certificate is not signed by a trusted CA',
  expired: 'its certificate has expired',
  'not-yet-valid': 'its certificate is not valid yet',
  'name-mismatch': 'it has no certificate for the XMPP domain',
  revoked: 'its certificate is revoked',
  'revocation-unknown': 'the revocation of its certificate cannot be checked (hard-fail policy)',
  'protocol-too-old': 'it speaks only TLS versions older than 1.2',
  'handshake-failed': 'the TLS handshake failed',
};

export class TlsError extends Error {
  override readonly name = 'TlsError';

  constructor(
    readonly reason: TlsFailureReason,
    readonly domain: string,
    /** Node's error code (e.g. CERT_HAS_EXPIRED), when Node reported one. */
    readonly code?: string,
    detail?: string,
  ) {
    super(`TLS to ${domain} refused: ${explanations[reason]}${code ? ` [${code}]` : ''}${detail ? `: ${detail.trim()}` : ''}`);
  }
}

/** A TlsError for errors that come from TLS; undefined for others (connection refused, reset before TLS ...). */
export function classifyTlsError(error: Error & { code?: string }, domain: string): TlsError | undefined {
  if (error instanceof TlsError) return error;
  const code = error.code;
  if (!code) return undefined;
  const reason = reasonByCode[code] ?? (/^ERR_(SSL|TLS)_/.test(code) ? 'handshake-failed' : undefined);
  return reason ? new TlsError(reason, domain, code, error.message) : undefined;
}

const contexts = new Map<string, tls.SecureContext>();

/** One secure context per extra CA: parsing the ~140 system roots for every connection costs CPU. */
function secureContext(extraCa: string | undefined): tls.SecureContext {
  const key = extraCa ?? '';
  let context = contexts.get(key);
  if (!context) {
    context = tls.createSecureContext({
      minVersion: 'TLSv1.2',
      // `ca` replaces Node's default roots, so the system roots are added back.
      ...(extraCa !== undefined && { ca: [...tls.rootCertificates, extraCa] }),
    });
    contexts.set(key, context);
  }
  return context;
}

export interface TlsTarget {
  /** The XMPP domain: sent as SNI and the name the certificate must carry. */
  domain: string;
  /** Extra trusted CA certificate(s), PEM. */
  ca?: string;
  /** When a CRL or OCSP responder gives no answer; default 'soft-fail' (see revocation.ts). */
  revocation?: RevocationPolicy;
}

/** What a TLS connection turned out to be, once its certificate passed every check. */
export interface TlsDetails {
  /** e.g. TLSv1.3. */
  protocol: string;
  cipher: string;
  /** The certificate's subject and issuer, as OpenSSL prints them. */
  subject: string;
  issuer: string;
  revocation: RevocationReport;
}

export function tlsConnectOptions(target: TlsTarget): tls.ConnectionOptions {
  // tls.connect hands requestOCSP on to its TLSSocket, though ConnectionOptions does not list it.
  const options: tls.ConnectionOptions & Pick<tls.TLSSocketOptions, 'requestOCSP'> = {
    secureContext: secureContext(target.ca),
    servername: target.domain,
    rejectUnauthorized: true,
    checkServerIdentity: (_host, certificate) => checkXmppServerIdentity(target.domain, certificate),
    requestOCSP: true,
  };
  return options;
}

/** Refuses the connection with a TlsError when the certificate is revoked (or, with hard-fail, when nobody can say). */
async function verifyRevocation(peer: tls.DetailedPeerCertificate, target: TlsTarget, stapled: Buffer | undefined): Promise<RevocationReport> {
  const policy = target.revocation ?? 'soft-fail';
  const issuer = peer.issuerCertificate;
  // A self-signed certificate (trusted explicitly) has no issuer to ask.
  if (!issuer?.raw || issuer.fingerprint256 === peer.fingerprint256) return { status: 'not-checkable', checks: [], policy };
  const report = await checkRevocation({
    certificateDer: new Uint8Array(peer.raw),
    issuerDer: new Uint8Array(issuer.raw),
    ...(stapled && { stapled: new Uint8Array(stapled) }),
    policy,
    now: new Date(),
  });
  const description = describeRevocation(report);
  if (report.status === 'revoked') throw new TlsError('revoked', target.domain, undefined, description);
  if (report.status === 'unknown' && policy === 'hard-fail') throw new TlsError('revocation-unknown', target.domain, undefined, description);
  if (report.status === 'unknown') log.warn(`TLS to ${target.domain}: certificate revocation ${description}; connecting anyway`);
  return report;
}

/**
 * A TLS socket with the interface xmpp.js's Connection expects of a transport socket
 * (`connect` once secure, `data`, `close`, `error`, `write`, `end`, `secure`), whose handshake
 * errors arrive as TlsError with the precise reason.
 */
export class TlsSocket extends EventEmitter {
  readonly secure = true;
  private socket: tls.TLSSocket | undefined;
  private verified: TlsDetails | undefined;

  /** Direct TLS: `{ host, port }`; STARTTLS: `{ socket }` (the connected TCP socket). 'connect' once every check passed. */
  connect(options: { host: string; port: number } | { socket: Socket }, target: TlsTarget): void {
    const socket = tls.connect({ ...options, ...tlsConnectOptions(target) });
    socket.setNoDelay(true); // as NoDelayTcpSocket in transports.ts
    this.socket = socket;
    let stapled: Buffer | undefined;
    socket.on('OCSPResponse', (response: Buffer | null) => {
      if (response && response.length > 0) stapled = response;
    });
    socket.on('secureConnect', () => {
      // Read now: once the socket has closed, Node no longer knows these. The detailed certificate first:
      // after getPeerX509Certificate(), Node 20 no longer finds its issuer.
      const peer = socket.getPeerCertificate(true);
      const certificate = socket.getPeerX509Certificate();
      const connection = {
        protocol: socket.getProtocol() ?? 'unknown',
        cipher: socket.getCipher()?.name ?? 'unknown',
        subject: certificate?.subject.replace(/\n/g, ', ') ?? '',
        issuer: certificate?.issuer.replace(/\n/g, ', ') ?? '',
      };
      verifyRevocation(peer, target, stapled).then(
        (revocation) => {
          this.verified = { ...connection, revocation };
          this.emit('connect');
        },
        (error: Error) => {
          socket.destroy();
          if (this.listenerCount('error') > 0) this.emit('error', error);
        },
      );
    });
    socket.on('data', (data: Buffer) => this.emit('data', data));
    socket.on('close', () => this.emit('close'));
    socket.on('error', (error: Error) => {
      // Once the connection has let go of this socket, an EventEmitter 'error' without listeners would throw.
      if (this.listenerCount('error') > 0) this.emit('error', classifyTlsError(error, target.domain) ?? error);
    });
  }

  /** Set once the connection is up and its certificate passed every check. */
  get details(): TlsDetails | undefined {
    return this.verified;
  }

  /** For SCRAM-*-PLUS; undefined before the handshake or on TLS older than 1.2. */
  channelBinding(): ChannelBinding | undefined {
    return this.socket && this.verified ? channelBindingOf(this.socket) : undefined;
  }

  write(data: string, callback?: (error?: Error | null) => void): void {
    if (!this.socket) throw new Error('TLS socket is not connected');
    this.socket.write(data, callback);
  }

  end(): void {
    this.socket?.end();
  }

  destroy(): void {
    this.socket?.destroy();
  }
}
