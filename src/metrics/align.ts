/**
 * Time alignment of a recording against the reference it should contain: the global delay found by
 * FFT cross-correlation, and how well the two match at that delay (Pearson correlation of the overlap).
 * Pure functions on mono PCM at one sample rate (resample first: media/ resample()).
 */
import { fftOfSize, inverseRealTransform, nextPowerOfTwo, parabolicOffset, type FFT } from './fft.js';
import { FftKernel, fftKernel, MAX_KERNEL_FFT_SIZE } from './fft-kernel.js';

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
 * for every lag asked for. Both real transforms run at once in the FFT kernel, which gives fft.js's
 * results bit for bit; sizes it does not take use fft.js itself.
 */
function crossCorrelation(reference: Float32Array, recording: Float32Array, minLag: number, maxLag: number): Float64Array {
  const size = nextPowerOfTwo(Math.max(reference.length, recording.length) + Math.max(-minLag, maxLag, 1));
  const circular = size >= 8 && size <= MAX_KERNEL_FFT_SIZE ? circularByKernel(reference, recording, size) : circularByFftJs(reference, recording, size);
  const out = new Float64Array(maxLag - minLag + 1);
  for (let lag = minLag; lag <= maxLag; lag++) out[lag - minLag] = circular((lag + size) % size);
  return out;
}

/** The circular cross-correlation's sample m, from the kernel's memory (valid until the kernel's next use). */
function circularByKernel(reference: Float32Array, recording: Float32Array, size: number): (m: number) => number {
  // Paired real input (reference, recording), its spectra, the packed half-size spectrum, the correlation.
  const inputAt = FftKernel.workAt;
  const spectraAt = inputAt + 16 * size;
  const packedAt = spectraAt + 32 * size;
  const outputAt = packedAt + 16 * size;
  const memory = fftKernel.reserve(80 * size, [size, size / 2]);
  const input = memory.subarray(inputAt / 8, spectraAt / 8);
  input.fill(0);
  writeCentred(reference, input, 0);
  writeCentred(recording, input, 1);
  fftKernel.realTransform(inputAt, spectraAt, size);
  fftKernel.packCrossSpectrum(spectraAt, size, packedAt);
  fftKernel.transform(packedAt, outputAt, size / 2, true);
  const output = outputAt / 8;
  // Sample m: the real (m even) or imaginary (m odd) part of point m >> 1, lane 0.
  return (m) => memory[output + 4 * (m >> 1) + 2 * (m & 1)];
}

/** The signal less its mean (a DC offset would add a ramp to every correlation) into one lane of a paired real array. */
function writeCentred(signal: Float32Array, paired: Float64Array, lane: 0 | 1): void {
  let mean = 0;
  for (let i = 0; i < signal.length; i++) mean += signal[i];
  mean /= signal.length;
  for (let i = 0; i < signal.length; i++) paired[2 * i + lane] = signal[i] - mean;
}

function circularByFftJs(reference: Float32Array, recording: Float32Array, size: number): (m: number) => number {
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
  return (m) => circular[m];
}

/**
 * Bins 0..size/2 of the spectrum of the signal less its mean, zero-padded; interleaved re/im, the rest of
 * the array scratch.
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
