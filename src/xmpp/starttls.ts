// RFC 6120 §5.4 STARTTLS as the first stream feature, with earshot's TLS policy: on a socket that
// is not yet encrypted, either upgrade it or stop (unless the account says 'none-insecure').
import type { Client } from '@xmpp/client-core';
import type { MiddlewareStack } from '@xmpp/middleware';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { el } from '../util/xml.js';
import { TlsError, TlsSocket, type TlsMode, type TlsTarget } from './tls-policy.js';

const NS_STREAMS = 'http://etherx.jabber.org/streams';
const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

/** Add before any other stream feature: nothing may be negotiated in the clear. */
export function starttlsPolicy({ middleware }: { middleware: MiddlewareStack }, mode: TlsMode, target: TlsTarget): void {
  middleware.use(async ({ stanza, entity }, next) => {
    if (!stanza.is('features', NS_STREAMS) || entity.isSecure() || mode === 'none-insecure') return next();
    if (!stanza.getChild('starttls', NS_TLS)) throw new TlsError('no-tls-offered', target.domain);
    const answer = await entity.sendReceive(el('starttls', { xmlns: NS_TLS }));
    if (!answer.is('proceed', NS_TLS)) throw new TlsError('handshake-failed', target.domain, undefined, `server answered STARTTLS with <${answer.name}/>`);
    await upgrade(entity, target);
    await entity.restart();
  });
}

async function upgrade(entity: Client, target: TlsTarget): Promise<void> {
  const tcp = entity.socket as unknown as Socket;
  entity._detachSocket();
  tcp.on('error', () => undefined); // its errors also reach the TLS socket, which reports them
  const secure = new TlsSocket();
  try {
    const connected = once(secure, 'connect');
    secure.connect({ socket: tcp }, target);
    await connected;
  } catch (error) {
    tcp.destroy();
    throw error;
  }
  entity._attachSocket(secure);
}
