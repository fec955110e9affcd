// A login without credentials: open the stream, negotiate TLS under earshot's policy (certificate,
// name, revocation, TLS 1.2+), read the mechanisms the server offers inside TLS, and leave. What
// `earshot tls-check --server` does when it has no account for the server.
import { Client } from '@xmpp/client-core';
import middlewareStack from '@xmpp/middleware';
import { NS_SASL } from './sasl.js';
import { starttlsPolicy } from './starttls.js';
import { classifyTlsError, TlsSocket, type TlsDetails, type TlsTarget } from './tls-policy.js';
import { directTlsTransport, tcpTransport } from './transports.js';
import type { Element } from '../util/xml.js';

const NS_STREAMS = 'http://etherx.jabber.org/streams';

export interface TlsProbeTarget extends TlsTarget {
  host: string;
  port: number;
  tls: 'starttls' | 'direct';
}

export interface TlsProbeResult {
  tls: TlsDetails;
  /** SASL mechanisms offered inside TLS. */
  mechanisms: string[];
}

/** Rejects with a TlsError when TLS is refused, another Error when the server cannot be reached. */
export async function probeTls(target: TlsProbeTarget, timeoutMs = 15_000): Promise<TlsProbeResult> {
  const service = `${target.tls === 'direct' ? 'xmpps' : 'xmpp'}://${target.host}:${target.port}`;
  const entity = new Client({ domain: target.domain, timeout: timeoutMs, service });
  entity.transports.push(target.tls === 'direct' ? directTlsTransport(target) : tcpTransport(target));
  const middleware = middlewareStack({ entity });
  starttlsPolicy({ middleware }, target.tls, target);

  let timer: NodeJS.Timeout | undefined;
  let fail: (error: Error) => void = () => undefined;
  const secureFeatures = new Promise<Element>((resolve, reject) => {
    fail = reject;
    middleware.use(({ stanza }, next) => {
      if (!stanza.is('features', NS_STREAMS) || !entity.isSecure()) return next();
      resolve(stanza);
    });
    // Any error is the probe's answer: a refused certificate, a server without STARTTLS, a closed port.
    entity.on('error', reject);
    entity.on('disconnect', () => reject(new Error(`${target.host}:${target.port} closed the connection before TLS was up`)));
    timer = setTimeout(() => reject(new Error(`no TLS with ${target.domain} at ${service} within ${timeoutMs} ms (stuck at: ${entity.status})`)), timeoutMs);
  });
  entity.start().catch(fail);
  try {
    const features = await secureFeatures;
    const socket = entity.socket;
    if (!(socket instanceof TlsSocket) || !socket.details) throw new Error('TLS is up but its details are missing');
    const mechanisms = features.getChild('mechanisms', NS_SASL)?.getChildren('mechanism').map((mechanism) => mechanism.getText().trim()) ?? [];
    return { tls: socket.details, mechanisms };
  } catch (error) {
    throw classifyTlsError(error as Error, target.domain) ?? error;
  } finally {
    clearTimeout(timer);
    entity.socket?.destroy();
  }
}
