/**
 * Time alignment of a recording against the reference it should contain: the global delay found by
 * FFT cross-correlation, and how well the two match at that delay (Pearson correlation of the overlap).
 * Pure functions on mono PCM at one sample rate (resample first: media/ resample()).
 */
import { fftOfSize, inverseRealTransform, nextPowerOfTwo, parabolicOffset, type FFT } from './fft.js';

export interface DelayOptions {
  /** Largest delay searched, either way. Default 1000 ms. */
  maxDelayMs?: number;
}

export interface DelayEstimate {
  /** How much later the reference's content appears in the recording (negative: earlier). Sub-sample precision. */
  delayMs: number;
  /** Pearson correlation of the overlapping parts at that delay, -1..1; 0 when either input is silent. */
  correlation: number;
}

const DEFAULT_MAX_DELAY_MS = 1000;

/**
 * The delay of `recording` relative to `reference` (recording[n] ~ reference[n - delay]): the lag of the
 * cross-correlation peak within +-maxDelayMs, refined between samples by a parabola through the peak.
 * Scale-invariant, so level differences do not matter; a constant (DC) offset is ignored.
 * Silence in either input gives `{ delayMs: 0, correlation: 0 }`.
 */
export function estimateDelay(reference: Float32Array, recording: Float32Array, sampleRate: number, options: DelayOptions = {}): DelayEstimate {
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) throw new RangeError(`sample rate must be a positive number, got ${sampleRate}`);
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  if (!(Number.isFinite(maxDelayMs) && maxDelayMs >= 0)) throw new RangeError(`maxDelayMs must be a non-negative number, got ${maxDelayMs}`);
  if (reference.length === 0 || recording.length === 0) {
    throw new RangeError(`cannot align empty audio (reference ${reference.length} samples, recording ${recording.length})`);
  }
  // Lags with at least one sample of overlap: recording index n meets reference index n - lag.
  const minLag = Math.max(-Math.round((maxDelayMs * sampleRate) / 1000), -(reference.length - 1));
  const maxLag = Math.min(Math.round((maxDelayMs * sampleRate) / 1000), recording.length - 1);
  const correlations = crossCorrelation(reference, recording, minLag, maxLag);

  let peak = 0;
  for (let i = 1; i < correlations.length; i++) if (correlations[i] > correlations[peak]) peak = i;
  if (!(correlations[peak] > 0)) return { delayMs: 0, correlation: 0 };
  const lag = minLag + peak;
  const fraction = peak > 0 && peak < correlations.length - 1 ? parabolicOffset(correlations[peak - 1], correlations[peak], correlations[peak + 1]) : 0;

  const recordingStart = Math.max(0, lag);
  const overlap = Math.min(recording.length, reference.length + lag) - recordingStart;
  const correlation = normalizedCorrelation(
    reference.subarray(recordingStart - lag, recordingStart - lag + overlap),
    recording.subarray(recordingStart, recordingStart + overlap),
  );
  return { delayMs: ((lag + fraction) * 1000) / sampleRate, correlation };
}

/** Pearson correlation of two equally long signals, -1..1; 0 when either is constant (silence). */
export function normalizedCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`signals differ in length (${a.length} and ${b.length} samples)`);
  const n = a.length;
  if (n === 0) return 0;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i];
    meanB += b[i];
  }
  meanA /= n;
  meanB /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - meanA;
    const y = b[i] - meanB;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 || bb === 0) return 0;
  return Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)));
}

/**
 * c[lag - minLag] = sum over n of recording[n] * reference[n - lag], for lag in minLag..maxLag.
 * Zero-padding to at least max(length) + max(|lag|) keeps the circular correlation free of wrap-around
 * for every lag asked for.
 */
function crossCorrelation(reference: Float32Array, recording: Float32Array, minLag: number, maxLag: number): Float64Array {
  const size = nextPowerOfTwo(Math.max(reference.length, recording.length) + Math.max(-minLag, maxLag, 1));
  const fft = fftOfSize(size);
  const referenceSpectrum = halfSpectrum(fft, reference);
  const recordingSpectrum = halfSpectrum(fft, recording);
  // recording x conj(reference) for bins 0..size/2 (the rest mirrors them), in place.
  const product = recordingSpectrum;
  for (let i = 0; i <= size; i += 2) {
    const re = recordingSpectrum[i] * referenceSpectrum[i] + recordingSpectrum[i + 1] * referenceSpectrum[i + 1];
    const im = recordingSpectrum[i + 1] * referenceSpectrum[i] - recordingSpectrum[i] * referenceSpectrum[i + 1];
    product[i] = re;
    product[i + 1] = im;
  }
  const circular = inverseRealTransform(product, size);
  const out = new Float64Array(maxLag - minLag + 1);
  for (let lag = minLag; lag <= maxLag; lag++) out[lag - minLag] = circular[(lag + size) % size];
  return out;
}

/**
 * Bins 0..size/2 of the spectrum of the signal less its mean (a DC offset would add a ramp to every
 * correlation), zero-padded; interleaved re/im, the rest of the array scratch.
 */
function halfSpectrum(fft: FFT, signal: Float32Array): Float64Array {
  let mean = 0;
  for (let i = 0; i < signal.length; i++) mean += signal[i];
  mean /= signal.length;
  const padded = new Float64Array(fft.size);
  for (let i = 0; i < signal.length; i++) padded[i] = signal[i] - mean;
  const out = new Float64Array(2 * fft.size);
  fft.realTransform(out, padded);
  return out;
}
