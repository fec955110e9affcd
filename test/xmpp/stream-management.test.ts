// XEP-0198 stream management: the pure state machine with golden elements, the reconnection schedule, and an
// XmppConnection whose socket to the lab's Prosody is cut, frozen or refused (through a TCP proxy).
import assert from 'node:assert/strict';
import type { Lab } from '../../src/lab/index.js';
import { el, parseXml, type Element } from '../../src/util/xml.js';
import type { ConnectionStateChange } from '../../src/xmpp/connection-state.js';
import { XmppConnection, type ConnectOptions, type XmppAccount } from '../../src/xmpp/connection.js';
import { reconnectDelayMs } from '../../src/xmpp/reconnect-policy.js';
import { StreamManagement } from '../../src/xmpp/stream-management.js';
import { sharedLab } from '../helpers/lab.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const message = (body: string) => el('message', { to: 'bob@localhost/phone', type: 'chat' }, el('body', {}, body));
const bodies = (stanzas: Element[]) => stanzas.map((stanza) => stanza.getChildText('body'));

/** A session enabled with resumption (Prosody's answer, verbatim) that has sent `sent` messages. */
function enabledSession(sent: number): StreamManagement {
  const sm = new StreamManagement();
  assert.equal(sm.enable().toString(), '<enable xmlns="urn:xmpp:sm:3" resume="true"/>');
  const enabled = sm.receive(parseXml('<enabled xmlns="urn:xmpp:sm:3" id="f6c3e1d2-5b7a" resume="true" max="600"/>'));
  assert.deepEqual(enabled, { kind: 'enabled', resumable: true, maxSeconds: 600 });
  for (let i = 1; i <= sent; i++) sm.sent(message(`m${i}`));
  return sm;
}

describe('xmpp/stream-management (state machine)', () => {
  it('counts received stanzas and answers <r/> with that count, nonzas left out', () => {
    const sm = enabledSession(0);
    sm.receive(parseXml('<message from="bob@localhost/phone"><body>hi</body></message>'));
    sm.receive(parseXml('<iq type="get" id="p1" from="localhost"><ping xmlns="urn:xmpp:ping"/></iq>'));
    sm.receive(parseXml('<a xmlns="urn:xmpp:sm:3" h="0"/>'));
    const answer = sm.receive(parseXml('<r xmlns="urn:xmpp:sm:3"/>'));
    assert.equal(answer.kind === 'reply' && answer.element.toString(), '<a xmlns="urn:xmpp:sm:3" h="2"/>');
  });

  it('forgets what the server acknowledges and resends the rest after <resumed/>', () => {
    const sm = enabledSession(3);
    assert.deepEqual(sm.receive(parseXml('<a xmlns="urn:xmpp:sm:3" h="1"/>')), { kind: 'acked', count: 1, excess: 0 });
    sm.receive(parseXml('<presence from="bob@localhost/phone"/>'));
    sm.interrupt();
    assert.equal(sm.phase, 'interrupted');
    assert.equal(sm.resume().toString(), '<resume xmlns="urn:xmpp:sm:3" previd="f6c3e1d2-5b7a" h="1"/>');
    const resumed = sm.receive(parseXml('<resumed xmlns="urn:xmpp:sm:3" h="2" previd="f6c3e1d2-5b7a"/>'));
    assert.ok(resumed.kind === 'resumed');
    assert.deepEqual(bodies(resumed.resend), ['m3']);
    assert.equal(sm.phase, 'on');
  });

  it('hands back what a failed resumption leaves unacknowledged, using the h of <failed/>', () => {
    const sm = enabledSession(3);
    sm.interrupt();
    sm.resume();
    const failed = sm.receive(
      parseXml('<failed xmlns="urn:xmpp:sm:3" h="1"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>'),
    );
    assert.ok(failed.kind === 'resume-failed');
    assert.equal(failed.condition, 'item-not-found');
    assert.deepEqual(bodies(failed.unacked), ['m2', 'm3']);
    assert.equal(sm.resumable, false);
    assert.throws(() => sm.resume(), /cannot resume a stream-management session that is off/);
  });

  it('does not offer resumption when the server enabled acks only, and reports an h above what was sent', () => {
    const sm = new StreamManagement();
    sm.enable();
    sm.receive(parseXml('<enabled xmlns="urn:xmpp:sm:3"/>'));
    sm.sent(message('m1'));
    assert.deepEqual(sm.receive(parseXml('<a xmlns="urn:xmpp:sm:3" h="3"/>')), { kind: 'acked', count: 1, excess: 2 });
    sm.interrupt();
    assert.equal(sm.phase, 'off');
  });
});

describe('xmpp/reconnect-policy', () => {
  it('tries at once, then after 0.5, 1, 2 and 4 s, every 4 s after that, and gives up after 60 s', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 9].map((attempt) => reconnectDelayMs({}, attempt, 0)),
      [0, 500, 1000, 2000, 4000, 4000, 4000],
    );
    assert.equal(reconnectDelayMs({}, 6, 55_999), 4000);
    assert.equal(reconnectDelayMs({}, 6, 56_000), undefined);
    assert.equal(reconnectDelayMs({ delaysMs: [100], giveUpAfterMs: 1000 }, 3, 950), undefined);
  });
});

describe('xmpp/connection with stream management (lab Prosody through a TCP proxy)', function () {
  this.timeout(30_000);
  let lab: Lab;
  let proxy: TcpProxy;
  const open: XmppConnection[] = [];

  before(async () => {
    lab = await sharedLab();
  });
  beforeEach(async () => {
    proxy = await TcpProxy.start({ host: lab.info.host, port: lab.info.ports.c2s });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.close()));
    await proxy.stop();
  });

  function account(username: string, viaProxy: boolean): XmppAccount {
    const { jid, password } = lab.info.accounts.find((candidate) => candidate.username === username)!;
    return { jid, password, host: lab.info.host, port: viaProxy ? proxy.port : lab.info.ports.c2s, ca: lab.info.caPem };
  }

  async function login(username: string, viaProxy: boolean, options: ConnectOptions = {}, resource?: string): Promise<XmppConnection> {
    const connection = await XmppConnection.connect({ ...account(username, viaProxy), resource }, options);
    open.push(connection);
    return connection;
  }

  function stateChanges(connection: XmppConnection): ConnectionStateChange[] {
    const changes: ConnectionStateChange[] = [];
    connection.onConnectionState.subscribe((change) => changes.push(change));
    return changes;
  }

  it('enables stream management with resumption at login', async () => {
    const log: string[] = [];
    const connection = await login('alice', true, { stanzaLog: (direction, text) => log.push(`${direction} ${text}`) });
    assert.equal(connection.streamManagement, 'enabled');
    assert.ok(log.includes('out <enable xmlns="urn:xmpp:sm:3" resume="true"/>'), log.join('\n'));
    // Prosody 0.12: <enabled id="mmY2edRRjkhR" max="600" xmlns="urn:xmpp:sm:3" resume="true"/>, max being smacks_hibernation_time.
    const enabled = log.filter((line) => line.startsWith('in <enabled ')).map((line) => parseXml(line.slice('in '.length)));
    assert.equal(enabled.length, 1);
    assert.deepEqual([enabled[0]!.getNS(), enabled[0]!.attrs.resume, enabled[0]!.attrs.max], ['urn:xmpp:sm:3', 'true', '600']);
    assert.match(enabled[0]!.attrs.id ?? '', /^\S+$/);
  });

  it('resumes after a cut: same JID, iq handlers still answer, an iq made during the outage completes, queued messages arrive', async () => {
    const alice = await login('alice', true);
    const bob = await login('bob', false);
    alice.handleIq('get', 'time', 'urn:xmpp:time', () => el('time', { xmlns: 'urn:xmpp:time' }, el('tzo', {}, '+00:00')));
    const received: string[] = [];
    alice.onMessage.subscribe((stanza) => received.push(stanza.getChildText('body') ?? ''));
    const changes = stateChanges(alice);
    const jid = alice.jid;

    const interrupted = alice.onConnectionState.next();
    const cutAt = performance.now();
    proxy.cut();
    await interrupted;
    const duringOutage = alice.iq('get', 'localhost', el('ping', { xmlns: 'urn:xmpp:ping' }));
    await bob.send(el('message', { to: jid, type: 'chat' }, el('body', {}, 'sent while alice was away')));
    const [resumed] = await alice.onConnectionState.next();
    const outageMs = performance.now() - cutAt;

    assert.equal(resumed.state, 'resumed', JSON.stringify(changes));
    assert.equal(changes[0]?.state, 'interrupted');
    assert.equal(resumed.held, 1, 'the ping made during the outage went out after the resumption');
    assert.ok(outageMs < 3000, `resumed ${Math.round(outageMs)} ms after the cut`);
    assert.equal((await duringOutage).attrs.type, 'result');
    assert.equal(alice.jid, jid);
    assert.equal(proxy.accepted, 2);
    const time = await bob.iq('get', jid, el('time', { xmlns: 'urn:xmpp:time' }));
    assert.equal(time.getChild('time', 'urn:xmpp:time')?.getChildText('tzo'), '+00:00');
    await waitFor(() => received.length > 0);
    assert.deepEqual(received, ['sent while alice was away']);
    console.log(`      outage to resumed: ${Math.round(outageMs)} ms (connection reports ${resumed.state === 'resumed' && resumed.outageMs} ms)`);
  });

  it('notices a connection gone silent by its unanswered <r/>, and resumes', async () => {
    const alice = await login('alice', true, { keepaliveMs: 200, ackTimeoutMs: 400 });
    const interrupted = alice.onConnectionState.next();
    proxy.freeze();
    const [change] = await interrupted;
    assert.deepEqual(change, { state: 'interrupted', cause: 'no answer to <r/> within 400 ms' });
    const [resumed] = await alice.onConnectionState.next();
    assert.equal(resumed.state, 'resumed');
    assert.equal((await alice.iq('get', 'localhost', el('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type, 'result');
  });

  it('starts a new session on the same full JID when the old one is gone, and re-sends what was held', async () => {
    const resource = `resume-${Date.now()}`;
    const alice = await login('alice', true, { reconnect: { delaysMs: [1000] } }, resource);
    const bob = await login('bob', false);
    const received: string[] = [];
    bob.onMessage.subscribe((stanza) => received.push(stanza.getChildText('body') ?? ''));
    const changes = stateChanges(alice);
    const interrupted = alice.onConnectionState.next();
    proxy.cut();
    await interrupted;
    // The same resource logging in again replaces the hibernating session, so it cannot be resumed.
    const usurper = await XmppConnection.connect({ ...account('alice', false), resource }, { reconnect: false });
    await usurper.close();
    await alice.send(el('message', { to: bob.jid, type: 'chat' }, el('body', {}, 'held during the outage')));
    const [back] = await alice.onConnectionState.next();
    assert.ok(back.state === 'reconnected', JSON.stringify(changes));
    assert.equal(back.resumeFailure, 'item-not-found');
    assert.equal(back.streamManagement, 'enabled');
    assert.equal(back.held, 1);
    assert.equal(alice.jid, `alice@localhost/${resource}`);
    await waitFor(() => received.length > 0);
    assert.deepEqual(received, ['held during the outage']);
  });

  it('gives up after its reconnection window with a failed event, closes, and fails the iqs still waiting', async () => {
    const alice = await login('alice', true, { reconnect: { delaysMs: [0, 100], giveUpAfterMs: 600 } });
    const changes = stateChanges(alice);
    const closed = alice.onClose.next();
    await proxy.stop();
    const waiting = alice.iq('get', 'localhost', el('ping', { xmlns: 'urn:xmpp:ping' }));
    const [reason] = await closed;
    assert.deepEqual(
      changes.map((change) => change.state),
      ['interrupted', 'failed'],
    );
    assert.match(String(reason?.message), /lost: could not reconnect to localhost within \d+ ms: .*ECONNREFUSED/);
    await assert.rejects(waiting, /closed before iq .* was answered/);
    await assert.rejects(alice.send(el('presence')), /is closed/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
