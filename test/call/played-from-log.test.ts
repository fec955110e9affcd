import assert from 'node:assert/strict';
import { playedFromLog } from '../../src/call/direction-scores.js';

// 8 kHz reference, one 20 ms frame = 160 samples; frame k holds the value k + 1 throughout.
const FRAME = 160;
const reference = { path: 'steps.wav', sampleRate: 8000, samples: Float32Array.from({ length: 10 * FRAME }, (_, i) => Math.floor(i / FRAME) + 1) };
const entry = (timestamp: number, frame?: number) => ({ seq: 0, timestamp, sentAtMs: 0, size: 160, ...(frame === undefined ? {} : { frame }) });
const frameValues = (signal: Float32Array) => Array.from({ length: signal.length / FRAME }, (_, k) => signal[k * FRAME]!);

describe('playedFromLog: what the sender played, on its RTP time line', () => {
  it('leaves the held time silent and goes on with the next frame after it', () => {
    // frames 0 and 1, a hold of three frame times, then frame 2 (the RTP timestamp jumped by the hold)
    const played = playedFromLog(reference, [entry(0, 0), entry(160, 1), entry(800, 2)], 8000);
    assert.deepEqual(frameValues(played), [1, 2, 0, 0, 0, 3]);
  });

  it('puts silence where DTMF tones and muted frames went, and the speech after them in its place', () => {
    // a tone takes two frame times (its packets share one timestamp), then a muted frame, then frame 5
    const played = playedFromLog(reference, [entry(0, 3), entry(160), entry(160), entry(320), entry(480), entry(640, 5)], 8000);
    assert.deepEqual(frameValues(played), [4, 0, 0, 0, 6]);
  });

  it('counts 48 kHz Opus timestamps and wraps at 2^32', () => {
    const start = 2 ** 32 - 960;
    const played = playedFromLog(reference, [entry(start, 0), entry(0, 1), entry(1920, 2)], 48000);
    assert.deepEqual(frameValues(played), [1, 2, 0, 3]);
  });
});
