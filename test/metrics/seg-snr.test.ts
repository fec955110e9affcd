import assert from 'node:assert/strict';
import { MetricsInputError } from '../../src/metrics/errors.js';
import { alignExact, segmentalSnr } from '../../src/metrics/seg-snr.js';
import { add, calibrationAvailable, insertSilence, loadCalibration, loadSpeech, RATE, whiteNoise } from './diagnostics-fixtures.js';

describe('alignExact', () => {
  const reference = Float32Array.from([1, 2, 3, 4, 5]);

  it('moves a late recording back by the delay, an early one forward, with zeros where it has no sample', () => {
    assert.deepEqual([...alignExact(reference, Float32Array.from([0, 0, 1, 2, 3, 4, 5]), 2)], [1, 2, 3, 4, 5]);
    assert.deepEqual([...alignExact(reference, Float32Array.from([3, 4, 5]), -2)], [0, 0, 3, 4, 5]);
    assert.deepEqual([...alignExact(reference, Float32Array.from([0, 1, 2]), 1)], [1, 2, 0, 0, 0]);
    assert.deepEqual([...alignExact(reference, Float32Array.from([9]), 20)], [0, 0, 0, 0, 0]);
  });

  it('rounds a fractional delay to the nearest sample and refuses a non-number', () => {
    assert.deepEqual([...alignExact(reference, Float32Array.from([0, 1, 2, 3, 4, 5]), 0.6)], [1, 2, 3, 4, 5]);
    assert.throws(() => alignExact(reference, reference, Number.NaN), /finite number of samples, got NaN/);
  });
});

describe('segmentalSnr', () => {
  let speech: Float32Array;

  before(async () => {
    speech = await loadSpeech();
  });

  it('is 35 dB (the clamp) for a copy, and for a copy at another level or polarity when the gain is matched', () => {
    assert.equal(segmentalSnr(speech, speech, RATE).segSnrDb, 35);
    const result = segmentalSnr(speech, speech.map((sample) => -0.3 * sample), RATE);
    assert.equal(result.segSnrDb, 35);
    assert.ok(Math.abs(result.gain + 1 / 0.3) < 1e-4);
  });

  it('without gain matching, scores a scaled copy by the error it leaves: 0.9 x is exactly 20 dB, -x is -6.02 dB', () => {
    const scaled = segmentalSnr(speech, speech.map((sample) => 0.9 * sample), RATE, { matchGain: false });
    assert.ok(Math.abs(scaled.segSnrDb - 20) < 1e-3, `${scaled.segSnrDb}`);
    const inverted = segmentalSnr(speech, speech.map((sample) => -sample), RATE, { matchGain: false });
    assert.ok(Math.abs(inverted.segSnrDb + 6.0206) < 1e-3, `${inverted.segSnrDb}`);
  });

  it('clamps each frame: silence in place of speech is 0 dB a frame, and no frame counts below -10 dB', () => {
    assert.equal(segmentalSnr(speech, new Float32Array(speech.length), RATE).segSnrDb, 0);
    const loudNoise = whiteNoise(3, speech.length, 1);
    assert.equal(segmentalSnr(speech, loudNoise, RATE, { matchGain: false }).segSnrDb, -10);
  });

  it('falls with added white noise, and needs sample-exact alignment', () => {
    const scores = [0.001, 0.01, 0.05].map((noiseRms) => segmentalSnr(speech, add(speech, whiteNoise(4, speech.length, noiseRms)), RATE).segSnrDb);
    assert.ok(scores[0] > scores[1] && scores[1] > scores[2], `${scores}`);
    const late = insertSilence(speech, 0, 3);
    assert.ok(segmentalSnr(speech, late, RATE).segSnrDb < 15);
    assert.equal(segmentalSnr(speech, alignExact(speech, late, 3), RATE).segSnrDb, 35);
  });

  it('counts only the reference speech frames', () => {
    const { frames } = segmentalSnr(speech, speech, RATE);
    assert.ok(frames > 250 && frames < speech.length / (0.02 * RATE), `${frames} frames`);
  });

  it('refuses a reference without speech', () => {
    assert.throws(() => segmentalSnr(new Float32Array(RATE * 2), speech, RATE), (error: unknown) => error instanceof MetricsInputError && error.verdict === 'no-speech');
  });

  it('ranks the calibration codecs as their bit rates say', async function () {
    if (!calibrationAvailable) this.skip();
    const ref = await loadCalibration('ru', 'ref');
    const scores = await Promise.all(['opus_7k', 'opus_14k', 'opus_32k'].map(async (condition) => segmentalSnr(ref, await loadCalibration('ru', condition), RATE).segSnrDb));
    assert.ok(scores[0] < scores[1] && scores[1] < scores[2], `${scores}`);
  });
});
