import assert from 'node:assert/strict';
import { MetricsInputError } from '../../src/metrics/errors.js';
import { localAlign, realign } from '../../src/metrics/local-align.js';
import { alignExact, segmentalSnr } from '../../src/metrics/seg-snr.js';
import { stoi } from '../../src/metrics/stoi.js';
import { add, calibrationAvailable, insertSilence, loadCalibration, loadSpeech, RATE, whiteNoise } from './diagnostics-fixtures.js';

const MS = RATE / 1000;

describe('localAlign', () => {
  let speech: Float32Array;
  /** The speech with 40 ms of silence added in the pause after the first utterance (at 2.81 s). */
  let warped: Float32Array;
  const warpAtS = 2.81;

  before(async () => {
    speech = await loadSpeech();
    warped = insertSilence(speech, warpAtS * RATE, 40 * MS);
  });

  it('finds each utterance and its own delay, to within 1 ms, when the second part runs 40 ms later', () => {
    const { globalDelayMs, segments } = localAlign(speech, warped, RATE, { globalDelayMs: 0 });
    assert.equal(globalDelayMs, 0);
    assert.ok(segments.length >= 3, JSON.stringify(segments));
    for (const segment of segments) {
      const expected = segment.refStartS < warpAtS ? 0 : 40;
      assert.ok(Math.abs(segment.delayMs - expected) < 1, `segment at ${segment.refStartS} s: ${segment.delayMs} ms, expected ${expected}`);
      assert.ok(segment.matched && segment.correlation > 0.99);
    }
    assert.ok(segments.some((segment) => segment.refStartS < warpAtS) && segments.some((segment) => segment.refStartS > warpAtS));
  });

  it('does the same on top of a global delay it estimates itself, in noise', () => {
    const late = add(insertSilence(warped, 0, 120 * MS), whiteNoise(2, warped.length, 0.003));
    const { globalDelayMs, segments } = localAlign(speech, late, RATE);
    assert.ok(Math.abs(globalDelayMs - 120) < 1 || Math.abs(globalDelayMs - 160) < 1, `global ${globalDelayMs} ms`);
    for (const segment of segments) {
      const expected = segment.refStartS < warpAtS ? 120 : 160;
      assert.ok(Math.abs(segment.delayMs - expected) < 1, `segment at ${segment.refStartS} s: ${segment.delayMs} ms, expected ${expected}`);
    }
  });

  it('marks a dropped utterance unmatched and gives it the delay of the utterance before', () => {
    const first = localAlign(speech, speech, RATE, { globalDelayMs: 0 }).segments;
    const last = first[first.length - 1];
    const dropped = speech.slice();
    dropped.fill(0, Math.round(last.refStartS * RATE), Math.round(last.refEndS * RATE));
    const segments = localAlign(speech, dropped, RATE, { globalDelayMs: 0 }).segments;
    const missing = segments[segments.length - 1];
    assert.equal(missing.matched, false);
    assert.ok(Math.abs(missing.delayMs - segments[segments.length - 2].delayMs) < 1e-6);
    assert.ok(segments.slice(0, -1).every((segment) => segment.matched));
  });

  it('looks only within the search range when the delay may not step', () => {
    const late = insertSilence(speech, 0, 150 * MS);
    const narrow = localAlign(speech, late, RATE, { globalDelayMs: 0, searchMs: 100, maxStepMs: 0 }).segments;
    assert.ok(narrow.every((segment) => !segment.matched && segment.delayMs === 0));
    const wide = localAlign(speech, late, RATE, { globalDelayMs: 0, searchMs: 200, maxStepMs: 0 }).segments;
    assert.ok(wide.every((segment) => segment.matched && Math.abs(segment.delayMs - 150) < 0.1));
  });

  it('follows a delay that steps by 300 ms between utterances, and back', () => {
    const up = insertSilence(insertSilence(speech, 0, 60 * MS), Math.round(2.8 * RATE), 300 * MS);
    const segments = localAlign(speech, up, RATE, { globalDelayMs: 0 }).segments;
    assert.deepEqual(segments.map((segment) => Math.round(segment.delayMs)), [60, 360, 360]);
    assert.ok(segments.every((segment) => segment.matched && segment.correlation > 0.99));
    // Back down: the recording skips the 300 ms of reference from 8.0 s on (the end of the second utterance).
    const down = new Float32Array(up.length);
    down.set(up.subarray(0, Math.round(8.3 * RATE)));
    down.set(up.subarray(Math.round(8.6 * RATE)), Math.round(8.3 * RATE));
    assert.deepEqual(localAlign(speech, down, RATE, { globalDelayMs: 0 }).segments.map((segment) => Math.round(segment.delayMs)), [60, 360, 60]);
  });

  it('refuses a reference without speech and a bad search range', () => {
    assert.throws(() => localAlign(new Float32Array(2 * RATE), speech, RATE), (error: unknown) => error instanceof MetricsInputError && error.verdict === 'no-speech');
    assert.throws(() => localAlign(speech, speech, RATE, { searchMs: -5 }), /searchMs must be a non-negative number, got -5/);
    assert.throws(() => localAlign(speech, speech, RATE, { maxStepMs: NaN }), /maxStepMs must be a non-negative number, got NaN/);
  });

  describe('realign', () => {
    it('undoes the warp: the realigned recording equals the reference', () => {
      const { segments } = localAlign(speech, warped, RATE, { globalDelayMs: 0 });
      const realigned = realign(speech, warped, RATE, segments);
      assert.equal(realigned.length, speech.length);
      assert.equal(segmentalSnr(speech, realigned, RATE).segSnrDb, 35);
      assert.ok(segmentalSnr(speech, alignExact(speech, warped, 0), RATE).segSnrDb < 20);
    });

    it('refuses an empty segment list', () => {
      assert.throws(() => realign(speech, speech, RATE, []), /at least one segment/);
    });

    it('rescues STOI from the time warp of a slowed-down recording (calibration tempo_0p99)', async function () {
      if (!calibrationAvailable) this.skip();
      const ref = await loadCalibration('ru', 'ref');
      const slowed = await loadCalibration('ru', 'tempo_0p99');
      const { segments } = localAlign(ref, slowed, RATE, { globalDelayMs: 0 });
      // Slowed by 1%: each later utterance is later still.
      for (let i = 1; i < segments.length; i++) assert.ok(segments[i].delayMs > segments[i - 1].delayMs + 10, JSON.stringify(segments));
      const before = stoi(ref, slowed, RATE);
      const after = stoi(ref, realign(ref, slowed, RATE, segments), RATE);
      assert.ok(before < 0.8 && after > 0.95, `STOI ${before.toFixed(3)} -> ${after.toFixed(3)}`);
    });
  });
});
