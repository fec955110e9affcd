// The socket an XmppConnection opens first: plain TCP (then STARTTLS, or nothing when insecure),
// or direct TLS (XEP-0368). xmpp.js picks a transport by URI scheme; ours are built per connection
// so that each carries its own host, port and trust settings.
import ConnectionTCP from '@xmpp/connection-tcp';
import TcpSocket from '@xmpp/connection-tcp/Socket.js';
import { TlsSocket, type TlsTarget } from './tls-policy.js';

/** The stream's default namespace; connection-tcp's own default is the streams namespace, which servers reject at the first stanza. */
const NS_CLIENT = 'jabber:client';

export interface TransportTarget extends TlsTarget {
  host: string;
  port: number;
}

/** Nagle's algorithm off: stanzas are small, and Jingle signalling should not wait for ACKs. */
class NoDelayTcpSocket extends TcpSocket {
  constructor() {
    super();
    this.setNoDelay(true);
  }
}

export function tcpTransport(target: TransportTarget): typeof ConnectionTCP {
  class PlainTcp extends ConnectionTCP {
    override socketParameters(): unknown {
      return { host: target.host, port: target.port };
    }
  }
  PlainTcp.prototype.Socket = NoDelayTcpSocket;
  PlainTcp.prototype.NS = NS_CLIENT;
  return PlainTcp;
}

export function directTlsTransport(target: TransportTarget): typeof ConnectionTCP {
  class DirectTlsSocket extends TlsSocket {
    override connect(): void {
      super.connect({ host: target.host, port: target.port }, target);
    }
  }
  class DirectTls extends ConnectionTCP {
    override socketParameters(): unknown {
      return {};
    }
  }
  DirectTls.prototype.Socket = DirectTlsSocket;
  DirectTls.prototype.NS = NS_CLIENT;
  return DirectTls;
}
