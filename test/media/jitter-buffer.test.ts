import assert from 'node:assert/strict';
import { JitterBuffer, type JitterBufferOptions, type PushVerdict } from '../../src/media/jitter-buffer.js';
import type { RtpPacketFields } from '../../src/media/rtp-packet.js';

// G.711 timing: 8 kHz clock, 160 timestamp units per 20 ms frame.
const STEP = 160;

interface Arrival {
  seq: number;
  at: number;
  ts?: number;
  ssrc?: number;
}

function packet(seq: number, ts = seq * STEP, ssrc = 1): RtpPacketFields {
  return { payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc, marker: false, payload: Uint8Array.of(seq & 0xff) };
}

/** In order, one packet per 20 ms from seq `from` to `to` inclusive, `delay` ms after its send time. */
function steady(from: number, to: number, delay = 0): Arrival[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, at: (from + i) * 20 + delay }));
}

/**
 * Runs arrivals and pulls (every 20 ms at 10, 30, 50 ...) up to `untilMs`. Arrivals at or before a
 * pull's time go in first. Returns what each pull gave: a sequence number, "m" (missing) or "."
 * (empty), and every push's verdict.
 */
function run(arrivals: Arrival[], untilMs: number, options: Partial<JitterBufferOptions> = {}, mayDrop = () => true) {
  const buffer = new JitterBuffer({ clockRate: 8000, ...options });
  const queue = [...arrivals].sort((a, b) => a.at - b.at);
  const out: string[] = [];
  const verdicts: Array<[number, PushVerdict]> = [];
  const dropped: number[] = [];
  for (let now = 10; now <= untilMs; now += 20) {
    while (queue.length && queue[0].at <= now) {
      const a = queue.shift()!;
      verdicts.push([a.seq, buffer.push(packet(a.seq, a.ts, a.ssrc), a.at)]);
    }
    const result = buffer.pull(now, mayDrop());
    dropped.push(...(result.dropped ?? []).map((p) => p.sequenceNumber));
    out.push(result.kind === 'frame' ? String(result.packet.sequenceNumber) : result.kind === 'missing' ? 'm' : '.');
  }
  return { out: out.join(' '), buffer, stats: buffer.stats, verdicts, dropped };
}

describe('JitterBuffer', () => {
  it('plays an in-order stream after the initial delay, one frame per pull', () => {
    const { out, stats } = run(steady(0, 9), 230);
    assert.equal(out, '. . 0 1 2 3 4 5 6 7 8 9');
    assert.equal(stats.played, 10);
    assert.deepEqual([stats.concealed, stats.lost, stats.late, stats.duplicates, stats.dropped], [0, 0, 0, 0, 0]);
    assert.equal(stats.jitterMs, 0);
    assert.equal(stats.targetDelayMs, 20);
    assert.equal(stats.bufferDelayMs, 50);
  });

  it('conceals one lost packet in its slot', () => {
    const { out, stats } = run(steady(0, 9).filter((a) => a.seq !== 3), 230);
    assert.equal(out, '. . 0 1 2 m 4 5 6 7 8 9');
    assert.deepEqual([stats.concealed, stats.lost, stats.played], [1, 1, 9]);
  });

  it('conceals a burst of lost packets', () => {
    const { out, stats } = run(steady(0, 9).filter((a) => a.seq < 3 || a.seq > 5), 230);
    assert.equal(out, '. . 0 1 2 m m m 6 7 8 9');
    assert.deepEqual([stats.concealed, stats.lost], [3, 3]);
  });

  it('reorders packets that arrive out of order within the buffer', () => {
    const arrivals = steady(0, 9).map((a) => (a.seq === 2 ? { ...a, at: 65 } : a)); // 2 comes after 3 (60)
    const { out, stats } = run(arrivals, 230);
    assert.equal(out, '. . 0 1 2 3 4 5 6 7 8 9');
    assert.deepEqual([stats.concealed, stats.late, stats.lost], [0, 0, 0]);
  });

  it('discards a packet that arrives after its slot was concealed, as late', () => {
    const arrivals = steady(0, 9).map((a) => (a.seq === 2 ? { ...a, at: 100 } : a)); // slot 2 plays at 90
    const { out, stats, verdicts } = run(arrivals, 230);
    assert.equal(out, '. . 0 1 m 3 4 5 6 7 8 9');
    assert.deepEqual([stats.late, stats.lost, stats.concealed], [1, 0, 1]);
    assert.deepEqual(verdicts.find(([seq]) => seq === 2), [2, 'late']);
  });

  it('drops duplicates', () => {
    const arrivals = [...steady(0, 9), { seq: 4, at: 85 }, { seq: 0, at: 200 }];
    const { out, stats, verdicts } = run(arrivals, 230);
    assert.equal(out, '. . 0 1 2 3 4 5 6 7 8 9');
    assert.equal(stats.duplicates, 2);
    assert.equal(stats.received, 12);
    assert.deepEqual(verdicts.filter(([, v]) => v === 'duplicate'), [[4, 'duplicate'], [0, 'duplicate']]);
  });

  it('follows sequence numbers and timestamps across wrap-around', () => {
    const firstTs = 2 ** 32 - 3 * STEP;
    const arrivals = [65533, 65534, 65535, 0, 1, 2, 3, 4]
      .map((seq, i) => ({ seq, at: i * 20, ts: firstTs + i * STEP }))
      .filter((a) => a.seq !== 0);
    const { out, stats } = run(arrivals, 190);
    assert.equal(out, '. . 65533 65534 65535 m 1 2 3 4');
    assert.deepEqual([stats.lost, stats.concealed, stats.played], [1, 1, 7]);
  });

  it('waits out a delay spike: the playout pauses and every delayed packet still plays', () => {
    // Packets 5-14 are held by the network until 300 ms, then the stream flows normally.
    const arrivals = steady(0, 30).map((a) => (a.seq >= 5 && a.seq <= 14 ? { ...a, at: 300 } : a));
    const { out, stats } = run(arrivals, 610);
    assert.equal(out, '. . 0 1 2 3 4 m m m m m m m m 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20');
    assert.deepEqual([stats.late, stats.lost, stats.concealed, stats.dropped], [0, 0, 8, 0]);
    assert.equal(stats.bufferedMs, 200, 'the spike added its length to the delay');
    assert.ok(stats.jitterMs > 5, `jitter ${stats.jitterMs}`);
  });

  it('skips a lost burst without adding delay when the pause already covered it', () => {
    const arrivals = steady(0, 30).filter((a) => a.seq < 5 || a.seq > 14);
    const { out, stats } = run(arrivals, 450);
    assert.equal(out, '. . 0 1 2 3 4 m m m m m m m m m m 15 16 17 18 19 20');
    assert.deepEqual([stats.lost, stats.concealed, stats.late], [10, 10, 0]);
    assert.equal(stats.bufferDelayMs, 50, 'packet 20 waited as long as packet 0 did');
  });

  it('resumes at once after a sender pause (DTX), and calls a long underrun a stall', () => {
    // 0-9, then the sender is silent for 40 frames: seq 10 carries timestamp 50 frames on.
    const arrivals = [...steady(0, 9), ...[10, 11, 12].map((seq, i) => ({ seq, at: 1000 + i * 20, ts: (50 + i) * STEP }))];
    const { out, stats } = run(arrivals, 1050);
    const tokens = out.split(' ');
    assert.equal(tokens.slice(0, 12).join(' '), '. . 0 1 2 3 4 5 6 7 8 9');
    assert.equal(tokens.slice(12, 37).join(' '), Array(25).fill('m').join(' '), '500 ms of concealment');
    assert.ok(tokens.slice(37, -3).every((t) => t === '.'), 'then silence');
    assert.equal(tokens.slice(-4).join(' '), '. 10 11 12', 'seq 10 plays at the first pull after it arrives');
    assert.equal(stats.lost, 0);
    assert.equal(stats.concealed, 25);
    assert.ok(stats.stalled > 10);
  });

  it('does not count the underrun after the far end stopped sending until the stream resumes', () => {
    const { stats } = run(steady(0, 9), 2000);
    assert.deepEqual([stats.played, stats.concealed, stats.stalled], [10, 0, 0]);
  });

  it('restarts on a new SSRC, dropping what the old stream left in the buffer', () => {
    const arrivals = [...steady(0, 9), ...steady(10, 19).map((a) => ({ ...a, seq: a.seq + 990, ts: 5000 + a.seq * STEP, ssrc: 2 }))];
    const { out, stats, dropped } = run(arrivals, 430);
    assert.equal(out, '. . 0 1 2 3 4 5 6 7 . . 1000 1001 1002 1003 1004 1005 1006 1007 1008 1009');
    assert.deepEqual(dropped, [8, 9]);
    assert.deepEqual([stats.resets, stats.dropped, stats.lost], [1, 2, 0]);
  });

  it('restarts when timestamps jump back while sequence numbers go on', () => {
    const arrivals = [...steady(0, 9), ...steady(10, 14).map((a) => ({ ...a, ts: (a.seq - 10) * STEP }))];
    const { out, stats } = run(arrivals, 330);
    assert.equal(stats.resets, 1);
    assert.match(out, /^\. \. 0 1 2 3 4 5 6 7 \. \. 10 11 12 13 14/);
  });

  it('sets the target delay from the RFC 3550 jitter estimate', () => {
    // Every other packet is 10 ms late: |D| = 10 ms for each pair.
    const arrivals = steady(0, 199).map((a) => ({ ...a, at: a.at + (a.seq % 2) * 10 }));
    const { stats } = run(arrivals, 4000);
    assert.ok(Math.abs(stats.jitterMs - 10) < 0.1, `jitter ${stats.jitterMs}`);
    assert.ok(Math.abs(stats.targetDelayMs - 60) < 0.5);
    const bounded = run(arrivals.map((a) => ({ ...a, at: a.at + (a.seq % 2) * 200 })), 4000).stats;
    assert.equal(bounded.targetDelayMs, 300, 'capped at maxDelayMs');
  });

  // The network freezes for 200 ms, then releases packets 20-29 at once with packet 30: 200 ms more buffered.
  const afterSpike = () => steady(0, 299).map((a) => (a.seq >= 20 && a.seq < 30 ? { ...a, at: 600 } : a));

  it('shrinks a delay grown by a spike slowly, one frame per second', () => {
    const { stats, dropped } = run(afterSpike(), 6000);
    assert.equal(stats.late + stats.lost, 0);
    // One frame per full window after the spike (1.0-6.0 s), from about 240 ms buffered towards 80 ms.
    assert.ok(dropped.length >= 4 && dropped.length <= 5, `dropped ${dropped.length}`);
    assert.ok(stats.bufferDelayMs < 170, `delay now ${stats.bufferDelayMs} ms`);
  });

  it('drops a frame to shrink only when the caller says the audio is quiet', () => {
    let pulls = 0;
    const quietEvery40th = () => ++pulls % 40 === 0;
    const { dropped } = run(afterSpike(), 6000, {}, () => false);
    assert.equal(dropped.length, 0, 'speech is never cut');
    pulls = 0;
    assert.ok(run(afterSpike(), 6000, {}, quietEvery40th).dropped.length >= 4, 'a pause lets the due frame go');
  });

  it('keeps every frame of a clean stream, whatever its start-up delay', () => {
    for (const initialDelayMs of [40, 60, 200]) {
      const { stats, dropped } = run(steady(0, 299), 6500, { initialDelayMs });
      assert.equal(dropped.length, 0, `initial delay ${initialDelayMs} ms`);
      assert.equal(stats.played, 300);
    }
  });

  it('cuts back to the target at once when more than maxDelayMs is buffered', () => {
    // A 1 s freeze releases 50 packets at once.
    const arrivals = steady(0, 99).map((a) => (a.seq >= 5 && a.seq <= 54 ? { ...a, at: 1100 } : a));
    const { stats, dropped } = run(arrivals, 1130);
    assert.ok(dropped.length > 30, `dropped ${dropped.length}`);
    assert.deepEqual(dropped.slice(0, 3), [5, 6, 7], 'the oldest go first');
    assert.ok(stats.bufferedMs <= 300);
    assert.equal(stats.late, 0);
  });
});
