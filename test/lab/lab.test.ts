import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labAccountConfig, readLabState, type Lab } from '../../src/lab/index.js';
import { sharedLab } from '../helpers/lab.js';
import { RawXmppStream } from './raw-xmpp.js';

/** Opens a stream to the lab's c2s port, upgrades with STARTTLS against the lab CA, and logs in with PLAIN. */
async function login(lab: Lab, username: string, password: string): Promise<{ stream: RawXmppStream; outcome: string }> {
  const stream = await RawXmppStream.connect(lab.info.host, lab.info.ports.c2s);
  await stream.open(lab.info.domain);
  await stream.startTls(lab.info.caPem, lab.info.domain);
  await stream.open(lab.info.domain);
  return { stream, outcome: await stream.authenticatePlain(username, password) };
}

describe('lab: running lab', () => {
  let lab: Lab;
  before(async () => {
    lab = await sharedLab();
  });

  it('describes itself', () => {
    const { info } = lab;
    assert.equal(info.domain, 'localhost');
    assert.equal(info.host, '127.0.0.1');
    // The four it starts with (tests that ran before may have registered more on this shared lab).
    const own = info.accounts.slice(0, 4);
    assert.deepEqual(own.map((a) => a.jid), ['alice@localhost', 'bob@localhost', 'carol@localhost', 'dave@localhost']);
    assert.equal(new Set(own.map((a) => a.password)).size, 4);
    assert.equal(info.websocketUrl, `ws://127.0.0.1:${info.ports.http}/xmpp-websocket`);
    assert.equal(readFileSync(info.caFile, 'utf8'), info.caPem);
    assert.ok(info.turn && info.turn.port === info.ports.turn && info.turn.secret.length >= 32);
  });

  it('writes lab.json, readable by its owner only, for other processes to find it', () => {
    const file = join(lab.info.dir, 'lab.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), JSON.parse(JSON.stringify(lab.info)));
    assert.deepEqual(readLabState(lab.info.dir), JSON.parse(JSON.stringify(lab.info)));
  });

  it('gives what an XMPP login needs', () => {
    const alice = lab.info.accounts[0];
    assert.deepEqual(labAccountConfig(lab.info, 'alice'), {
      jid: 'alice@localhost',
      password: alice.password,
      host: '127.0.0.1',
      port: lab.info.ports.c2s,
      tls: 'starttls',
      ca: lab.info.caPem,
    });
    assert.throws(() => labAccountConfig(lab.info, 'mallory'), /no account "mallory" \(it has: alice, bob, carol, dave/);
  });

  it('requires STARTTLS on c2s, which verifies with the lab CA, then offers SCRAM', async () => {
    const stream = await RawXmppStream.connect(lab.info.host, lab.info.ports.c2s);
    try {
      const features = await stream.open(lab.info.domain);
      assert.match(features, /<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required\/><\/starttls>/);
      assert.doesNotMatch(features, /<mechanisms/);
      const tls = await stream.startTls(lab.info.caPem, lab.info.domain);
      assert.equal(tls.authorized, true);
      assert.match(await stream.open(lab.info.domain), /<mechanism>SCRAM-SHA-1<\/mechanism>/);
    } finally {
      stream.close();
    }
  });

  it('logs its accounts in, and refuses a wrong password', async () => {
    const bob = lab.info.accounts[1];
    const good = await login(lab, 'bob', bob.password);
    good.stream.close();
    assert.match(good.outcome, /^<success/);
    const bad = await login(lab, 'bob', bob.password + 'x');
    bad.stream.close();
    assert.match(bad.outcome, /<not-authorized\/>/);
  });

  it('registers more accounts, and resets a password when registering again', async () => {
    const erin = await lab.registerAccount('erin', 'first-password');
    assert.deepEqual(erin, { username: 'erin', jid: 'erin@localhost', password: 'first-password' });
    const again = await lab.registerAccount('erin');
    assert.notEqual(again.password, 'first-password');
    assert.equal(lab.info.accounts.filter((a) => a.username === 'erin').length, 1);
    assert.equal(readLabState(lab.info.dir)?.accounts.find((a) => a.username === 'erin')?.password, again.password);
    const { stream, outcome } = await login(lab, 'erin', again.password);
    stream.close();
    assert.match(outcome, /^<success/);
    await assert.rejects(lab.registerAccount('Bad Name'), /not a valid lab username/);
  });

  it('gives its accounts each other in their rosters, and TURN credentials through XEP-0215', async () => {
    const { stream, outcome } = await login(lab, 'alice', lab.info.accounts[0].password);
    try {
      assert.match(outcome, /^<success/);
      await stream.open(lab.info.domain);
      assert.match(await stream.bind(), /<jid>alice@localhost\/[^<]+<\/jid>/);
      const roster = await stream.iq('roster', "<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
      for (const peer of ['bob', 'carol', 'dave']) {
        assert.match(roster, new RegExp(`<item[^>]*jid='${peer}@localhost'[^>]*subscription='both'|<item[^>]*subscription='both'[^>]*jid='${peer}@localhost'`));
      }
      const services = await stream.iq('services', "<iq type='get' id='services' to='localhost'><services xmlns='urn:xmpp:extdisco:2'/></iq>");
      const turn = /<service [^>]*type='turn'[^>]*\/>/.exec(services)?.[0] ?? '';
      assert.match(turn, new RegExp(`host='127\\.0\\.0\\.1'`));
      assert.match(turn, new RegExp(`port='${lab.info.ports.turn}'`));
      assert.match(turn, /transport='udp'/);
      assert.match(turn, /username='\d+'/);
      assert.match(turn, /password='[A-Za-z0-9+/=]+'/);
      assert.match(services, new RegExp(`<service [^>]*type='stun'[^>]*port='${lab.info.ports.turn}'|<service [^>]*port='${lab.info.ports.turn}'[^>]*type='stun'`));
    } finally {
      stream.close();
    }
  });

  it('serves the WebSocket endpoint over plain HTTP on loopback', async () => {
    const response = await fetch(lab.info.websocketUrl.replace(/^ws:/, 'http:'));
    assert.equal(response.status, 200);
    assert.match(await response.text(), /WebSocket/);
  });
});
