import assert from 'node:assert/strict';
import { resample } from '../../src/media/index.js';
import { MetricsInputError } from '../../src/metrics/errors.js';
import { stoi } from '../../src/metrics/stoi.js';
import { add, calibrationAvailable, insertSilence, loadCalibration, loadSpeech, RATE, rms, whiteNoise } from './diagnostics-fixtures.js';

describe('stoi', () => {
  let speech: Float32Array;

  before(async () => {
    speech = await loadSpeech();
  });

  it('is 1 for identical signals, at any level of the degraded copy', () => {
    assert.ok(Math.abs(stoi(speech, speech, RATE) - 1) < 1e-6);
    assert.ok(Math.abs(stoi(speech, speech.map((sample) => sample * 0.05), RATE) - 1) < 1e-6);
  });

  it('falls as white noise rises: 30, 20, 10, 0, -10 dB SNR', () => {
    const speechRms = rms(speech);
    const scores = [30, 20, 10, 0, -10].map((snr) => stoi(speech, add(speech, whiteNoise(5, speech.length, speechRms * 10 ** (-snr / 20))), RATE));
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i] < scores[i - 1], `scores ${scores.map((score) => score.toFixed(3)).join(', ')}`);
    assert.ok(scores[0] > 0.97 && scores[4] < 0.7, `scores ${scores.map((score) => score.toFixed(3)).join(', ')}`);
  });

  it('gives the same score at 48 kHz and at 10 kHz as at 16 kHz (it works at 10 kHz inside)', () => {
    const noisy = add(speech, whiteNoise(9, speech.length, rms(speech) * 0.3));
    const at16k = stoi(speech, noisy, RATE);
    for (const rate of [48_000, 10_000]) {
      const score = stoi(resample(speech, RATE, rate), resample(noisy, RATE, rate), rate);
      assert.ok(Math.abs(score - at16k) < 0.01, `${rate} Hz: ${score.toFixed(4)}, 16 kHz: ${at16k.toFixed(4)}`);
    }
  });

  it('scores a silent degraded signal 0, and a missing tail as silence', () => {
    assert.equal(stoi(speech, new Float32Array(speech.length), RATE), 0);
    const halfMissing = stoi(speech, speech.subarray(0, speech.length / 2), RATE);
    assert.ok(halfMissing > 0.3 && halfMissing < 0.7, `half missing: ${halfMissing}`);
  });

  it('is hurt by misalignment, which is why the caller aligns first', () => {
    assert.ok(stoi(speech, insertSilence(speech, 0, 0.05 * RATE), RATE) < 0.8);
  });

  it('refuses a reference without speech, with too little, and samples that are not numbers', () => {
    const noise = whiteNoise(1, 5 * RATE, 0.05);
    assert.throws(() => stoi(new Float32Array(5 * RATE), noise, RATE), (error: unknown) => error instanceof MetricsInputError && error.verdict === 'no-speech' && /digital silence/.test(error.message));
    assert.throws(() => stoi(noise, noise, RATE), (error: unknown) => error instanceof MetricsInputError && error.verdict === 'no-speech' && /steady noise/.test(error.message));
    const shortSpeech = new Float32Array(5 * RATE);
    shortSpeech.set(speech.subarray(RATE, RATE + 0.6 * RATE), 2 * RATE);
    assert.throws(() => stoi(shortSpeech, shortSpeech, RATE), (error: unknown) => error instanceof MetricsInputError && error.verdict === 'too-short');
    const broken = speech.slice();
    broken[1234] = Number.NaN;
    assert.throws(() => stoi(speech, broken, RATE), (error: unknown) => error instanceof MetricsInputError && error.verdict === 'invalid' && /index 1234/.test(error.message));
    assert.throws(() => stoi(speech, speech, 16_000.5), (error: unknown) => error instanceof MetricsInputError && error.verdict === 'invalid');
  });

  describe('on the calibration set', function () {
    before(function () {
      if (!calibrationAvailable) this.skip();
    });

    // Values from a NumPy/SciPy transcription of the authors' reference procedure (SciPy's resample_poly
    // designs the same filter as MATLAB's resample); earshot agrees within 5e-7 on all 75 pairs.
    const reference: Array<[string, string, number]> = [
      ['ru', 'opus_7k', 0.929885],
      ['ru', 'lp2800', 0.925585],
      ['ru', 'clip_3pct', 0.974554],
      ['en_librivox', 'wnoise_snr15', 0.921022],
      ['en_librivox', 'opus_14k_loss20', 0.835341],
      ['en_librivox', 'g711_mulaw', 0.996933],
      ['de_espeak', 'dropout_zero10', 0.921996],
      ['de_espeak', 'gsm_fr', 0.941103],
    ];
    for (const [voice, condition, expected] of reference) {
      it(`${voice} ${condition}: ${expected}`, async () => {
        const score = stoi(await loadCalibration(voice, 'ref'), await loadCalibration(voice, condition), RATE);
        assert.ok(Math.abs(score - expected) < 1e-5, `got ${score.toFixed(6)}`);
      });
    }

    for (const voice of ['ru', 'en_librivox', 'de_espeak']) {
      it(`${voice}: more dropped frames or more packet loss score lower`, async () => {
        const ref = await loadCalibration(voice, 'ref');
        const score = async (condition: string) => stoi(ref, await loadCalibration(voice, condition), RATE);
        const dropouts = [await score('dropout_zero10'), await score('dropout_zero03'), 1];
        assert.ok(dropouts[0] < dropouts[1] && dropouts[1] < stoi(ref, ref, RATE), `dropouts ${dropouts.join(', ')}`);
        const loss = await Promise.all(['opus_14k_loss20', 'opus_14k_loss10', 'opus_14k_loss05', 'opus_14k'].map(score));
        for (let i = 1; i < loss.length; i++) assert.ok(loss[i] > loss[i - 1], `loss 20/10/5/0 %: ${loss.join(', ')}`);
      });
    }
  });
});
