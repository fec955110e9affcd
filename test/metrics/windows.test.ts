import assert from 'node:assert/strict';
import { rtpStatistics, type ReceivedPacket } from '../../src/metrics/rtp-stats.js';
import { networkWindows } from '../../src/metrics/windows.js';

const CLOCK_RATE = 48_000;
const TICKS_PER_PACKET = 960; // 20 ms at 48 kHz
const TIMESTAMP_WRAP_AT_245 = 2 ** 32 - 245 * TICKS_PER_PACKET;
const FIRST_SEQ = 65_300; // wraps at packet 236

/** Packet `n` of a 20 ms Opus stream, sent at n * 20 ms and arriving 50 ms later plus `extraDelayMs`. */
function packet(n: number, extraDelayMs = 0): ReceivedPacket {
  return { arrivalMs: n * 20 + 50 + extraDelayMs, seq: (FIRST_SEQ + n) & 0xffff, timestamp: (TIMESTAMP_WRAP_AT_245 + n * TICKS_PER_PACKET) >>> 0, ssrc: 7, payloadType: 111, fate: 'played' };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const windows = (received: ReceivedPacket[], options: Partial<Parameters<typeof networkWindows>[1]> = {}) =>
  networkWindows(received, { clockRate: CLOCK_RATE, ...options });

describe('networkWindows', () => {
  it('splits a 10 s call into five 2 s windows by media time, placing losses where their audio was', () => {
    // Ten packets lost in seconds 4-6 (packets 240-249), across both the sequence and the timestamp wrap.
    const lostPackets = new Set(range(240, 249));
    const result = windows(range(0, 499).filter((n) => !lostPackets.has(n)).map((n) => packet(n)));
    assert.deepEqual(result.map((w) => [w.startS, w.endS]), [[0, 2], [2, 4], [4, 6], [6, 8], [8, 10]]);
    assert.deepEqual(result.map((w) => w.expected), [100, 100, 100, 100, 100]);
    assert.deepEqual(result.map((w) => w.lost), [0, 0, 10, 0, 0]);
    assert.deepEqual(result.map((w) => w.lossPercent), [0, 0, 10, 0, 0]);
    // One run of 10 among 90 received: BurstR = 1 / (1/90 + 1/10) = 9.
    assert.ok(Math.abs(result[2].burstRatio - 9) < 1e-12);
    assert.deepEqual(result.map((w) => w.jitterMs), [0, 0, 0, 0, 0]);
  });

  it('puts a lost packet at a window boundary on the side its timestamp falls', () => {
    // Packets 99 (1.98 s) and 100 (2.00 s) lost: their timestamps are interpolated between 98 and 101.
    const result = windows(range(0, 199).filter((n) => n !== 99 && n !== 100).map((n) => packet(n)));
    assert.deepEqual(result.map((w) => w.lost), [1, 1]);
  });

  it('finds trailing losses with the sent log', () => {
    const sent = range(0, 299).map((n) => ({ seq: packet(n).seq, timestamp: packet(n).timestamp, sentAtMs: n * 20 }));
    const received = range(0, 249).map((n) => packet(n));
    assert.deepEqual(windows(received).map((w) => w.lost), [0, 0, 0]);
    assert.deepEqual(windows(received, { sent }).map((w) => [w.expected, w.received, w.lost]), [[100, 100, 0], [100, 100, 0], [100, 50, 50]]);
  });

  it('reports the mean RFC 3550 |D| of each window', () => {
    // In the second window, odd packets arrive 10 ms late (still in order): 99 of its 100 pairs differ by 10 ms.
    // The first pair of the third window (late 199, on-time 200) differs by 10 ms too.
    const received = range(0, 299).map((n) => packet(n, n >= 100 && n < 200 && n % 2 === 1 ? 10 : 0));
    const jitter = windows(received).map((w) => w.jitterMs);
    assert.deepEqual([jitter[0], jitter[2]].map((value) => Math.round(value * 1e9) / 1e9), [0, 0.1]);
    assert.ok(Math.abs(jitter[1] - 9.9) < 1e-9, `window 1 jitter ${jitter[1]}`);
  });

  it('counts discards per window', () => {
    const received = range(0, 199).map((n) => packet(n));
    received[150].fate = 'late';
    received[151].fate = 'dropped';
    const result = windows(received);
    assert.deepEqual(result.map((w) => [w.received, w.lost, w.late, w.dropped, w.discardPercent]), [[100, 0, 0, 0, 0], [100, 0, 1, 1, 2]]);
  });

  it('lists the empty windows of a sender pause with zeros', () => {
    // 1 s of audio, a 5 s pause (timestamps jump, sequence numbers do not), 1 s of audio.
    const talk = range(0, 49).map((n) => packet(n));
    const afterPause = range(50, 99).map((n) => ({ ...packet(n + 250), seq: packet(n).seq }));
    const result = windows([...talk, ...afterPause]);
    assert.deepEqual(result.map((w) => w.expected), [50, 0, 0, 50]);
    assert.deepEqual(result.map((w) => w.lost), [0, 0, 0, 0]);
    for (const window of result) for (const value of Object.values(window)) assert.ok(Number.isFinite(value));
  });

  it('adds up to the whole-call statistics', () => {
    const lostPackets = new Set([3, 4, 5, 150, 151, 400, 401, 402, 403, 499]);
    const received = range(0, 499).filter((n) => !lostPackets.has(n)).map((n) => packet(n, (n * 37) % 11));
    const sum = (key: 'expected' | 'received' | 'lost') => windows(received, { windowS: 0.5 }).reduce((total, w) => total + w[key], 0);
    const whole = rtpStatistics(received, { clockRate: CLOCK_RATE });
    assert.deepEqual([sum('expected'), sum('received'), sum('lost')], [whole.expected, whole.received, whole.lost]);
    assert.equal(windows(received, { windowS: 0.5 }).length, 20);
  });

  it('gives no windows for no packets and rejects a bad window length', () => {
    assert.deepEqual(windows([]), []);
    assert.throws(() => windows([packet(0)], { windowS: 0 }), /windowS must be a positive number/);
  });

  // Speed on 100k packets is measured by bench/network-stats.ts, not here.
  it('cuts 100k packets into 1000 windows of 2 s', () => {
    const received = range(0, 99_999).filter((n) => n % 50 !== 7).map((n) => packet(n, (n * 7919) % 13));
    const result = windows(received);
    assert.equal(result.length, 1000);
    assert.ok(result.every((w) => Math.abs(w.lossPercent - 2) < 1e-9), 'one packet in 50 lost in every window');
  });
});
