import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { estimateDelay, normalizedCorrelation } from '../../src/metrics/index.js';
import { downmix, readAudio, resample } from '../../src/media/index.js';
import { seededRandom, gaussian } from '../../src/util/index.js';

const speechPath = fileURLToPath(new URL('../../../media/speech-en-16k.wav', import.meta.url));
const RATE = 16_000;
const SAMPLE_MS = 1000 / RATE;

describe('estimateDelay', () => {
  let speech: Float32Array;

  before(async () => {
    const audio = await readAudio(speechPath);
    assert.equal(audio.sampleRate, RATE);
    speech = downmix(audio.samples);
  });

  describe('on the shipped reference speech', () => {
    for (const delayMs of [0, 0.0625, 20, 37.5, 120, 250, 499.9375, 500]) {
      it(`finds a ${delayMs} ms delay to within a sample, at a tenth of the level`, () => {
        const recording = delayed(speech, Math.round(delayMs / SAMPLE_MS), 0.1);
        const found = estimateDelay(speech, recording, RATE);
        assert.ok(Math.abs(found.delayMs - delayMs) <= SAMPLE_MS, `found ${found.delayMs} ms`);
        assert.ok(found.correlation > 0.999, `correlation ${found.correlation}`);
      });
    }

    it('finds a recording that starts early (negative delay)', () => {
      const found = estimateDelay(speech, speech.subarray(Math.round(80 / SAMPLE_MS)), RATE);
      assert.ok(Math.abs(found.delayMs + 80) <= SAMPLE_MS, `found ${found.delayMs} ms`);
      assert.ok(found.correlation > 0.999);
    });

    it('finds a delay between samples, to a third of a sample', () => {
      // One sample at 48 kHz is a third of a sample at 16 kHz.
      const upsampled = resample(speech, RATE, 48_000);
      const shifted = resample(delayed(upsampled, 1, 1), 48_000, RATE);
      const found = estimateDelay(speech, shifted, RATE);
      assert.ok(Math.abs(found.delayMs - 1000 / 48_000) < SAMPLE_MS / 3, `found ${found.delayMs} ms, expected ${(1000 / 48_000).toFixed(4)}`);
    });

    it('still finds the delay in noise as loud as the speech (0 dB SNR), with a correlation near 0.7', () => {
      const random = seededRandom(7);
      const speechRms = rms(speech);
      for (const delayMs of [0, 150, 500]) {
        const recording = delayed(speech, Math.round(delayMs / SAMPLE_MS), 1).map((sample) => sample + speechRms * gaussian(random));
        const found = estimateDelay(speech, recording, RATE);
        assert.ok(Math.abs(found.delayMs - delayMs) <= SAMPLE_MS, `found ${found.delayMs} ms for ${delayMs} ms`);
        // Pearson of signal and signal + equal-power noise is 1/sqrt(2).
        assert.ok(found.correlation > 0.65 && found.correlation < 0.75, `correlation ${found.correlation}`);
      }
    });

    it('ignores a constant offset in the recording', () => {
      const found = estimateDelay(speech, delayed(speech, 800, 0.5).map((sample) => sample + 0.3), RATE);
      assert.ok(Math.abs(found.delayMs - 50) <= SAMPLE_MS, `found ${found.delayMs} ms`);
      assert.ok(found.correlation > 0.999);
    });

    it('does not look past maxDelayMs', () => {
      const recording = delayed(speech, Math.round(300 / SAMPLE_MS), 1);
      assert.ok(estimateDelay(speech, recording, RATE, { maxDelayMs: 100 }).correlation < 0.3);
      assert.ok(Math.abs(estimateDelay(speech, recording, RATE, { maxDelayMs: 300 }).delayMs - 300) <= SAMPLE_MS);
    });

    it('gives a low correlation for unrelated audio: the speech reversed, or noise', () => {
      const reversed = speech.slice().reverse();
      const random = seededRandom(11);
      const noise = speech.map(() => gaussian(random));
      for (const [name, unrelated] of [['reversed speech', reversed], ['white noise', noise]] as const) {
        const found = estimateDelay(speech, unrelated, RATE);
        assert.ok(Math.abs(found.correlation) < 0.3, `${name}: correlation ${found.correlation}`);
      }
    });
  });

  describe('edge cases', () => {
    it('aligns a short recording inside a long reference', () => {
      const reference = seededNoise(3, 2 * RATE);
      const found = estimateDelay(reference, reference.subarray(4000, 4800), RATE, { maxDelayMs: 300 });
      assert.ok(Math.abs(found.delayMs + 250) < 0.01, `found ${found.delayMs} ms`);
      assert.ok(found.correlation > 0.999);
    });

    it('reports silence as no match rather than failing', () => {
      assert.deepEqual(estimateDelay(speech, new Float32Array(RATE), RATE), { delayMs: 0, correlation: 0 });
      assert.deepEqual(estimateDelay(new Float32Array(RATE).fill(0.2), speech, RATE), { delayMs: 0, correlation: 0 });
    });

    it('refuses empty audio, a bad sample rate or a negative search range, saying which', () => {
      assert.throws(() => estimateDelay(new Float32Array(0), speech, RATE), /empty audio \(reference 0 samples/);
      assert.throws(() => estimateDelay(speech, new Float32Array(0), RATE), /empty audio/);
      assert.throws(() => estimateDelay(speech, speech, 0), /sample rate must be a positive number, got 0/);
      assert.throws(() => estimateDelay(speech, speech, Number.NaN), /sample rate/);
      assert.throws(() => estimateDelay(speech, speech, RATE, { maxDelayMs: -1 }), /maxDelayMs must be a non-negative number, got -1/);
    });
  });
});

describe('normalizedCorrelation', () => {
  it('is 1 for the same shape at any level and offset, -1 for the inverse', () => {
    assert.equal(normalizedCorrelation([1, 2, 3, 5], [12, 14, 16, 20]), 1);
    assert.equal(normalizedCorrelation([1, 2, 3, 5], [-1, -2, -3, -5]), -1);
  });

  it('is the Pearson coefficient', () => {
    // x = 1..5, y = 2,1,4,3,5: covariance 8/5, both variances 2.
    assert.ok(Math.abs(normalizedCorrelation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) - 0.8) < 1e-12);
  });

  it('is 0 when a signal is constant or empty', () => {
    assert.equal(normalizedCorrelation([0, 0, 0], [1, 2, 3]), 0);
    assert.equal(normalizedCorrelation([], []), 0);
  });

  it('refuses signals of different lengths', () => {
    assert.throws(() => normalizedCorrelation([1, 2], [1, 2, 3]), /differ in length \(2 and 3 samples\)/);
  });
});

/** `signal` at `gain`, starting `samples` later (zeros before), cut to the same length. */
function delayed(signal: Float32Array, samples: number, gain: number): Float32Array {
  const out = new Float32Array(signal.length);
  for (let i = samples; i < out.length; i++) out[i] = gain * signal[i - samples];
  return out;
}

function rms(signal: Float32Array): number {
  let sum = 0;
  for (const sample of signal) sum += sample * sample;
  return Math.sqrt(sum / signal.length);
}

function seededNoise(seed: number, length: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => gaussian(random));
}
