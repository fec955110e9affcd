// During a call between two earshot endpoints through the lab's Prosody: DTMF as RFC 4733 telephone events in
// the media stream, and hold/unhold and mute/unmute as XEP-0167 session-info with their effect on the media.
import assert from 'node:assert/strict';
import type { Call } from '../../src/call/index.js';
import { createCodec, systemClock, type TelephoneEvent } from '../../src/media/index.js';
import { dtmfDigit } from '../../src/media/index.js';
import { loadReference } from '../../src/cli/media-options.js';
import { labEndpoints } from '../helpers/lab-endpoints.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Telephone-event packets grouped into tones by their RTP timestamp, in order of arrival. */
function tones(events: readonly TelephoneEvent[]): Array<{ digit: string | undefined; packets: TelephoneEvent[] }> {
  const byTimestamp = new Map<number, TelephoneEvent[]>();
  for (const event of events) byTimestamp.set(event.timestamp, [...(byTimestamp.get(event.timestamp) ?? []), event]);
  return [...byTimestamp.values()].map((packets) => ({ digit: dtmfDigit(packets[0].event), packets }));
}

describe('in-call DTMF, hold and mute between two earshot endpoints (lab Prosody)', function () {
  this.timeout(20_000);
  let caller: Call;
  let callee: Call;
  // Hung up before the endpoints close: after hooks run in the order they were added.
  after(() => caller?.hangUp());
  const endpoints = labEndpoints('alice', 'bob');

  before(async () => {
    const { alice, bob } = endpoints;
    const reference = await loadReference();
    // A short media timeout: the hold below lasts longer, and a held call must not be ended for want of media.
    bob.autoAnswer({ allow: ['alice@localhost'], media: { play: reference, loop: true, mediaTimeoutMs: 1500 } });
    const answered = bob.onIncomingCall.next();
    caller = await alice.call(bob.self, { play: reference, loop: true, jmi: false });
    await assert.rejects(caller.sendDtmf('1'), /cannot send DTMF: media is not up \(the call is signalling\)/);
    assert.throws(() => caller.hold(), /cannot hold: media is not up/);
    [callee] = await answered;
    await caller.onConnected.next();
    await sleep(300);
  });

  it('sends DTMF "1#9" as telephone events the callee receives in order, each tone ended with E three times', async () => {
    const received: TelephoneEvent[] = [];
    callee.onTelephoneEvent.subscribe((event) => received.push(event));
    await assert.rejects(caller.sendDtmf('1#x'), /only the digits 0-9, \*, #, A-D/);
    await caller.sendDtmf('1#9');
    await sleep(200);

    const sent = tones(received);
    assert.deepEqual(sent.map((tone) => tone.digit), ['1', '#', '9']);
    for (const { digit, packets } of sent) {
      // 100 ms at Opus's 48 kHz: durations 960 ... 3840, then 4800 with E, three times.
      assert.deepEqual(packets.map((p) => [p.end, p.duration]), [[false, 960], [false, 1920], [false, 2880], [false, 3840], [true, 4800], [true, 4800], [true, 4800]], `tone ${digit}`);
      assert.ok(packets.every((p) => p.volume === 10));
    }
    const calleeEvents = callee.timeline.map((entry) => entry.event);
    assert.deepEqual(calleeEvents.filter((event) => event.startsWith('DTMF')), ['DTMF 1 received', 'DTMF # received', 'DTMF 9 received']);
    assert.ok(caller.timeline.some((entry) => entry.event === 'DTMF 1#9 sent'));
  });

  it('lets the callee send DTMF back to the caller', async () => {
    const received: TelephoneEvent[] = [];
    caller.onTelephoneEvent.subscribe((event) => received.push(event));
    await callee.sendDtmf('*');
    await sleep(200);
    assert.deepEqual(tones(received).map((tone) => tone.digit), ['*']);
  });

  it('stops sending on hold and resumes on unhold; the held callee sees both and does not time out', async () => {
    const log = callee.streams().received?.log;
    assert.ok(log);
    const audioPacketsBetween = (from: number, to: number) => log.filter((entry) => entry.payloadType === 111 && entry.arrivalMs > from && entry.arrivalMs <= to).length;
    const heldInfo = callee.onSessionInfo.next();
    const holdAt = systemClock.now();
    caller.hold();
    assert.deepEqual((await heldInfo)[0], { type: 'hold' });
    assert.deepEqual(callee.remoteState, { held: true, muted: false });
    await assert.rejects(caller.sendDtmf('5'), /while the call is on hold/);
    await sleep(2000); // longer than the callee's 1.5 s media timeout
    const unholdAt = systemClock.now();
    caller.unhold();
    await sleep(500);

    assert.ok(audioPacketsBetween(holdAt - 500, holdAt) >= 20, 'media flowed before the hold');
    assert.equal(audioPacketsBetween(holdAt + 100, unholdAt), 0, 'no media during the hold');
    assert.ok(audioPacketsBetween(unholdAt, unholdAt + 500) >= 20, 'media resumed after the unhold');
    assert.deepEqual(callee.remoteState, { held: false, muted: false });
    const calleeEvents = callee.timeline.map((entry) => entry.event);
    assert.ok(calleeEvents.indexOf('hold received') < calleeEvents.indexOf('unhold received'), calleeEvents.join(', '));
    assert.ok(!calleeEvents.some((event) => event.startsWith('ended')), 'the held call went on');
  });

  it('mutes with session-info naming the audio content, sending silence in place of the speech', async () => {
    const log = callee.streams().received?.log;
    assert.ok(log);
    const sizesBetween = (from: number, to: number) => log.filter((entry) => entry.payloadType === 111 && entry.arrivalMs > from && entry.arrivalMs <= to).map((entry) => entry.size);
    const mutedInfo = callee.onSessionInfo.next();
    const muteAt = systemClock.now();
    caller.mute();
    const [info] = await mutedInfo;
    assert.equal(info.type, 'mute');
    assert.ok(info.type === 'mute' && info.creator === 'initiator' && info.name, `mute names no content: ${JSON.stringify(info)}`);
    assert.equal(callee.remoteState.muted, true);
    await sleep(600);
    const unmuteAt = systemClock.now();
    const unmutedInfo = callee.onSessionInfo.next();
    caller.unmute();
    assert.equal((await unmutedInfo)[0].type, 'unmute');
    await sleep(500);

    const duringMute = sizesBetween(muteAt + 100, unmuteAt);
    assert.ok(duringMute.length >= 20, `the stream goes on while muted (${duringMute.length} packets)`);
    const opus = createCodec('opus');
    const silenceSize = opus.encode(new Int16Array(opus.frameSamples)).length;
    opus.close();
    assert.ok(duringMute.every((size) => size === silenceSize), `muted frames are Opus digital silence (${silenceSize} bytes): ${duringMute.join(' ')}`);
    const afterUnmute = sizesBetween(unmuteAt + 100, unmuteAt + 500);
    assert.ok(afterUnmute.some((size) => size !== silenceSize), `speech again after unmute: ${afterUnmute.join(' ')}`);
    assert.equal(callee.remoteState.muted, false);
    assert.ok(callee.timeline.some((entry) => entry.event === 'mute received'));
    assert.ok(caller.timeline.some((entry) => entry.event === 'unmute sent'));
  });

  it('ends normally after all of it', async () => {
    caller.hangUp();
    const [callerLeg, calleeLeg] = await Promise.all([caller.ended, callee.ended]);
    assert.equal(callerLeg.end.condition, 'success');
    assert.equal(calleeLeg.end.by, 'remote');
    assert.equal(calleeLeg.received?.lost, 0, 'telephone events and the hold cost no audio packets as lost');
  });
});
