/**
 * STOI, Short-Time Objective Intelligibility (C. H. Taal, R. C. Hendriks, R. Heusdens, J. Jensen,
 * "An Algorithm for Intelligibility Prediction of Time-Frequency Weighted Noisy Speech", IEEE TASLP
 * 19(7), 2011), computed as the authors' reference code does:
 * - both signals at 10 kHz (converted here from any integer rate, resample-10k.ts);
 * - frames of 256 samples with MATLAB's hanning(256) window, hop 128; frames of the reference more than
 *   40 dB below its loudest frame are dropped from both signals, and the kept frames are overlap-added
 *   back into two shorter signals;
 * - their short-time spectra (the same framing again, 512-point FFT) summed into 15 one-third-octave
 *   bands with centres from 150 Hz (band edges snapped to the nearest FFT bin);
 * - for every run of 30 consecutive frames (sliding by one frame) and every band: the degraded envelope
 *   scaled to the reference's energy, clipped at (1 + 10^(15/20)) times the reference (beta = -15 dB),
 *   and correlated with the reference envelope;
 * - STOI is the mean of those correlations: 1 for identical signals, near 0 for unrelated ones.
 * A band of a segment where either envelope is constant (for instance, the degraded signal is silent
 * there) counts as correlation 0 rather than NaN.
 */
import { MetricsInputError } from './errors.js';
import { FftKernel, fftKernel } from './fft-kernel.js';
import { checkAudio, referenceSpeech, type SpeechActivity } from './levels.js';
import { resamplePairTo10k, STOI_RATE } from './resample-10k.js';

const FRAME = 256;
const HOP = FRAME / 2;
const FFT_SIZE = 512;
const BANDS = 15;
const LOWEST_CENTRE_HZ = 150;
const SEGMENT_FRAMES = 30;
const DYNAMIC_RANGE_DB = 40;
const CLIP = 1 + 10 ** (15 / 20);
const SILENT_BAND = 1e-20;

const hann = Float64Array.from({ length: FRAME }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 1)) / (FRAME + 1)));
const bandBins = thirdOctaveBins();

export interface StoiOptions {
  /** The reference's speechActivity(), when the caller already has it. */
  referenceActivity?: SpeechActivity;
}

/**
 * The STOI of `degraded` against `reference`, both mono at `sampleRate` (a positive integer) and aligned
 * to the sample (seg-snr.ts alignExact, local-align.ts realign). The degraded signal is compared over
 * the reference's span: a shorter one counts as silent at its end, a longer one is cut.
 * Throws MetricsInputError when the reference has no speech or less than 1 s of it, or either input is
 * not finite audio.
 */
export function stoi(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: StoiOptions = {}): number {
  if (!Number.isInteger(sampleRate)) throw new MetricsInputError(`sample rate must be a positive integer, got ${sampleRate}`, 'invalid');
  checkAudio(degraded, sampleRate, 'degraded signal');
  referenceSpeech(reference, sampleRate, options.referenceActivity);
  const [x, y] = withoutSilentFrames(...resamplePairTo10k(reference, degraded, sampleRate));
  const [referenceBands, degradedBands] = bandEnvelopes(x, y);
  const frames = referenceBands.length / BANDS;
  if (frames < SEGMENT_FRAMES) {
    throw new MetricsInputError(`the reference has only ${frames} speech frames at 10 kHz; STOI needs ${SEGMENT_FRAMES}`, 'too-short');
  }

  let total = 0;
  for (let end = SEGMENT_FRAMES; end <= frames; end++) {
    for (let band = 0; band < BANDS; band++) {
      // Envelopes are stored band by band: band * frames + frame.
      const offset = band * frames + end - SEGMENT_FRAMES;
      let xSum = 0;
      let xEnergy = 0;
      let yEnergy = 0;
      for (let t = offset; t < offset + SEGMENT_FRAMES; t++) {
        const x = referenceBands[t];
        const y = degradedBands[t];
        xSum += x;
        xEnergy += x * x;
        yEnergy += y * y;
      }
      // A silent degraded band: correlation 0. The threshold sits far below any real signal and far above
      // what the shared FFT leaks from the reference into a silent degraded signal (rounding, ~-320 dB).
      if (yEnergy <= SILENT_BAND * xEnergy) continue;
      // Pearson correlation of x and the scaled, clipped y, from sums in one pass.
      const scale = Math.sqrt(xEnergy / yEnergy);
      let ySum = 0;
      let yClippedEnergy = 0;
      let cross = 0;
      for (let t = offset; t < offset + SEGMENT_FRAMES; t++) {
        const x = referenceBands[t];
        const y = Math.min(scale * degradedBands[t], CLIP * x);
        ySum += y;
        yClippedEnergy += y * y;
        cross += x * y;
      }
      const xVariance = xEnergy - (xSum * xSum) / SEGMENT_FRAMES;
      const yVariance = yClippedEnergy - (ySum * ySum) / SEGMENT_FRAMES;
      if (xVariance > 0 && yVariance > 0) total += (cross - (xSum * ySum) / SEGMENT_FRAMES) / Math.sqrt(xVariance * yVariance);
    }
  }
  return total / ((frames - SEGMENT_FRAMES + 1) * BANDS);
}

/** Both signals rebuilt from the frames where the reference is within 40 dB of its loudest frame. */
function withoutSilentFrames(x: Float64Array, y: Float64Array): [Float64Array, Float64Array] {
  const starts: number[] = [];
  const levels: number[] = [];
  for (let start = 0; start < x.length - FRAME; start += HOP) {
    let energy = 0;
    for (let i = 0; i < FRAME; i++) energy += (hann[i] * x[start + i]) ** 2;
    starts.push(start);
    levels.push(20 * Math.log10(Math.sqrt(energy) + Number.EPSILON));
  }
  const loudest = levels.reduce((max, level) => Math.max(max, level), -Infinity);
  const kept = starts.filter((_, f) => levels[f] > loudest - DYNAMIC_RANGE_DB);
  const length = kept.length ? (kept.length - 1) * HOP + FRAME : 0;
  const xOut = new Float64Array(length);
  const yOut = new Float64Array(length);
  kept.forEach((start, k) => {
    for (let i = 0; i < FRAME; i++) {
      xOut[k * HOP + i] += hann[i] * x[start + i];
      yOut[k * HOP + i] += hann[i] * y[start + i];
    }
  });
  return [xOut, yOut];
}

/**
 * One-third-octave band magnitudes of each frame of both signals, band-major: out[band * frames + frame].
 * One complex FFT carries a frame of each (x as the real part, y as the imaginary part), two frames at a
 * time in the FFT kernel (fft.js's results bit for bit).
 */
function bandEnvelopes(x: Float64Array, y: Float64Array): [Float64Array, Float64Array] {
  const frameCount = Math.max(0, Math.ceil((x.length - FRAME) / HOP));
  const xOut = new Float64Array(frameCount * BANDS);
  const yOut = new Float64Array(frameCount * BANDS);
  // Paired complex arrays: two frames (zero-padded), their spectra.
  const inputAt = FftKernel.workAt;
  const spectraAt = inputAt + 32 * FFT_SIZE;
  const memory = fftKernel.reserve(64 * FFT_SIZE, [FFT_SIZE]);
  const input = memory.subarray(inputAt / 8, spectraAt / 8);
  input.fill(0);
  const spectra = spectraAt / 8;
  for (let first = 0; first < frameCount; first += 2) {
    const lanes = Math.min(2, frameCount - first);
    for (let lane = 0; lane < lanes; lane++) {
      const start = (first + lane) * HOP;
      for (let i = 0; i < FRAME; i++) {
        input[4 * i + lane] = hann[i] * x[start + i];
        input[4 * i + 2 + lane] = hann[i] * y[start + i];
      }
    }
    fftKernel.transform(inputAt, spectraAt, FFT_SIZE, false);
    for (let lane = 0; lane < lanes; lane++) {
      const frame = first + lane;
      for (let band = 0; band < BANDS; band++) {
        let xPower = 0;
        let yPower = 0;
        for (let k = bandBins[2 * band]; k < bandBins[2 * band + 1]; k++) {
          // X_k = (Z_k + conj Z_{N-k}) / 2 and Y_k = (Z_k - conj Z_{N-k}) / 2i; the 1/4 is applied below.
          const at = spectra + 4 * k + lane;
          const mirrorAt = spectra + 4 * ((FFT_SIZE - k) % FFT_SIZE) + lane;
          const re = memory[at];
          const im = memory[at + 2];
          const mirrorRe = memory[mirrorAt];
          const mirrorIm = memory[mirrorAt + 2];
          xPower += (re + mirrorRe) ** 2 + (im - mirrorIm) ** 2;
          yPower += (im + mirrorIm) ** 2 + (re - mirrorRe) ** 2;
        }
        xOut[band * frameCount + frame] = 0.5 * Math.sqrt(xPower);
        yOut[band * frameCount + frame] = 0.5 * Math.sqrt(yPower);
      }
    }
  }
  return [xOut, yOut];
}

/** FFT bins [low, high) of each band: edges at the centre frequency x 2^(-1/6) and x 2^(1/6), snapped to the nearest bin. */
function thirdOctaveBins(): Int32Array {
  const bins = new Int32Array(2 * BANDS);
  const binHz = STOI_RATE / FFT_SIZE;
  const nearestBin = (hz: number) => Math.min(FFT_SIZE / 2, Math.round(hz / binHz - 1e-9));
  for (let band = 0; band < BANDS; band++) {
    bins[2 * band] = nearestBin(LOWEST_CENTRE_HZ * 2 ** ((2 * band - 1) / 6));
    bins[2 * band + 1] = nearestBin(LOWEST_CENTRE_HZ * 2 ** ((2 * band + 1) / 6));
  }
  return bins;
}
