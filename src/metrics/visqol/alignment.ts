/**
 * ViSQOL's time alignment: the lag that maximizes the cross-correlation of the two signals' envelopes, found
 * over every lag by FFT, applied by padding or cutting the degraded signal's start.
 */
import { fftOfSize, nextPowerOfTwo, type FFT } from '../fft.js';
import type { Segment } from './gammatone.js';

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
  const lag = bestLag(upperEnvelope(reference), upperEnvelope(degraded.data));
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
 * Upstream's "upper envelope". Its Hilbert transform inverts the analytic spectrum with a real inverse FFT,
 * which keeps only the real part: twice the centred signal, less the dropped Nyquist bin of the zero-padded
 * transform. Its magnitude plus the mean is computed here directly, without the two FFTs.
 */
export function upperEnvelope(signal: Float64Array): Float64Array {
  const n = signal.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += signal[i];
  mean /= n;
  const fftSize = Math.max(32, nextPowerOfTwo(n));
  let dc = 0;
  let nyquist = 0;
  for (let i = 0; i < n; i++) {
    const centred = signal[i] - mean;
    dc += centred;
    nyquist += i & 1 ? -centred : centred;
  }
  // The Nyquist bin is dropped (scaled by 0) unless the signal fills the transform, when it is kept once.
  const nyquistWeight = n === fftSize ? 1 : 2;
  const dcShare = dc / fftSize;
  const nyquistShare = (nyquistWeight * nyquist) / fftSize;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const analytic = 2 * (signal[i] - mean) - dcShare - (i & 1 ? -nyquistShare : nyquistShare);
    out[i] = Math.abs(analytic) + mean;
  }
  return out;
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
  const spectrumA = halfSpectrum(fft, a);
  const spectrumB = halfSpectrum(fft, b);
  // A conj(B) for bins 0..size/2; the rest of the spectrum is its mirror image.
  for (let i = 0; i <= size; i += 2) {
    const re = spectrumA[i] * spectrumB[i] + spectrumA[i + 1] * spectrumB[i + 1];
    const im = spectrumA[i + 1] * spectrumB[i] - spectrumA[i] * spectrumB[i + 1];
    spectrumA[i] = re;
    spectrumA[i + 1] = im;
  }
  const circular = inverseRealTransform(spectrumA, size);
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


/** Bins 0..size/2 of the real signal's spectrum, interleaved re/im (the rest of the array is scratch). */
function halfSpectrum(fft: FFT, signal: Float64Array): Float64Array {
  const padded = new Float64Array(fft.size);
  padded.set(signal);
  const out = new Float64Array(2 * fft.size);
  fft.realTransform(out, padded);
  return out;
}

/**
 * The real signal of length `size` whose spectrum has bins 0..size/2 `half` (interleaved re/im), by one complex
 * inverse FFT of half the size: even samples as the real part, odd samples as the imaginary part.
 */
function inverseRealTransform(half: Float64Array, size: number): Float64Array {
  const quarter = size / 2;
  const packed = new Float64Array(size);
  for (let k = 0; k < quarter; k++) {
    const re = half[2 * k];
    const im = half[2 * k + 1];
    const mirrorRe = half[2 * (quarter - k)];
    const mirrorIm = -half[2 * (quarter - k) + 1];
    const evenRe = (re + mirrorRe) / 2;
    const evenIm = (im + mirrorIm) / 2;
    const diffRe = (re - mirrorRe) / 2;
    const diffIm = (im - mirrorIm) / 2;
    // Odd part: difference times e^{+2 pi i k / size}.
    const angle = (2 * Math.PI * k) / size;
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const oddRe = diffRe * c - diffIm * s;
    const oddIm = diffRe * s + diffIm * c;
    // even + i odd
    packed[2 * k] = evenRe - oddIm;
    packed[2 * k + 1] = evenIm + oddRe;
  }
  const fft = fftOfSize(quarter);
  const z = new Float64Array(size);
  fft.inverseTransform(z, packed);
  return z;
}

