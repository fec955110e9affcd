/**
 * ViSQOL's time alignment: the lag that maximizes the cross-correlation of the two signals' envelopes, found
 * over every lag by FFT, applied by padding or cutting the degraded signal's start.
 */
import { fftOfSize, inverseRealTransform, nextPowerOfTwo, type FFT } from '../fft.js';
import type { Segment } from './gammatone.js';
import { CrossCorrelation, MAX_KERNEL_SIZE } from './cross-correlation.js';

export interface Aligned {
  degraded: Segment;
  /** Samples the degraded signal was delayed by (negative: advanced); 0 when left as it was. */
  lag: number;
}

/**
 * Upstream's rule: no change when the best lag is 0 or longer than half the reference; a positive lag
 * prepends zeros to the degraded signal, a negative one cuts its first samples.
 */
export function alignGlobally(reference: Float64Array, degraded: Segment): Aligned {
  const lag = envelopeLag(reference, degraded.data);
  if (lag === 0 || Math.abs(lag) > reference.length / 2) return { degraded, lag: 0 };
  if (lag < 0) {
    const origin = degraded.origin === undefined ? undefined : degraded.origin - lag;
    return { degraded: { data: degraded.data.subarray(-lag), origin }, lag };
  }
  const padded = new Float64Array(degraded.data.length + lag);
  padded.set(degraded.data, lag);
  return { degraded: { data: padded }, lag };
}

/**
 * Above this many rounding units of the bound sum|a| sum|b| of any correlation value, two values are ordered
 * the same by any FFT: one transform's error is some log2(n) units, three in a row stay far under 1e-11.
 */
const ORDER_MARGIN = 1e-11;
let kernel: CrossCorrelation | undefined;

/**
 * bestLag() of the two signals' upper envelopes. Up to MAX_KERNEL_SIZE points it runs in WebAssembly
 * (cross-correlation.ts), whose values differ from fft.js's by rounding only: its lag stands when
 * its peak clears every other lag by more than both FFTs' error; a closer call is left to bestLag().
 */
function envelopeLag(reference: Float64Array, degraded: Float64Array): number {
  if (CrossCorrelation.sizeFor(reference.length, degraded.length) > MAX_KERNEL_SIZE) {
    return bestLag(upperEnvelope(reference), upperEnvelope(degraded));
  }
  kernel ??= new CrossCorrelation();
  const inputs = kernel.inputs(reference.length, degraded.length);
  const bound = envelopeInto(reference, inputs.a) * envelopeInto(degraded, inputs.b);
  const peak = kernel.peak(reference.length, degraded.length);
  if (peak.value - peak.runnerUp > 2 * ORDER_MARGIN * bound) return peak.lag;
  return bestLag(inputs.a, inputs.b);
}

/**
 * Upstream's "upper envelope". Its Hilbert transform inverts the analytic spectrum with a real inverse FFT,
 * which keeps only the real part: twice the centred signal, less the dropped Nyquist bin of the zero-padded
 * transform. Its magnitude plus the mean is computed here directly, without the two FFTs.
 */
export function upperEnvelope(signal: Float64Array): Float64Array {
  const out = new Float64Array(signal.length);
  envelopeInto(signal, out);
  return out;
}

/** upperEnvelope() written to `out`; returns the sum of its absolute values. Loops run two samples at a time, odd ones of opposite sign. */
function envelopeInto(signal: Float64Array, out: Float64Array): number {
  const n = signal.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += signal[i];
  mean /= n;
  const fftSize = Math.max(32, nextPowerOfTwo(n));
  const pairsEnd = n & ~1;
  let dc = 0;
  let nyquist = 0;
  for (let i = 0; i < pairsEnd; i += 2) {
    const even = signal[i] - mean;
    const odd = signal[i + 1] - mean;
    dc += even;
    nyquist += even;
    dc += odd;
    nyquist -= odd;
  }
  if (pairsEnd < n) {
    const even = signal[pairsEnd] - mean;
    dc += even;
    nyquist += even;
  }
  // The Nyquist bin is dropped (scaled by 0) unless the signal fills the transform, when it is kept once.
  const nyquistWeight = n === fftSize ? 1 : 2;
  const dcShare = dc / fftSize;
  const nyquistShare = (nyquistWeight * nyquist) / fftSize;
  let absoluteSum = 0;
  for (let i = 0; i < n; i++) {
    const analytic = (i & 1) === 0 ? 2 * (signal[i] - mean) - dcShare - nyquistShare : 2 * (signal[i] - mean) - dcShare + nyquistShare;
    const value = Math.abs(analytic) + mean;
    out[i] = value;
    absoluteSum += Math.abs(value);
  }
  return absoluteSum;
}

/**
 * The lag maximizing sum_n a[n + lag] b[n] over all lags -(L-1)..L-1 (L the longer length), the first
 * maximum from the most negative lag, as upstream's search.
 */
export function bestLag(a: Float64Array, b: Float64Array): number {
  const length = Math.max(a.length, b.length);
  const maxLag = length - 1;
  // Upstream's size: the power of two above 2L - 1.
  let size = 2;
  while (size <= 2 * length - 1) size *= 2;
  const fft = fftOfSize(size);
  const work = workspace(size);
  const spectrumA = halfSpectrum(fft, a, work.padded, work.spectrumA);
  const spectrumB = halfSpectrum(fft, b, work.padded, work.spectrumB);
  // A conj(B) for bins 0..size/2; the rest of the spectrum is its mirror image.
  for (let i = 0; i <= size; i += 2) {
    const re = spectrumA[i] * spectrumB[i] + spectrumA[i + 1] * spectrumB[i + 1];
    const im = spectrumA[i + 1] * spectrumB[i] - spectrumA[i] * spectrumB[i + 1];
    spectrumA[i] = re;
    spectrumA[i + 1] = im;
  }
  const circular = inverseRealTransform(spectrumA, size, work.padded);
  let best = -Infinity;
  let bestAt = 0;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const value = circular[lag < 0 ? lag + size : lag];
    if (value > best) {
      best = value;
      bestAt = lag;
    }
  }
  return bestAt;
}

interface Workspace {
  padded: Float64Array;
  spectrumA: Float64Array;
  spectrumB: Float64Array;
}

/** bestLag()'s buffers per transform size, kept: fine alignment runs it for every patch at one size. */
const workspaces = new Map<number, Workspace>();

function workspace(size: number): Workspace {
  let work = workspaces.get(size);
  if (!work) {
    work = { padded: new Float64Array(size), spectrumA: new Float64Array(2 * size), spectrumB: new Float64Array(2 * size) };
    workspaces.set(size, work);
  }
  return work;
}

/** Bins 0..size/2 of the real signal's spectrum in `out`, interleaved re/im (the rest of `out` is scratch). */
function halfSpectrum(fft: FFT, signal: Float64Array, padded: Float64Array, out: Float64Array): Float64Array {
  padded.set(signal);
  padded.fill(0, signal.length);
  fft.realTransform(out, padded);
  return out;
}
