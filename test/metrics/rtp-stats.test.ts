import assert from 'node:assert/strict';
import { rtpStatistics, type ReceivedPacket, type RtpStatistics } from '../../src/metrics/rtp-stats.js';

const CLOCK_RATE = 8000;
const TICKS_PER_PACKET = 160; // 20 ms at 8 kHz
const SSRC = 0x1234abcd;

/**
 * Packets of a 20 ms stream arriving exactly on time: `seq` counts from `firstSeq` (wrapping at 65536), the
 * timestamp and arrival follow the packet's position in the stream, so the jitter is 0 unless arrival is changed.
 */
function packet(position: number, firstSeq = 0, fate: ReceivedPacket['fate'] = 'played'): ReceivedPacket {
  return {
    arrivalMs: 1000 + position * 20,
    seq: (firstSeq + position) & 0xffff,
    timestamp: (3_000_000_000 + position * TICKS_PER_PACKET) >>> 0,
    ssrc: SSRC,
    payloadType: 0,
    fate,
  };
}

function stream(positions: readonly number[], firstSeq = 0): ReceivedPacket[] {
  return positions.map((position) => packet(position, firstSeq));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const without = (list: number[], ...drop: number[]) => list.filter((value) => !drop.includes(value));
const stats = (received: ReceivedPacket[], options: Partial<Parameters<typeof rtpStatistics>[1]> = {}) =>
  rtpStatistics(received, { clockRate: CLOCK_RATE, ...options });

/** The fields a test pins down, with everything else as for a clean stream of `expected` packets. */
function clean(expected: number, overrides: Partial<RtpStatistics> = {}): RtpStatistics {
  return {
    expected,
    received: expected,
    unlisted: 0,
    lost: 0,
    lossPercent: 0,
    duplicated: 0,
    reordered: 0,
    late: 0,
    dropped: 0,
    discardPercent: 0,
    jitterMs: 0,
    burstDensity: 0,
    gapDensity: 0,
    meanBurstLengthPackets: 0,
    meanGapLengthPackets: expected ? expected : 0,
    maxBurstPackets: 0,
    maxConsecutiveLost: 0,
    burstRatio: 1,
    otherSsrcPackets: 0,
    ...overrides,
  };
}

describe('rtpStatistics', () => {
  it('an in-order stream: nothing lost, one gap, no jitter', () => {
    assert.deepEqual(stats(stream(range(0, 99))), clean(100));
  });

  it('a single loss is a gap loss', () => {
    assert.deepEqual(
      stats(stream(without(range(0, 9), 5))),
      clean(10, { received: 9, lost: 1, lossPercent: 10, gapDensity: 0.1, maxConsecutiveLost: 1, burstRatio: 1 / (1 / 9 + 1) }),
    );
  });

  it('three in a row are a burst between two gaps', () => {
    // Runs: 5 received, 3 lost, 12 received. BurstR = 1 / (p + r), p = 1 run / 17 received, r = 1 run / 3 lost.
    assert.deepEqual(
      stats(stream(without(range(0, 19), 5, 6, 7))),
      clean(20, {
        received: 17,
        lost: 3,
        lossPercent: 15,
        burstDensity: 1,
        meanBurstLengthPackets: 3,
        meanGapLengthPackets: 17 / 2,
        maxBurstPackets: 3,
        maxConsecutiveLost: 3,
        burstRatio: 1 / (1 / 17 + 1 / 3),
      }),
    );
  });

  it('counts duplicates apart and skips them for jitter', () => {
    const received = [packet(0), packet(1), { ...packet(1), arrivalMs: 1500, fate: 'duplicate' as const }, packet(2), packet(3), packet(3), packet(3)];
    assert.deepEqual(stats(received), clean(4, { duplicated: 3 }));
  });

  it('counts a packet that arrives after a later one as reordered, not lost', () => {
    const received = stream([0, 1, 3, 2, 4]).map((p, i) => ({ ...p, arrivalMs: 1000 + i * 20 }));
    assert.deepEqual(stats(received), clean(5, { reordered: 1, jitterMs: stats(received).jitterMs }));
    assert.ok(stats(received).jitterMs > 0);
  });

  it('extends sequence numbers across the 65535 -> 0 wrap, reordered packets included', () => {
    // seq 65533, 65534, 0, 65535, 1, 2: six packets, one arriving late across the wrap.
    const received = stream([0, 1, 3, 2, 4, 5], 65533);
    assert.deepEqual(received.map((p) => p.seq), [65533, 65534, 0, 65535, 1, 2]);
    const result = stats(received);
    assert.equal(result.expected, 6);
    assert.equal(result.lost, 0);
    assert.equal(result.reordered, 1);
    // A packet from before the first one received, across the wrap: still one stream.
    const early = stats(stream([2, 3, 0, 4], 65534));
    assert.deepEqual([early.expected, early.lost, early.reordered], [5, 1, 1]);
  });

  it('finds a loss across the wrap', () => {
    // 65534, 65535, (0 lost), 1
    assert.deepEqual(stats(stream([0, 1, 3], 65534)), clean(4, { received: 3, lost: 1, lossPercent: 25, gapDensity: 0.25, maxConsecutiveLost: 1, burstRatio: 1 / (1 / 3 + 1) }));
  });

  it('counts late and dropped packets as received, but missed in the loss pattern', () => {
    const received = stream(range(0, 9));
    received[4].fate = 'late';
    received[7].fate = 'dropped';
    // Missed: 4 and 7, two received between them (< Gmin): one burst 4..7; gaps 0..3 and 8..9.
    assert.deepEqual(
      stats(received),
      clean(10, {
        late: 1,
        dropped: 1,
        discardPercent: 20,
        burstDensity: 0.5,
        meanBurstLengthPackets: 4,
        meanGapLengthPackets: 3,
        maxBurstPackets: 4,
        maxConsecutiveLost: 1,
        burstRatio: 1 / (2 / 8 + 1),
      }),
    );
  });

  it('a late first copy and a played second copy is a played packet', () => {
    const received = stream(range(0, 3));
    received[1].fate = 'late';
    received.push({ ...packet(1), fate: 'played' });
    assert.deepEqual(stats(received), clean(4, { duplicated: 1 }));
  });

  it('reproduces RFC 3611 4.7.2 burst/gap figures with Gmin = 16 on a hand-computed pattern', () => {
    // The shape of RFC 3611's example, 64 packets, 1-based:
    // 11110111111111111111111X111X1011110111111111111111111X1111111111 (0 lost, X discarded as late).
    // Missed: 5, 24, 28, 30, 35, 54. Received runs between them: 18, 3, 1, 4, 18 (then 10).
    // 5 and 54 have >= 16 received on both sides: gap losses. 24..35 is the one burst: 12 packets, 4 missed.
    // Gaps: 1..23 and 36..64, 23 + 29 = 52 packets, 2 missed.
    const lost = [5, 30, 35];
    const discarded = [24, 28, 54];
    const received = without(range(1, 64), ...lost).map((n) => packet(n - 1, 1000, discarded.includes(n) ? 'late' : 'played'));
    assert.deepEqual(
      stats(received),
      clean(64, {
        received: 61,
        lost: 3,
        lossPercent: (3 * 100) / 64,
        late: 3,
        discardPercent: (3 * 100) / 64,
        burstDensity: 4 / 12,
        gapDensity: 2 / 52,
        meanBurstLengthPackets: 12,
        meanGapLengthPackets: 26,
        maxBurstPackets: 12,
        maxConsecutiveLost: 1,
        // Six separate misses among 58 kept: 1 / (6/58 + 6/6) = 58/64.
        burstRatio: 1 / (6 / 58 + 6 / 6),
      }),
    );
    // With Gmin = 2 only 28 and 30 (one received packet apart) make a burst: 3 packets, 2 missed; 4 misses in 61 gap packets.
    const tight = stats(received, { gmin: 2 });
    assert.deepEqual([tight.burstDensity, tight.maxBurstPackets, tight.gapDensity], [2 / 3, 3, 4 / 61]);
  });

  it('judges losses against the sent log: leading and trailing losses, and packets never sent', () => {
    const sent = range(0, 11).map((n) => ({ seq: (65530 + n) & 0xffff, timestamp: n * TICKS_PER_PACKET, sentAtMs: n * 20 }));
    const received = range(2, 8).map((n) => ({ ...packet(n, 65530), timestamp: n * TICKS_PER_PACKET }));
    // Without the sent log, the first two and last three losses are invisible.
    assert.deepEqual([stats(received).expected, stats(received).lost], [7, 0]);
    const judged = stats(received, { sent });
    // Lost 2, received 7 (< Gmin), lost 3: all twelve form one burst.
    assert.deepEqual([judged.expected, judged.received, judged.lost, judged.maxConsecutiveLost, judged.maxBurstPackets], [12, 7, 5, 3, 12]);
    // A send error leaves a hole in the sent log: that packet was never expected.
    const withHole = stats(without(range(0, 9), 4).map((n) => packet(n)), { sent: without(range(0, 9), 4).map((n) => ({ ...packet(n), sentAtMs: n * 20 })) });
    assert.deepEqual([withHole.expected, withHole.lost], [9, 0]);
    // A packet the sent log does not list is counted apart.
    const stray = stats([...stream(range(0, 3)), packet(7)], { sent: range(0, 3).map((n) => ({ ...packet(n), sentAtMs: 0 })) });
    assert.deepEqual([stray.expected, stray.received, stray.unlisted, stray.lost], [4, 4, 1, 0]);
  });

  it('computes RFC 3550 A.8 jitter exactly', () => {
    // Transits (arrival * 8 - timestamp, ticks): 0, 0, 40, 0. |D|: 0, 40, 40.
    // J: 0 -> 40/16 = 2.5 -> 2.5 + (40 - 2.5)/16 = 4.84375 ticks = 0.60546875 ms.
    const arrivals = [0, 20, 45, 60];
    const received = arrivals.map((arrivalMs, n) => ({ arrivalMs, seq: n, timestamp: n * TICKS_PER_PACKET }));
    assert.equal(stats(received).jitterMs, 4.84375 / 8);
  });

  it('leaves telephone events out of the jitter when told the audio payload type', () => {
    const received = stream(range(0, 5));
    // An RFC 4733 event packet carries its event's start timestamp, far from the audio's.
    received.push({ ...packet(6), payloadType: 101, timestamp: packet(0).timestamp });
    received.push(packet(7));
    assert.ok(stats(received).jitterMs > 0);
    assert.deepEqual(stats(received, { audioPayloadType: 0 }), clean(8));
  });

  it('measures one SSRC and counts the others', () => {
    const other = { ...packet(50), ssrc: 42 };
    assert.deepEqual(stats([...stream(range(0, 4)), other]), clean(5, { otherSsrcPackets: 1 }));
    assert.deepEqual(stats([other, ...stream(range(0, 4))], { ssrc: SSRC }), clean(5, { otherSsrcPackets: 1 }));
  });

  it('gives zeros, never NaN, for empty input; everything lost when only the sent log has packets', () => {
    assert.deepEqual(stats([]), clean(0));
    const allLost = stats([], { sent: range(0, 9).map((n) => ({ ...packet(n), sentAtMs: 0 })) });
    assert.deepEqual([allLost.expected, allLost.lost, allLost.lossPercent, allLost.burstDensity, allLost.burstRatio], [10, 10, 100, 1, 1]);
    for (const value of Object.values(allLost)) assert.ok(Number.isFinite(value));
  });

  it('rejects malformed input with a clear error', () => {
    assert.throws(() => stats(stream([0]), { clockRate: 0 }), /clockRate/);
    assert.throws(() => stats([{ ...packet(0), seq: 70000 }]), /received\[0\]\.seq must be an integer 0-65535/);
    assert.throws(() => stats([{ ...packet(0), arrivalMs: Number.NaN }]), /arrivalMs/);
    assert.throws(() => stats(stream([0]), { gmin: 0 }), /gmin/);
    assert.throws(() => stats([], { sent: [{ seq: 1, timestamp: 0 }, { seq: 1, timestamp: 0 }] }), /lists sequence number 1 twice/);
  });

  // Speed on 100k packets is measured by bench/network-stats.ts, not here.
  it('counts 100k packets across many sequence wraps', () => {
    const positions = range(0, 99_999).filter((n) => n % 50 !== 7 && n % 997 !== 3);
    const received = stream(positions, 12345);
    const jittered = received.map((p, i) => ({ ...p, arrivalMs: p.arrivalMs + ((i * 7919) % 13) }));
    const result = stats(jittered);
    assert.equal(result.expected, 100_000);
    assert.equal(result.lost, 100_000 - positions.length);
  });
});
