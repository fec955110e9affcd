import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMono } from '../../src/media/index.js';
import { resample } from '../../src/util/index.js';
import { MOS_LQO_MAX, mosLqo, mosLqoWindows } from '../../src/metrics/mos-lqo/index.js';
import { MetricsInputError } from '../../src/metrics/errors.js';
import { seededRandom, gaussian } from '../../src/util/index.js';

const speechPath = fileURLToPath(new URL('../../../media/speech-en-16k.wav', import.meta.url));
const calibrationDir = fileURLToPath(new URL('../../../../shared/data/calibration', import.meta.url));
const RATE = 16_000;
const FRAME_20MS = 320;

function rms(signal: Float32Array): number {
  return Math.sqrt(signal.reduce((sum, v) => sum + v * v, 0) / signal.length);
}

function withNoise(signal: Float32Array, snrDb: number, seed = 1): Float32Array {
  const next = seededRandom(seed);
  const noiseRms = rms(signal) * 10 ** (-snrDb / 20);
  return signal.map((v) => v + noiseRms * gaussian(next));
}

/** Zeroes the given share of 20 ms frames, chosen at random. */
function withDropouts(signal: Float32Array, share: number, seed = 7): Float32Array {
  const next = seededRandom(seed);
  const out = Float32Array.from(signal);
  const frames = Math.floor(signal.length / FRAME_20MS);
  const order = Array.from({ length: frames }, (_, i) => i).sort(() => next() - 0.5);
  for (const frame of order.slice(0, Math.round(share * frames))) out.fill(0, frame * FRAME_20MS, (frame + 1) * FRAME_20MS);
  return out;
}

function assertDecreasing(scores: number[], what: string): void {
  for (let i = 1; i < scores.length; i++) assert.ok(scores[i] < scores[i - 1], `${what}: ${scores.map((s) => s.toFixed(2)).join(' > ')} is not decreasing`);
}

function pearson(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    ab += (x - ma) * (b[i] - mb);
    aa += (x - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

describe('mosLqo', () => {
  let speech: Float32Array;

  before(async () => {
    speech = await loadMono(speechPath, RATE);
  });

  it('scores identical signals at the PESQ-WB ceiling, with no disturbance', () => {
    const result = mosLqo(speech, speech, RATE);
    assert.equal(result.mosLqo, MOS_LQO_MAX);
    assert.deepEqual(result.components, { addedDistortion: 0, missingSpeech: 0, bandLimitation: 0 });
    assert.ok(result.speechSeconds > 5, `speech ${result.speechSeconds} s`);
  });

  it('ignores a delay and a level change', () => {
    const later = new Float32Array(speech.length + 2400);
    later.set(speech.map((v) => v * 0.5), 2400);
    const result = mosLqo(speech, later, RATE);
    assert.ok(Math.abs(result.delayMs - 150) < 0.5, `delay ${result.delayMs} ms`);
    assert.ok(Math.abs(result.levelGainDb - 6.02) < 0.1, `gain ${result.levelGainDb} dB`);
    assert.ok(result.mosLqo > 4.6, `score ${result.mosLqo}`);
  });

  it('falls as white noise rises', () => {
    const scores = [45, 35, 25, 15, 5].map((snr) => mosLqo(speech, withNoise(speech, snr), RATE).mosLqo);
    assertDecreasing(scores, 'SNR 45..5 dB');
    assert.ok(scores[4] < 1.5, `5 dB SNR scores ${scores[4]}`);
  });

  it('falls as more 20 ms frames drop out, mostly through missingSpeech', () => {
    const results = [0.02, 0.05, 0.1, 0.2].map((share) => mosLqo(speech, withDropouts(speech, share), RATE));
    assertDecreasing([MOS_LQO_MAX, ...results.map((r) => r.mosLqo)], 'dropouts 0, 2, 5, 10, 20%');
    assert.ok(results[0].mosLqo < 4.2, `2% dropouts score ${results[0].mosLqo}`);
    const missing = results.map((r) => r.components.missingSpeech);
    missing.forEach((m, i) => i > 0 && assert.ok(m > missing[i - 1], `missingSpeech ${missing.join(', ')}`));
    assert.ok(results[3].components.missingSpeech > 2 * results[3].components.addedDistortion, JSON.stringify(results[3].components));
  });

  it('follows a jitter buffer\'s 20 ms delay steps, but not 20 ms dropouts in speech', () => {
    const at = (seconds: number) => Math.round(seconds * RATE);
    // The buffer grows by a frame mid-word at 1.25 s, mid-block (20 ms played twice), and shrinks by one in the pause at 7.96 s.
    const stepped = new Float32Array(speech.length);
    stepped.set(speech.subarray(0, at(1.25) + FRAME_20MS));
    stepped.set(speech.subarray(at(1.25), at(7.96)), at(1.25) + FRAME_20MS);
    stepped.set(speech.subarray(at(7.96) + FRAME_20MS), at(7.96));
    const droppedOut = Float32Array.from(speech);
    for (const start of [at(1.25), at(3.68)]) droppedOut.fill(0, start, start + FRAME_20MS);
    const steps = mosLqo(speech, stepped, RATE).mosLqo;
    const dropouts = mosLqo(speech, droppedOut, RATE).mosLqo;
    assert.ok(steps > 4.0, `delay steps score ${steps}`);
    assert.ok(dropouts < steps - 0.3, `dropouts score ${dropouts}, delay steps ${steps}`);
  });

  it('sees a narrowband channel as band limitation', () => {
    const narrowband = resample(resample(speech, RATE, 8000), 8000, RATE);
    const result = mosLqo(speech, narrowband, RATE);
    assert.ok(result.components.bandLimitation > 0.05, JSON.stringify(result.components));
    assert.ok(result.mosLqo < 4.3 && result.mosLqo > 2.5, `score ${result.mosLqo}`);
  });

  it('accepts 48 kHz and 8 kHz input', () => {
    const excerpt = speech.subarray(0, 4 * RATE);
    const at48k = resample(excerpt, RATE, 48_000);
    assert.ok(mosLqo(at48k, at48k, 48_000).mosLqo > 4.6);
    const noisy48k = resample(withNoise(excerpt, 20), RATE, 48_000);
    const at8k = resample(excerpt, RATE, 8000);
    assert.ok(mosLqo(at48k, noisy48k, 48_000).mosLqo < 3);
    assert.ok(mosLqo(at8k, at8k, 8000).mosLqo > 4.6, 'identical narrowband signals are not degraded');
  });

  it('scores a silent or noise-only degraded signal near 1, never NaN', () => {
    const silent = mosLqo(speech, new Float32Array(speech.length), RATE);
    assert.ok(silent.mosLqo >= 1 && silent.mosLqo < 1.3, `silent ${silent.mosLqo}`);
    const next = seededRandom(3);
    const noise = mosLqo(speech, Float32Array.from(speech, () => 0.05 * gaussian(next)), RATE);
    assert.ok(noise.mosLqo >= 1 && noise.mosLqo < 1.3, `noise ${noise.mosLqo}`);
  });

  describe('bad input', () => {
    const problem = (reference: Float32Array, degraded: Float32Array, rate: number, expected: string) =>
      assert.throws(() => mosLqo(reference, degraded, rate), (error: unknown) => error instanceof MetricsInputError && error.verdict === expected && error.message.length > 0);

    it('refuses a silent reference as no speech', () => problem(new Float32Array(5 * RATE), speech, RATE, 'no-speech'));

    it('refuses a noise-only reference as no speech', () => {
      const next = seededRandom(5);
      problem(Float32Array.from({ length: 5 * RATE }, () => 0.05 * gaussian(next)), speech, RATE, 'no-speech');
    });

    it('refuses less than a second of speech as too short', () => {
      problem(speech.subarray(0, 0.8 * RATE), speech.subarray(0, 0.8 * RATE), RATE, 'too-short');
      problem(speech, new Float32Array(0), RATE, 'too-short');
    });

    it('refuses NaN samples and unsupported rates', () => {
      const broken = Float32Array.from(speech);
      broken[100] = NaN;
      problem(speech, broken, RATE, 'invalid');
      problem(speech, speech, 96_000, 'invalid');
    });
  });

  describe('mosLqoWindows', () => {
    it('scores 2 s windows, lower where the dropouts are, null where there is no speech', () => {
      const padded = new Float32Array(speech.length + 3 * RATE);
      padded.set(speech);
      const damaged = Float32Array.from(padded);
      const half = Math.floor(speech.length / 2);
      damaged.set(withDropouts(speech, 0.2).subarray(half), half);
      const windows = mosLqoWindows(padded, damaged, RATE, { windowS: 2 });
      assert.equal(windows[0].startS, 0);
      assert.ok(Math.abs(windows[1].startS - 2) < 0.02);
      assert.ok(windows[0].mosLqo !== null && windows[0].mosLqo > 4.5, `first window ${windows[0].mosLqo}`);
      const lastSpeech = windows.filter((w) => w.mosLqo !== null).at(-1)!;
      assert.ok(lastSpeech.mosLqo! < 2.5, `last speech window ${lastSpeech.mosLqo}`);
      assert.equal(windows.at(-1)!.mosLqo, null, 'trailing silence has no score');
    });
  });

  describe('against PESQ-WB on part of the calibration set', () => {
    // Decoding FLAC spawns ffmpeg (~150 ms a file), so a subset that spans the kinds of damage.
    const conditions = ['identity', 'opus_7k', 'opus_14k', 'opus_14k_loss10', 'dropout_zero03', 'wnoise_snr30', 'lp2800'];

    it('agrees at Pearson >= 0.93 on 7 conditions x 2 voices', async function () {
      if (!existsSync(join(calibrationDir, 'scores.csv'))) this.skip();
      const rows = readFileSync(join(calibrationDir, 'scores.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
      const chosen = rows.filter(([voice, condition]) => (voice === 'en_librivox' || voice === 'ru') && conditions.includes(condition));
      assert.equal(chosen.length, 14);
      const decoded = new Map<string, Float32Array>();
      const load = async (path: string) => decoded.get(path) ?? decoded.set(path, await loadMono(join(calibrationDir, path), RATE)).get(path)!;
      const predicted: number[] = [];
      const pesqWb: number[] = [];
      for (const [, , ref, deg, wb] of chosen) {
        const score = mosLqo(await load(ref), await load(deg), RATE).mosLqo;
        predicted.push(score);
        pesqWb.push(Number(wb));
      }
      const r = pearson(predicted, pesqWb);
      assert.ok(r >= 0.93, `Pearson ${r.toFixed(3)}`);
    });
  });
});
