import assert from 'node:assert/strict';
import { createCodec } from '../../src/media/codec.js';
import { FrameTimer, percentile } from '../../src/media/frame-timer.js';
import type { RtpPacketFields } from '../../src/media/rtp-packet.js';
import { encodeAll, RtpSender } from '../../src/media/rtp-sender.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { rms, sine } from '../helpers/signal.js';

interface Sent {
  packet: RtpPacketFields;
  atMs: number;
}

function pcmuSender(clock: FakeClock, seconds: number, extra: Partial<ConstructorParameters<typeof RtpSender>[0]> = {}) {
  const sent: Sent[] = [];
  const sender = new RtpSender({
    codec: createCodec('PCMU'),
    payloadType: 0,
    audio: sine(300, 16000, 16000 * seconds, 0.3),
    audioRate: 16000,
    send: (packet) => sent.push({ packet, atMs: clock.now() }),
    clock,
    ...extra,
  });
  return { sender, sent };
}

describe('RtpSender', () => {
  it('paces one packet per 20 ms on the exact schedule, with wrapping sequence numbers and timestamps', () => {
    const clock = new FakeClock(5000);
    const { sender, sent } = pcmuSender(clock, 1, { ssrc: 0xcafe, initialSequenceNumber: 65534, initialTimestamp: 2 ** 32 - 200 });
    let ended = 0;
    sender.onEnded.subscribe(() => ended++);
    assert.equal(sender.frameCount, 50);
    sender.start();
    assert.equal(sent.length, 1, 'the first frame goes out at once');
    clock.advance(2000);
    assert.equal(sent.length, 50);
    assert.equal(ended, 1);
    assert.deepEqual(
      sent.slice(0, 4).map(({ packet }) => [packet.sequenceNumber, packet.timestamp, packet.marker, packet.ssrc, packet.payloadType]),
      [
        [65534, 4294967096, true, 0xcafe, 0],
        [65535, 4294967256, false, 0xcafe, 0],
        [0, 120, false, 0xcafe, 0],
        [1, 280, false, 0xcafe, 0],
      ],
    );
    sent.forEach(({ atMs, packet }, n) => {
      assert.equal(atMs, 5000 + n * 20);
      assert.equal(packet.payload.length, 160);
    });
    assert.deepEqual(
      sender.log.slice(0, 2),
      [
        { seq: 65534, timestamp: 4294967096, sentAtMs: 5000, size: 160, frame: 0 },
        { seq: 65535, timestamp: 4294967256, sentAtMs: 5020, size: 160, frame: 1 },
      ],
    );
    const stats = sender.stats;
    assert.equal(stats.packetsSent, 50);
    assert.equal(stats.bytesSent, 8000);
    assert.equal(stats.latenessP99Ms, 0);
    assert.equal(sender.isRunning, false);
    assert.equal(clock.pendingTimers, 0);
  });

  it('does not drift when every timer fires late, and catches up after a stall', () => {
    const clock = new FakeClock(0);
    clock.lagMs = 3;
    const { sender, sent } = pcmuSender(clock, 1);
    sender.start();
    clock.advance(200);
    // Frame n is due at n * 20; each wake-up is 3 ms late, but the lateness never accumulates.
    assert.deepEqual(sent.slice(1, 6).map((s) => s.atMs), [23, 43, 63, 83, 103]);
    clock.advance(40); // frames 10 and 11 go out at 203 and 223
    clock.lagMs = 90; // the event loop stalls: after frame 12 (243), the wake-up for 260 comes at 350
    clock.advance(5);
    clock.lagMs = 3;
    clock.advance(200);
    const times = sent.map((s) => s.atMs);
    assert.deepEqual(times.slice(10, 20), [203, 223, 243, 350, 350, 350, 350, 350, 363, 383], 'frames due 260-340 go out together');
    assert.equal(sender.stats.latenessP50Ms, 3);
    assert.ok(sender.stats.latenessMaxMs > 60);
  });

  it('uses random SSRC, sequence number and timestamp from the injected generator', () => {
    const clock = new FakeClock();
    const draws: number[] = [];
    const { sender, sent } = pcmuSender(clock, 0.1, { randomInt: (max) => (draws.push(max), max - 7) });
    assert.deepEqual(draws, [2 ** 32, 2 ** 16, 2 ** 32]);
    sender.start();
    assert.equal(sender.ssrc, 2 ** 32 - 7);
    assert.deepEqual([sent[0].packet.sequenceNumber, sent[0].packet.timestamp], [2 ** 16 - 7, 2 ** 32 - 7]);
    const a = pcmuSender(clock, 0.1).sender;
    const b = pcmuSender(clock, 0.1).sender;
    assert.notEqual(a.ssrc, b.ssrc, 'two default senders pick different SSRCs');
  });

  it('loops until stopped when asked to', () => {
    const clock = new FakeClock(0);
    const { sender, sent } = pcmuSender(clock, 0.1, { loop: true, initialSequenceNumber: 10 });
    let ended = false;
    sender.onEnded.subscribe(() => (ended = true));
    sender.start();
    clock.advance(390);
    assert.equal(sent.length, 20);
    assert.deepEqual(sent.map((s) => s.packet.sequenceNumber), Array.from({ length: 20 }, (_, i) => 10 + i));
    assert.deepEqual(sent[5].packet.payload, sent[0].packet.payload, 'frame 5 is frame 0 again');
    assert.equal(sent.filter((s) => s.packet.marker).length, 1);
    sender.stop();
    clock.advance(200);
    assert.equal(sent.length, 20);
    assert.equal(ended, false);
  });

  it('keeps pacing when send throws, counting the failures', () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    let calls = 0;
    const { sender, sent } = pcmuSender(clock, 0.1);
    const failing = new RtpSender({
      codec: createCodec('PCMU'),
      payloadType: 0,
      audio: sine(300, 8000, 800, 0.3),
      audioRate: 8000,
      clock,
      send: () => {
        if (++calls === 2) throw new Error('socket closed');
      },
    });
    failing.onSendError.subscribe((error) => errors.push(error));
    failing.start();
    sender.start();
    clock.advance(200);
    assert.equal(calls, 5);
    assert.deepEqual([failing.stats.packetsSent, failing.stats.sendErrors, failing.log.length], [4, 1, 4]);
    assert.match(String(errors[0]), /socket closed/);
    assert.equal(sent.length, 5);
  });

  it('encodes all frames up front, padding the last one', () => {
    const codec = createCodec('opus');
    const frames = encodeAll(codec, sine(440, 8000, 8000 * 0.25 + 1, 0.3), 8000); // 250 ms + 1 sample
    assert.equal(frames.length, 13);
    const decoder = createCodec('opus');
    const decoded = frames.map((f) => decoder.decode(f));
    assert.ok(decoded.slice(1, 12).every((d) => rms(d) > 3000));
    assert.throws(() => new RtpSender({ codec, payloadType: 111, audio: new Float32Array(0), audioRate: 8000, send: () => {} }), /at least one sample/);
  });

  it('paces 25 packets over half a second in real time', async () => {
    const sent: number[] = [];
    const sender = new RtpSender({
      codec: createCodec('PCMA'),
      payloadType: 8,
      audio: sine(300, 8000, 4000, 0.3),
      audioRate: 8000,
      send: () => sent.push(performance.now()),
    });
    await new Promise<void>((resolve) => {
      sender.onEnded.subscribe(resolve);
      sender.start();
    });
    assert.equal(sent.length, 25);
    const offsets = sent.map((t, n) => t - sent[0] - n * 20);
    assert.ok(Math.max(...offsets) < 15, `offsets from schedule ${offsets.map((o) => o.toFixed(1)).join(' ')}`);
    assert.ok(Math.min(...offsets) > -1);
    assert.ok(sender.stats.latenessP50Ms < 5, `p50 lateness ${sender.stats.latenessP50Ms}`);
  });
});

describe('FrameTimer', () => {
  it('ticks at start + n * period and stops cleanly', () => {
    const clock = new FakeClock(100);
    const ticks: Array<[number, number, number]> = [];
    const timer = new FrameTimer(clock, 20, (index, due) => ticks.push([index, due, clock.now()]));
    timer.start(110);
    clock.advance(55);
    assert.deepEqual(ticks, [
      [0, 110, 110],
      [1, 130, 130],
      [2, 150, 150],
    ]);
    timer.stop();
    clock.advance(100);
    assert.equal(ticks.length, 3);
    assert.equal(clock.pendingTimers, 0);
  });

  it('percentile uses nearest rank', () => {
    assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});
