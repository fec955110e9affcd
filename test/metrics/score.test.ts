import assert from 'node:assert/strict';
import { loadMono } from '../../src/media/index.js';
import { MetricsInputError, scoreSpeech } from '../../src/metrics/index.js';
import { resample } from '../../src/util/index.js';
import { speechPath } from '../helpers/signal.js';

const RATE = 16_000;

function delayed(signal: Float32Array, ms: number, gain = 1): Float32Array {
  const shift = Math.round((ms / 1000) * RATE);
  const out = new Float32Array(signal.length + shift);
  for (let i = 0; i < signal.length; i++) out[i + shift] = gain * signal[i];
  return out;
}

describe('metrics/score', function () {
  this.timeout(20_000);
  let speech: Float32Array;
  before(async () => {
    speech = (await loadMono(speechPath, RATE)).subarray(0, 6 * RATE);
  });

  it('gives an unimpaired copy the top score, whatever its level', () => {
    const quality = scoreSpeech(speech, RATE, delayed(speech, 0, 0.5), RATE);
    assert.equal(quality.mosLqo, 4.644);
    assert.ok(quality.visqol && quality.visqol.mos > 4.99);
    assert.ok(quality.stoi > 0.999);
    assert.equal(quality.segSnrDb, 35);
    assert.equal(quality.droppedRatio, 0);
    assert.deepEqual(quality.windows.map((w) => w.startS), [0, 2, 4]);
  });

  it('finds the delay of a known shift within 2 ms, from 0 to 500 ms', () => {
    for (const ms of [0, 37, 150, 320, 500]) {
      const quality = scoreSpeech(speech, RATE, delayed(speech, ms), RATE, { visqol: false });
      assert.ok(Math.abs(quality.delayMs - ms) <= 2, `shift ${ms} ms measured as ${quality.delayMs} ms`);
      assert.equal(quality.mosLqo, 4.644, `a pure delay of ${ms} ms is not an impairment`);
    }
  });

  it('converts rates: a 48 kHz recording of a 16 kHz reference', () => {
    const quality = scoreSpeech(speech, RATE, resample(delayed(speech, 80), RATE, 48_000), 48_000, { visqol: false });
    assert.ok(Math.abs(quality.delayMs - 80) <= 2);
    assert.ok(quality.mosLqo > 4.5);
  });

  it('scores zero-filled dropouts low, and says how much speech they took', () => {
    const holed = Float32Array.from(speech);
    for (let start = RATE; start < holed.length; start += RATE / 2) holed.fill(0, start, start + 0.04 * RATE);
    const quality = scoreSpeech(speech, RATE, holed, RATE, { visqol: false });
    assert.ok(quality.mosLqo < 3.5, `mosLqo ${quality.mosLqo}`);
    assert.ok(quality.droppedRatio > 0.03, `droppedRatio ${quality.droppedRatio}`);
  });

  it('refuses references it cannot score with a verdict, never NaN', () => {
    const verdict = (reference: Float32Array, expected: string) =>
      assert.throws(() => scoreSpeech(reference, RATE, speech, RATE), (error: unknown) => error instanceof MetricsInputError && error.verdict === expected);
    verdict(new Float32Array(3 * RATE), 'no-speech');
    let seed = 7;
    verdict(Float32Array.from({ length: 3 * RATE }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1), 'no-speech');
    verdict(speech.subarray(RATE / 2, RATE), 'too-short');
  });

  it('scores a silent recording as bad rather than failing', () => {
    const quality = scoreSpeech(speech, RATE, new Float32Array(speech.length), RATE, { visqol: false });
    assert.ok(quality.mosLqo < 1.5 && Number.isFinite(quality.mosLqo));
  });
});
