import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { downmix, readAudio } from '../../src/media/index.js';
import { MetricsInputError } from '../../src/metrics/errors.js';
import { DOUBLE_PRECISION_BANDS } from '../../src/metrics/visqol/frame-energies.js';
import { GammatoneFilterbank, gammatoneBands } from '../../src/metrics/visqol/gammatone.js';
import { execFileSync } from 'node:child_process';
import { localAlign, realign } from '../../src/metrics/local-align.js';
import { visqolSpeech } from '../../src/metrics/visqol/index.js';
import { visqolSpeechAligned } from '../../src/metrics/visqol/visqol-speech.js';

const conformanceDir = '/work/shared/data/visqol/';
const speechPath = fileURLToPath(new URL('../../../media/speech-en-16k.wav', import.meta.url));
// Upstream's own tolerance for its conformance scores.
const TOLERANCE = 1e-4;

async function mono(path: string): Promise<{ samples: Float32Array; rate: number }> {
  const audio = await readAudio(path);
  return { samples: downmix(audio.samples), rate: audio.sampleRate };
}

/** `signal` plus white noise `snrDb` under its RMS, from a fixed seed. */
function withNoise(signal: Float32Array, snrDb: number, seed = 1): Float32Array {
  let power = 0;
  for (const sample of signal) power += sample * sample;
  const noiseRms = Math.sqrt(power / signal.length) * 10 ** (-snrDb / 20);
  const out = new Float32Array(signal.length);
  let state = seed;
  for (let i = 0; i < out.length; i++) {
    state = (state * 16807) % 2147483647;
    out[i] = signal[i] + (state / 2147483647 - 0.5) * Math.sqrt(12) * noiseRms;
  }
  return out;
}

function delayed(signal: Float32Array, samples: number): Float32Array {
  const out = new Float32Array(signal.length);
  out.set(signal.subarray(0, signal.length - samples), samples);
  return out;
}

/** Band RMS values of one Hann-windowed frame through Slaney's cascades exactly as designed (four biquads, gain on stage one). */
function directFrame(signal: Float64Array, start: number, sampleRate: number): number[] {
  const size = Math.round(0.08 * sampleRate);
  return gammatoneBands(sampleRate).map((band) => {
    let stage: number[] = Array.from({ length: size }, (_, i) => signal[start + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1))));
    for (let k = 0; k < 4; k++) {
      const b0 = k === 0 ? band.b0 / band.gain : band.b0;
      const b1 = k === 0 ? band.b1[0] / band.gain : band.b1[k];
      const out: number[] = [];
      for (let n = 0; n < size; n++) {
        out.push(b0 * stage[n] + (n > 0 ? b1 * stage[n - 1] - band.a1 * out[n - 1] : 0) - (n > 1 ? band.a2 * out[n - 2] : 0));
      }
      stage = out;
    }
    return Math.sqrt(stage.reduce((sum, y) => sum + y * y, 0) / size);
  });
}

describe('GammatoneFilterbank', () => {
  it('gives the band RMS of the designed cascades within 1e-10 relative in its f64 bands, 5e-4 in its f32 bands, at 16 and 48 kHz', () => {
    for (const rate of [16_000, 48_000]) {
      const filterbank = new GammatoneFilterbank(rate);
      let state = 3;
      const noise = Float64Array.from({ length: filterbank.windowSize + filterbank.hop }, () => {
        state = (state * 16807) % 2147483647;
        return state / 2147483647 - 0.5;
      });
      const fast = filterbank.analyseFrames(noise, 0, 2);
      for (const frame of [0, 1]) {
        directFrame(noise, frame * filterbank.hop, rate).forEach((expected, band) => {
          const value = fast[frame * 21 + band];
          const tolerance = band < DOUBLE_PRECISION_BANDS ? 1e-10 : 5e-4;
          assert.ok(Math.abs(value - expected) <= tolerance * expected, `${rate} Hz frame ${frame} band ${band}: ${value} vs ${expected}`);
        });
      }
    }
  });
});

describe("ViSQOL's WebAssembly kernels", () => {
  it('are built from their WAT sources as they now are', function () {
    this.timeout(20_000);
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    // Exits non-zero, naming the stale file, when a generated *-wasm.ts differs from a fresh compile.
    execFileSync(process.execPath, [`${root}scripts/build-wasm.mjs`, '--check'], { cwd: root, stdio: 'pipe' });
  });
});

describe('visqolSpeech', () => {
  describe("upstream's conformance pair (48 kHz, no resampling)", () => {
    let clean: Float32Array;
    let transcoded: Float32Array;

    before(async () => {
      const reference = await mono(`${conformanceDir}CA01_01.wav`);
      const degraded = await mono(`${conformanceDir}transcoded_CA01_01.wav`);
      assert.equal(reference.rate, 48_000);
      assert.equal(degraded.rate, 48_000);
      clean = reference.samples;
      transcoded = degraded.samples;
    });

    it('scores the transcoded CA01 3.374505555111911 with the scaled mapping, on patches 9, 29, 49, 69, 89', () => {
      const result = visqolSpeech(clean, transcoded, 48_000);
      assert.ok(Math.abs(result.mos - 3.374505555111911) < TOLERANCE, `MOS ${result.mos}`);
      assert.deepEqual(
        result.patches.map((patch) => patch.refStartFrame),
        [9, 29, 49, 69, 89],
      );
      assert.equal(result.bandNsim.length, 21);
      const meanOfBands = result.bandNsim.reduce((sum, value) => sum + value, 0) / 21;
      assert.ok(Math.abs(meanOfBands - result.nsim) < 1e-12);
    });

    it('scores CA01 against itself 4.015861169223797 with the unscaled mapping', () => {
      const result = visqolSpeech(clean, clean, 48_000, { scaleToFive: false });
      assert.ok(Math.abs(result.mos - 4.015861169223797) < TOLERANCE, `MOS ${result.mos}`);
      assert.ok(Math.abs(result.nsim - 1) < 1e-12, `NSIM ${result.nsim}`);
      assert.deepEqual(
        result.patches.map((patch) => [patch.refStartFrame, patch.degStartFrame]),
        [9, 29, 49, 69, 89].map((frame) => [frame, frame]),
      );
    });
  });

  describe('on 16 kHz speech', () => {
    let speech: Float32Array;

    before(async () => {
      const audio = await mono(speechPath);
      assert.equal(audio.rate, 16_000);
      speech = audio.samples.subarray(0, 4 * 16_000);
    });

    it('gives identical signals 5.0 with the scaled mapping', () => {
      const result = visqolSpeech(speech, speech, 16_000);
      // Upstream's factor is a 32-bit float, so a perfect match maps to 4.99999994.
      assert.ok(Math.abs(result.mos - 5) < 1e-6, `MOS ${result.mos}`);
      assert.ok(Math.abs(result.nsim - 1) < 1e-12, `NSIM ${result.nsim}`);
    });

    it('scores lower the more noise the degraded signal carries', () => {
      const clean = visqolSpeech(speech, speech, 16_000).mos;
      const mild = visqolSpeech(speech, withNoise(speech, 30), 16_000).mos;
      const heavy = visqolSpeech(speech, withNoise(speech, 5), 16_000).mos;
      assert.ok(mild < clean, `30 dB SNR: ${mild}`);
      assert.ok(heavy < mild - 0.5, `5 dB SNR: ${heavy}, 30 dB SNR: ${mild}`);
      assert.ok(heavy >= 1);
    });

    it('aligns a delayed, quieter copy before comparing', () => {
      const copy = delayed(speech, 1600).map((sample) => sample * 0.25);
      const result = visqolSpeech(speech, copy, 16_000);
      assert.ok(result.mos > 4.5, `MOS ${result.mos}`);
    });

    it('scores a pair lined up by realign() the same with or without its global alignment', () => {
      const recording = withNoise(delayed(speech, 480), 25);
      const local = localAlign(speech, recording, 16_000);
      const lined = realign(speech, recording, 16_000, local.segments);
      assert.deepEqual(visqolSpeechAligned(speech, lined, 16_000), visqolSpeech(speech, lined, 16_000));
    });

    it('refuses input too short for one patch, saying so', () => {
      const short = speech.subarray(0, 16_000 / 2);
      assert.throws(
        () => visqolSpeech(short, short, 16_000),
        (error: unknown) => error instanceof MetricsInputError && error.verdict === 'too-short' && /needs at least 640 ms/.test(error.message),
      );
    });

    it('refuses a silent reference or a silent degraded signal as no speech, never returning NaN', () => {
      const silence = new Float32Array(speech.length);
      for (const [reference, degraded] of [
        [silence, speech],
        [speech, silence],
      ]) {
        assert.throws(
          () => visqolSpeech(reference, degraded, 16_000),
          (error: unknown) => error instanceof MetricsInputError && error.verdict === 'no-speech',
        );
      }
    });

    it('refuses a non-finite sample and an impossible sample rate', () => {
      const broken = Float32Array.from(speech);
      broken[100] = Number.NaN;
      assert.throws(() => visqolSpeech(speech, broken, 16_000), (error: unknown) => error instanceof MetricsInputError && error.verdict === 'invalid');
      assert.throws(() => visqolSpeech(speech, speech, 0), MetricsInputError);
    });
  });
});
