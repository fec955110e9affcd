// A call whose caller loses its XMPP connection mid-call (a TCP proxy cuts it) and resumes the stream
// (XEP-0198): media goes on, signalling survives, and the caller's timeline shows the loss and the resumption.
import assert from 'node:assert/strict';
import { Endpoint, loadReference, reportBothEnds, type Call } from '../../src/call/index.js';
import { labAccountConfig, type Lab } from '../../src/lab/index.js';
import type { ConnectionStateChange } from '../../src/xmpp/connection-state.js';
import { sharedLab } from '../helpers/lab.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const CALL_MS = 6000;
const CUT_AT_MS = 2000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a call through a dropped and resumed XMPP connection (lab Prosody)', function () {
  this.timeout(40_000);
  let lab: Lab;
  let proxy: TcpProxy;
  let caller: Endpoint;
  let callee: Endpoint;
  const changes: ConnectionStateChange[] = [];

  before(async () => {
    lab = await sharedLab();
    proxy = await TcpProxy.start({ host: lab.info.host, port: lab.info.ports.c2s });
    [caller, callee] = await Promise.all([
      Endpoint.login({ ...labAccountConfig(lab.info, 'alice'), port: proxy.port }),
      Endpoint.login(labAccountConfig(lab.info, 'bob')),
    ]);
    caller.connection.onConnectionState.subscribe((change) => changes.push(change));
    callee.autoAnswer({ allow: ['alice@localhost'], media: { play: await loadReference(), loop: true } });
  });
  after(async () => {
    await Promise.all([caller?.close(), callee?.close()]);
    await proxy?.stop();
  });
  beforeEach(() => {
    changes.length = 0;
  });

  async function connectedCall(): Promise<{ call: Call; incoming: Call }> {
    const answered = callee.onIncomingCall.next();
    const call = await caller.call(callee.self, { play: await loadReference(), loop: true, jmi: false });
    const [incoming] = await answered;
    await call.onConnected.next();
    return { call, incoming };
  }

  async function nextChange(state: ConnectionStateChange['state'], timeoutMs = 5000): Promise<ConnectionStateChange> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const change = changes.find((candidate) => candidate.state === state);
      if (change) return change;
      if (performance.now() > deadline) throw new Error(`no ${state} within ${timeoutMs} ms: ${JSON.stringify(changes)}`);
      await sleep(10);
    }
  }

  it('keeps media flowing both ways across the cut, resumes within a few seconds and ends normally', async () => {
    const { call, incoming } = await connectedCall();
    let hungUp = false;
    let endedBeforeHangUp = false;
    void Promise.race([call.ended, incoming.ended]).then(() => (endedBeforeHangUp = !hungUp));

    await sleep(CUT_AT_MS);
    const atCut = { caller: call.liveStats().received, callee: incoming.liveStats().received };
    const cutAt = performance.now();
    assert.equal(proxy.cut(), 2, 'the caller had one connection through the proxy');
    await nextChange('interrupted');
    const resumed = await nextChange('resumed');
    const outageMs = performance.now() - cutAt;

    await sleep(CALL_MS - CUT_AT_MS);
    hungUp = true;
    call.hangUp();
    const [callerLeg, calleeLeg] = await Promise.all([call.ended, incoming.ended]);

    assert.ok(outageMs < 3000, `resumed ${Math.round(outageMs)} ms after the cut`);
    assert.equal(endedBeforeHangUp, false, 'the call ended before the hangup');
    assert.deepEqual([callerLeg.end.by, callerLeg.end.condition], ['local', 'success']);
    assert.deepEqual([calleeLeg.end.by, calleeLeg.end.condition], ['remote', 'success']);
    const afterCut = { caller: (callerLeg.received?.packets ?? 0) - atCut.caller, callee: (calleeLeg.received?.packets ?? 0) - atCut.callee };
    // 4 s at 50 packets a second each way; a few may still be in flight at the hangup.
    assert.ok(afterCut.caller > 150 && afterCut.callee > 150, `packets received after the cut: ${JSON.stringify(afterCut)}`);
    const events = reportBothEnds(callerLeg, calleeLeg).timeline.map((entry) => entry.event);
    const lost = events.indexOf('xmpp connection lost (the socket closed)');
    const back = events.findIndex((event) => /^xmpp stream resumed after \d+ ms \(\d+ stanzas? re-sent\)$/.test(event));
    assert.ok(lost >= 0 && back > lost && events.indexOf('session-terminate sent') > back, events.join(' | '));
    assert.equal(resumed.state, 'resumed');
    console.log(`      outage to resumed: ${Math.round(outageMs)} ms; packets received after the cut: ${JSON.stringify(afterCut)}; ${events.slice(lost, back + 1).join(' | ')}`);
  });

  it('delivers a hangup made during the outage once the stream is resumed', async () => {
    const { call, incoming } = await connectedCall();
    await sleep(500);
    proxy.cut();
    await nextChange('interrupted');
    call.hangUp();
    const [callerLeg, calleeLeg] = await Promise.all([call.ended, incoming.ended]);
    assert.deepEqual([calleeLeg.end.by, calleeLeg.end.condition], ['remote', 'success']);
    const resumed = await nextChange('resumed');
    assert.ok(resumed.state === 'resumed' && resumed.held >= 1, JSON.stringify(resumed));
    const events = callerLeg.timeline.map((entry) => entry.event);
    assert.ok(events.indexOf('xmpp connection lost (the socket closed)') < events.indexOf('session-terminate sent'), events.join(' | '));
  });
});
