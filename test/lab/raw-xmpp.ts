/**
 * A few raw XMPP steps over a socket, independent of earshot's xmpp layer, so the lab's tests
 * check the server itself: stream open, STARTTLS with the lab CA, SASL PLAIN, bind, one IQ.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export class RawXmppStream {
  private received = '';
  private waiting: (() => void) | undefined;

  private constructor(private socket: Socket | TLSSocket) {
    this.listen();
  }

  static connect(host: string, port: number): Promise<RawXmppStream> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new RawXmppStream(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a stream header and returns the stream features. */
  async open(domain: string): Promise<string> {
    this.send(`<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`);
    return this.until(/<stream:features>[\s\S]*?<\/stream:features>/);
  }

  /** Asks for STARTTLS and upgrades, verifying the server against `ca` for `servername`. */
  async startTls(ca: string, servername: string): Promise<TLSSocket> {
    this.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await this.until(/<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'\/>/);
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const tls = tlsConnect({ socket: plain, ca, servername }, () => resolve(tls));
      tls.once('error', reject);
    });
    this.socket = secure;
    this.listen();
    return secure;
  }

  /** SASL PLAIN; resolves with the server's `<success/>` or `<failure>` element. */
  async authenticatePlain(username: string, password: string): Promise<string> {
    const payload = Buffer.from(`\0${username}\0${password}`).toString('base64');
    this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${payload}</auth>`);
    return this.until(/<success[^>]*\/>|<success[\s\S]*?<\/success>|<failure[\s\S]*?<\/failure>/);
  }

  async bind(): Promise<string> {
    this.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
    return this.until(/<iq[^>]*id='bind'[\s\S]*?<\/iq>/);
  }

  /** Sends an IQ with the given id and resolves with its result. */
  async iq(id: string, stanza: string): Promise<string> {
    this.send(stanza);
    return this.until(new RegExp(`<iq[^>]*id='${id}'[^>]*(/>|>[\\s\\S]*?</iq>)`));
  }

  send(text: string): void {
    this.socket.write(text);
  }

  close(): void {
    this.socket.destroy();
  }

  /** Resolves with the first match in what arrived since the last match; rejects after `timeoutMs`. */
  private async until(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.received);
      if (match) {
        this.received = this.received.slice(match.index + match[0].length);
        return match[0];
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${pattern} from the server; got: ${this.received.slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private listen(): void {
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.received += chunk;
      this.waiting?.();
    });
  }
}
