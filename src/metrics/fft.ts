// FFT plumbing the metrics share: fft.js instances cached by size, sizes, and sub-sample peak refinement.
import FFT from 'fft.js';

export type { default as FFT } from 'fft.js';

/** Building an FFT's tables costs about as much as a transform: one instance per size, kept. */
const ffts = new Map<number, FFT>();

export function fftOfSize(size: number): FFT {
  let fft = ffts.get(size);
  if (!fft) {
    fft = new FFT(size);
    ffts.set(size, fft);
  }
  return fft;
}

/** The smallest power of two >= n (fft.js sizes), at least 2. */
export function nextPowerOfTwo(n: number): number {
  let size = 2;
  while (size < n) size *= 2;
  return size;
}

/** Where the vertex of the parabola through three neighbouring values lies, relative to the middle one (-0.5..0.5). */
export function parabolicOffset(before: number, peak: number, after: number): number {
  const curvature = before - 2 * peak + after;
  return curvature < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (before - after)) / curvature)) : 0;
}

/** Per size, cos and sin of 2 pi k / size for k < size / 2, interleaved: inverseRealTransform's twiddles. */
const twiddleTables = new Map<number, Float64Array>();
/** Per size, inverseRealTransform's packed half-size spectrum. */
const packedScratch = new Map<number, Float64Array>();

/**
 * The real signal of length `size` whose spectrum has bins 0..size/2 `half` (interleaved re/im, as fft.js's
 * realTransform leaves them), by one complex inverse FFT of half the size: even samples as the real part,
 * odd samples as the imaginary part. Written to `out` when given (length `size`).
 */
export function inverseRealTransform(half: Float64Array, size: number, out: Float64Array = new Float64Array(size)): Float64Array {
  const quarter = size / 2;
  let twiddles = twiddleTables.get(size);
  if (!twiddles) {
    twiddles = new Float64Array(size);
    for (let k = 0; k < quarter; k++) {
      const angle = (2 * Math.PI * k) / size;
      twiddles[2 * k] = Math.cos(angle);
      twiddles[2 * k + 1] = Math.sin(angle);
    }
    twiddleTables.set(size, twiddles);
  }
  let packed = packedScratch.get(size);
  if (!packed) {
    packed = new Float64Array(size);
    packedScratch.set(size, packed);
  }
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
    const c = twiddles[2 * k];
    const s = twiddles[2 * k + 1];
    const oddRe = diffRe * c - diffIm * s;
    const oddIm = diffRe * s + diffIm * c;
    // even + i odd
    packed[2 * k] = evenRe - oddIm;
    packed[2 * k + 1] = evenIm + oddRe;
  }
  fftOfSize(quarter).inverseTransform(out, packed);
  return out;
}
