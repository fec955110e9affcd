// ICE restart during a call between two earshot endpoints through the lab's Prosody, as Conversations does it
// after a network change: the caller sends a transport-info with new ufrag/pwd and no candidates, the callee
// answers with its own new credentials on its first new candidate, and media goes on over the same DTLS-SRTP.
import assert from 'node:assert/strict';
import type { Call } from '../../src/call/index.js';
import type { IceRestart, Jingle } from '../../src/jingle/index.js';
import { systemClock } from '../../src/media/index.js';
import type { MediaTransport } from '../../src/media/media-transport.js';
import { PlainRtpTransport } from '../../src/media/plain-rtp-transport.js';
import { connectedCall, labEndpoints } from '../helpers/lab-endpoints.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Arrival times (systemClock ms) of the audio packets a leg received. */
function audioArrivals(leg: Call): number[] {
  const log = leg.streams().received?.log ?? [];
  return log.filter((entry) => entry.payloadType !== 101).map((entry) => entry.arrivalMs);
}

/** How many packets arrived from `fromMs` on, and the longest silence from then (between packets, or until now). */
function afterRestart(arrivals: number[], fromMs: number): { packets: number; longestGapMs: number } {
  const later = arrivals.filter((at) => at >= fromMs);
  const moments = [fromMs, ...later, systemClock.now()];
  let longestGapMs = 0;
  for (let i = 1; i < moments.length; i++) longestGapMs = Math.max(longestGapMs, moments[i] - moments[i - 1]);
  return { packets: later.length, longestGapMs };
}

describe('ICE restart during a call between two earshot endpoints (lab Prosody)', function () {
  this.timeout(20_000);
  let caller: Call;
  let callee: Call;
  after(() => caller?.hangUp());
  const endpoints = labEndpoints('alice', 'bob');

  before(async () => {
    ({ call: caller, incoming: callee } = await connectedCall(endpoints.alice, endpoints.bob, { caller: { jmi: false } }));
    await sleep(500);
  });

  it('restarts with new credentials on both sides, trickles new candidates, and media goes on both ways', async () => {
    const calleeRestarts: IceRestart[] = [];
    const callerRestarts: IceRestart[] = [];
    const calleeSent: Jingle[] = [];
    const callerSent: Jingle[] = [];
    callee.session.onIceRestart.subscribe((restart) => calleeRestarts.push(restart));
    caller.session.onIceRestart.subscribe((restart) => callerRestarts.push(restart));
    callee.session.onSend.subscribe((jingle) => calleeSent.push(jingle));
    caller.session.onSend.subscribe((jingle) => callerSent.push(jingle));

    const restartAt = systemClock.now();
    await caller.restartIce();
    await sleep(2500);

    // The caller's restart: new ufrag/pwd, no candidates; the callee took it as a restart offer.
    const [restartOffer] = callerSent;
    assert.equal(restartOffer?.action, 'transport-info');
    const offered = restartOffer.contents[0].transport!;
    assert.deepEqual(offered.candidates, []);
    assert.deepEqual(calleeRestarts.map(({ kind, ufrag, pwd }) => ({ kind, ufrag, pwd })), [{ kind: 'offer', ufrag: offered.ufrag, pwd: offered.pwd }]);
    // The caller's new candidates followed, with the same new credentials.
    assert.ok(callerSent.slice(1).some((jingle) => jingle.contents[0].transport!.candidates.length > 0));
    assert.ok(callerSent.slice(1).every((jingle) => jingle.contents[0].transport!.ufrag === offered.ufrag));

    // The callee's answer: its first transport-info carries new credentials and a candidate; the caller saw a restart answer.
    const [answer] = calleeSent;
    assert.equal(answer?.action, 'transport-info');
    const answered = answer.contents[0].transport!;
    assert.ok(answered.ufrag && answered.pwd && answered.candidates.length >= 1, JSON.stringify(answered));
    assert.deepEqual(callerRestarts.map(({ kind, ufrag }) => ({ kind, ufrag })), [{ kind: 'answer', ufrag: answered.ufrag }]);
    assert.ok(callee.timeline.some((entry) => entry.event === `ICE restart answered: new ufrag ${answered.ufrag}`));
    assert.ok(caller.timeline.some((entry) => entry.event === `ICE restart sent: new ufrag ${offered.ufrag}`));
    assert.ok(caller.timeline.some((entry) => entry.event === `ICE restart answer received: peer ufrag ${answered.ufrag}`));

    // Media flows both ways after the restart, over the same DTLS association (no new media connection).
    assert.equal(caller.liveStats().phase, 'media');
    assert.equal(callee.liveStats().phase, 'media');
    for (const [leg, name] of [[caller, 'caller'], [callee, 'callee']] as const) {
      const { packets, longestGapMs } = afterRestart(audioArrivals(leg), restartAt);
      console.log(`      ${name}: ${packets} packets received in the 2.5 s after the restart, longest gap ${Math.round(longestGapMs)} ms`);
      assert.ok(packets >= 90, `${name} received ${packets} packets after the restart`);
      assert.ok(longestGapMs < 500, `${name}: media stopped for ${Math.round(longestGapMs)} ms`);
      assert.equal(leg.timeline.filter((entry) => entry.event === 'media connected').length, 1);
    }
  });

  it('ends the call with failed-transport when a restart cannot be applied (a pwd shorter than ICE allows)', async () => {
    caller.session.restartIce('0', 'Ws8e', 'tooShort');
    const [calleeLeg, callerLeg] = await Promise.all([callee.ended, caller.ended]);
    assert.equal(calleeLeg.end.condition, 'failed-transport');
    assert.match(calleeLeg.end.text ?? '', /^ICE restart failed: ICE restart credentials must be ice-chars/);
    assert.equal(callerLeg.end.condition, 'failed-transport');
    assert.equal(callerLeg.end.by, 'remote');
  });
});

describe('ICE restart over plain RTP', () => {
  it('is refused with a clear error', async () => {
    const transport: MediaTransport = new PlainRtpTransport({ codecs: [{ payloadType: 0, name: 'PCMU', clockRate: 8000 }] });
    await assert.rejects(transport.restartIce({ ufrag: 'Ws8e', pwd: 'm4Tq9ZcX1vLb6Nd2Yk7Hr0Ja' }), /ICE restart is not supported over plain RTP/);
    await assert.rejects(transport.startIceRestart(), /ICE restart is not supported over plain RTP/);
    await transport.close();
  });
});
