import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { Lab } from '../../src/lab/index.js';
import { el } from '../../src/util/xml.js';
import {
  capsVerification,
  SaslError,
  StanzaError,
  TlsError,
  toIceServers,
  XmppConnection,
  type ConnectOptions,
  type XmppAccount,
} from '../../src/xmpp/index.js';
import { sharedLab } from '../helpers/lab.js';

const callFeatures = [
  'urn:xmpp:jingle:1',
  'urn:xmpp:jingle:apps:rtp:1',
  'urn:xmpp:jingle:apps:rtp:audio',
  'urn:xmpp:jingle:transports:ice-udp:1',
  'urn:xmpp:jingle:apps:dtls:0',
  'urn:xmpp:jingle-message:0',
  'urn:xmpp:jingle:apps:rtp:rtcp-fb:0',
];

describe('xmpp/connection (against the lab)', function () {
  let lab: Lab;
  const open: XmppConnection[] = [];

  before(async () => {
    lab = await sharedLab();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.close()));
  });

  function account(index: number, overrides: Partial<XmppAccount> = {}): XmppAccount {
    const { jid, password } = lab.info.accounts[index]!;
    return { jid, password, host: lab.info.host, port: lab.info.ports.c2s, ca: lab.info.caPem, ...overrides };
  }

  async function login(index: number, overrides: Partial<XmppAccount> = {}, options?: ConnectOptions): Promise<XmppConnection> {
    const connection = await XmppConnection.connect(account(index, overrides), options);
    open.push(connection);
    return connection;
  }

  it('logs in with STARTTLS, and its stanza log holds neither the password nor SASL payloads', async () => {
    const log: string[] = [];
    const connection = await login(0, {}, { stanzaLog: (direction, text) => log.push(`${direction} ${text}`) });
    assert.match(connection.jid, new RegExp(`^${lab.info.accounts[0]!.jid}/earshot-[0-9a-f]{8}$`));
    assert.ok(log.includes('in <proceed xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>'), 'negotiated STARTTLS');
    const sasl = log.filter((line) => line.includes('urn:ietf:params:xml:ns:xmpp-sasl"') && !line.includes('<mechanisms'));
    assert.deepEqual(
      sasl.map((line) => line.replace(/ mechanism="[^"]*"/, '')),
      [
        'out <auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl">***</auth>',
        'in <challenge xmlns="urn:ietf:params:xml:ns:xmpp-sasl">***</challenge>',
        'out <response xmlns="urn:ietf:params:xml:ns:xmpp-sasl">***</response>',
        'in <success xmlns="urn:ietf:params:xml:ns:xmpp-sasl">***</success>',
      ],
    );
    assert.ok(!log.join('\n').includes(lab.info.accounts[0]!.password));
  });

  it('logs in with direct TLS', async () => {
    const connection = await login(1, { tls: 'direct', port: lab.info.ports.c2sDirectTls });
    assert.ok(connection.jid.startsWith(`${lab.info.accounts[1]!.jid}/`));
  });

  it('reports a wrong password as SASL not-authorized', async () => {
    const attempt = XmppConnection.connect(account(0, { password: 'not-the-password' }));
    await assert.rejects(attempt, (error: Error) => {
      assert.ok(error instanceof SaslError);
      assert.equal(error.condition, 'not-authorized');
      assert.match(error.message, /^SASL authentication failed: not-authorized/);
      return true;
    });
  });

  it('refuses the server when the lab CA is not trusted, with STARTTLS and direct TLS', async () => {
    for (const overrides of [{}, { tls: 'direct', port: lab.info.ports.c2sDirectTls }] as const) {
      const { ca: _ca, ...withoutCa } = account(0, overrides);
      await assert.rejects(XmppConnection.connect(withoutCa), (error: Error) => {
        assert.ok(error instanceof TlsError, String(error));
        assert.equal(error.reason, 'untrusted');
        assert.ok(error.code, 'carries the Node error code');
        assert.match(error.message, new RegExp(`TLS to ${lab.info.domain} refused: its certificate is not signed by a trusted CA \\[${error.code}\\]`));
        return true;
      });
    }
  });

  it('says why it cannot log in without TLS to a server that requires it', async () => {
    await assert.rejects(
      XmppConnection.connect(account(0, { tls: 'none-insecure' }), { timeoutMs: 5000 }),
      /with tls: none-insecure: the server offers only <starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"\/>/,
    );
  });

  it('announces its features in disco#info and in caps that match them', async () => {
    const bob = await login(1);
    const presence = new Promise<string>((resolve) => {
      bob.onPresence.subscribe((stanza) => {
        const caps = stanza.getChild('c', 'http://jabber.org/protocol/caps');
        if (stanza.attrs.from?.startsWith(`${lab.info.accounts[0]!.jid}/`) && caps) resolve(`${caps.attrs.node}#${caps.attrs.ver}`);
      });
    });
    const alice = await login(0, {}, { features: callFeatures });

    const info = await bob.discoInfo(alice.jid);
    assert.deepEqual(info.identities, [{ category: 'client', type: 'pc', name: 'earshot' }]);
    for (const feature of [...callFeatures, 'http://jabber.org/protocol/disco#info', 'urn:xmpp:ping']) {
      assert.ok(info.features.includes(feature), feature);
    }
    assert.equal(await presence, `https://earshot.dev#${capsVerification(info.identities, info.features)}`);

    const byNode = await bob.iq('get', alice.jid, el('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: await presence }));
    assert.equal(byNode.getChild('query')?.attrs.node, await presence);
    await assert.rejects(
      bob.iq('get', alice.jid, el('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'https://earshot.dev#stale' })),
      (error: Error) => error instanceof StanzaError && error.condition === 'item-not-found',
    );
  });

  it('answers ping, and service-unavailable to an iq it has no handler for', async () => {
    const [alice, bob] = [await login(0), await login(1)];
    const pong = await bob.iq('get', alice.jid, el('ping', { xmlns: 'urn:xmpp:ping' }));
    assert.equal(pong.attrs.type, 'result');
    await assert.rejects(bob.iq('set', alice.jid, el('query', { xmlns: 'urn:example:unknown' })), (error: Error) => {
      assert.ok(error instanceof StanzaError);
      assert.deepEqual([error.type, error.condition], ['cancel', 'service-unavailable']);
      return true;
    });
  });

  it('calls a registered iq handler and returns its answer', async () => {
    const [alice, bob] = [await login(0), await login(1)];
    alice.handleIq('get', 'time', 'urn:xmpp:time', () => el('time', { xmlns: 'urn:xmpp:time' }, el('tzo', {}, '+00:00')));
    const result = await bob.iq('get', alice.jid, el('time', { xmlns: 'urn:xmpp:time' }));
    assert.equal(result.getChild('time', 'urn:xmpp:time')?.getChildText('tzo'), '+00:00');
  });

  it('discovers the lab STUN and TURN services, TURN with credentials', async () => {
    const connection = await login(0);
    const services = await connection.externalServices();
    const turn = lab.info.turn!;
    const stunEntry = services.find((service) => service.type === 'stun');
    const turnEntry = services.find((service) => service.type === 'turn');
    assert.deepEqual(stunEntry && [stunEntry.host, stunEntry.port], [turn.host, turn.port]);
    assert.ok(turnEntry?.username && turnEntry.password, 'TURN credentials');
    assert.deepEqual(
      toIceServers(services).map((server) => server.urls),
      [`stun:${turn.host}:${turn.port}`, `turn:${turn.host}:${turn.port}?transport=udp`],
    );
  });

  it('reports a lost connection on onClose and then refuses to send', async () => {
    const resource = `replaced-${Date.now()}`;
    const first = await login(2, { resource });
    const closed = first.onClose.next();
    await login(2, { resource });
    const [error] = await closed;
    assert.match(String(error?.message), /lost: conflict/);
    await assert.rejects(first.send(el('presence')), /is closed/);
  });

  it('closes cleanly once, however often close() is called', async () => {
    const connection = await login(3);
    const reasons: Array<Error | undefined> = [];
    connection.onClose.subscribe((reason) => reasons.push(reason));
    await Promise.all([connection.close(), connection.close()]);
    await connection.close();
    assert.deepEqual(reasons, [undefined]);
    await assert.rejects(connection.iq('get', undefined, el('ping', { xmlns: 'urn:xmpp:ping' })), /is closed/);
  });
});

describe('xmpp/connection (against fake servers)', () => {
  const servers: Server[] = [];

  /** A loopback TCP server that runs `onConnection` for each client; resolves with its port. */
  async function fakeServer(onConnection: (socket: Socket) => void): Promise<number> {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      onConnection(socket);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  after(() => {
    for (const server of servers) server.close();
  });

  it('refuses to log in to a server that offers no STARTTLS', async () => {
    const port = await fakeServer((socket) =>
      socket.once('data', () =>
        socket.write(
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
            "from='plain.test' id='s1' version='1.0'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
            '<mechanism>PLAIN</mechanism></mechanisms></stream:features>',
        ),
      ),
    );
    await assert.rejects(
      XmppConnection.connect({ jid: 'alice@plain.test', password: 'secret-password', host: '127.0.0.1', port }),
      (error: Error) => error instanceof TlsError && error.reason === 'no-tls-offered' && /the server offered no STARTTLS/.test(error.message),
    );
  });

  it('gives up on a server that never answers, within the login timeout', async () => {
    const port = await fakeServer(() => undefined);
    const startedAt = Date.now();
    await assert.rejects(
      XmppConnection.connect({ jid: 'alice@silent.test', password: 'secret-password', host: '127.0.0.1', port }, { timeoutMs: 300 }),
      /login of alice@silent.test timed out after 300 ms/,
    );
    assert.ok(Date.now() - startedAt < 1000);
  });
});
