// Signal helpers for media tests.
import { fileURLToPath } from 'node:url';

export const speechPath = fileURLToPath(new URL('../../../media/speech-en-16k.wav', import.meta.url));

export function sine(frequency: number, rate: number, samples: number, amplitude = 0.5, phase = 0): Float32Array {
  return Float32Array.from({ length: samples }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / rate + phase));
}

export function toInt16(samples: Float32Array): Int16Array {
  return Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
}

export function rms(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / Math.max(1, samples.length));
}

export function snrDb(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i] * reference[i];
    noise += (reference[i] - test[i]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/** Normalized cross-correlation of a and b shifted by `lag` (b[i + lag] against a[i]). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>, lag = 0, length = a.length): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < length; i++) {
    const x = a[i];
    const y = b[i + lag] ?? 0;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb || 1);
}

/** The lag in [0, maxLag] where b best matches a. */
export function bestLag(a: ArrayLike<number>, b: ArrayLike<number>, maxLag: number, length: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let lag = 0; lag <= maxLag; lag++) {
    const score = correlation(a, b, lag, length);
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  return best;
}

/** Energy per FFT bin (first half) of the signal, zero-padded to a power of two. */
export function powerSpectrum(samples: ArrayLike<number>): Float64Array {
  let n = 1;
  while (n < samples.length) n <<= 1;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < samples.length; i++) re[i] = samples[i];
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const angle = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = start + k;
        const b = a + size / 2;
        const vr = re[b] * wr - im[b] * wi;
        const vi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - vr;
        im[b] = im[a] - vi;
        re[a] += vr;
        im[a] += vi;
      }
    }
  }
  return Float64Array.from({ length: n / 2 }, (_, k) => re[k] * re[k] + im[k] * im[k]);
}

/** SNR in dB counting only frequencies below `maxHz`. */
export function bandSnrDb(reference: Float32Array, test: Float32Array, rate: number, maxHz: number): number {
  const error = reference.map((v, i) => v - (test[i] ?? 0));
  const signal = powerSpectrum(reference);
  const noise = powerSpectrum(error);
  const lastBin = Math.floor((maxHz / rate) * 2 * signal.length);
  let s = 0;
  let e = 0;
  for (let k = 0; k < lastBin; k++) {
    s += signal[k];
    e += noise[k];
  }
  return 10 * Math.log10(s / e);
}
