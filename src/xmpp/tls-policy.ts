// TLS for the XMPP stream (RFC 6120 §5, RFC 7590), with earshot's policy: the certificate is always
// verified, against the system roots plus the caller's own CA, for the XMPP domain (not the host
// connected to), with TLS 1.2 at least. STARTTLS (RFC 6120 §5.4) or direct TLS (XEP-0368).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import tls from 'node:tls';

export type TlsMode = 'starttls' | 'direct' | 'none-insecure';

export type TlsFailureReason =
  | 'no-tls-offered'
  | 'untrusted'
  | 'expired'
  | 'not-yet-valid'
  | 'name-mismatch'
  | 'revoked'
  | 'handshake-failed';

const reasonByCode: Record<string, TlsFailureReason> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name-mismatch',
  HOSTNAME_MISMATCH: 'name-mismatch',
  // The server has no certificate for the domain sent as SNI (Prosody answers so for domains it does not serve).
  ERR_SSL_TLSV1_UNRECOGNIZED_NAME: 'name-mismatch',
  CERT_REVOKED: 'revoked',
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
    super(`TLS to ${domain} refused: ${explanations[reason]}${code ? ` [${code}]` : ''}${detail ? `: ${detail}` : ''}`);
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
}

export function tlsConnectOptions(target: TlsTarget): tls.ConnectionOptions {
  return {
    secureContext: secureContext(target.ca),
    servername: target.domain,
    rejectUnauthorized: true,
  };
}

/**
 * A TLS socket with the interface xmpp.js's Connection expects of a transport socket
 * (`connect` once secure, `data`, `close`, `error`, `write`, `end`, `secure`), whose handshake
 * errors arrive as TlsError with the precise reason.
 */
export class TlsSocket extends EventEmitter {
  readonly secure = true;
  private socket: tls.TLSSocket | undefined;

  /** Direct TLS: `{ host, port }`; STARTTLS: `{ socket }` (the connected TCP socket). */
  connect(options: { host: string; port: number } | { socket: Socket }, target: TlsTarget): void {
    const socket = tls.connect({ ...options, ...tlsConnectOptions(target) });
    socket.setNoDelay(true); // as NoDelayTcpSocket in transports.ts
    this.socket = socket;
    socket.on('secureConnect', () => this.emit('connect'));
    socket.on('data', (data: Buffer) => this.emit('data', data));
    socket.on('close', () => this.emit('close'));
    socket.on('error', (error: Error) => {
      // Once the connection has let go of this socket, an EventEmitter 'error' without listeners would throw.
      if (this.listenerCount('error') > 0) this.emit('error', classifyTlsError(error, target.domain) ?? error);
    });
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
