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
