import { strict as assert } from 'node:assert';
import { fftOfSize, inverseRealTransform } from '../../src/metrics/fft.js';
import { FftKernel, fftKernel, MAX_KERNEL_FFT_SIZE } from '../../src/metrics/fft-kernel.js';

/** Deterministic noise with a wide range of magnitudes, so that any change of rounding shows. */
function noise(length: number, seed: number): Float64Array {
  let state = seed;
  return Float64Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * 10 ** ((state % 7) - 3);
  });
}

/** Both lanes of a paired array at f64 index `at`, `stride` f64 per point, `parts` values per point and lane. */
function lanes(memory: Float64Array, at: number, points: number, parts: 1 | 2): [Float64Array, Float64Array] {
  const stride = 2 * parts;
  const lane = (l: number) => Float64Array.from({ length: points * parts }, (_, i) => memory[at + stride * Math.floor(i / parts) + 2 * (i % parts) + l]);
  return [lane(0), lane(1)];
}

function assertBitIdentical(actual: Float64Array, expected: ArrayLike<number>, what: string): void {
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: value ${i} is ${actual[i]}, fft.js gives ${expected[i]}`);
  }
}

describe('FftKernel', () => {
  const at = FftKernel.workAt / 8;

  for (const n of [4, 8, 16, 32, 512, 2048, 4096, 65_536]) {
    it(`gives fft.js's transform, inverse transform and real transform of ${n} points bit for bit, two at a time`, () => {
      const fft = fftOfSize(n);
      const signals = [noise(2 * n, n), noise(2 * n, n + 1)];
      const memory = fftKernel.reserve(96 * n, [n]);
      signals.forEach((signal, lane) => {
        for (let j = 0; j < n; j++) {
          memory[at + 4 * j + lane] = signal[2 * j];
          memory[at + 4 * j + 2 + lane] = signal[2 * j + 1];
        }
      });
      for (const inverse of [false, true]) {
        fftKernel.transform(FftKernel.workAt, FftKernel.workAt + 32 * n, n, inverse);
        lanes(memory, at + 4 * n, n, 2).forEach((actual, lane) => {
          const expected = fft.createComplexArray() as number[];
          if (inverse) fft.inverseTransform(expected, Array.from(signals[lane]));
          else fft.transform(expected, Array.from(signals[lane]));
          assertBitIdentical(actual, expected, `${inverse ? 'inverse ' : ''}transform, lane ${lane}`);
        });
      }

      const realAt = FftKernel.workAt + 64 * n;
      signals.forEach((signal, lane) => {
        for (let j = 0; j < n; j++) memory[realAt / 8 + 2 * j + lane] = signal[j];
      });
      fftKernel.realTransform(realAt, FftKernel.workAt + 32 * n, n);
      lanes(memory, at + 4 * n, n / 2 + 1, 2).forEach((actual, lane) => {
        const expected = fft.createComplexArray() as number[];
        fft.realTransform(expected, Array.from(signals[lane].subarray(0, n)));
        assertBitIdentical(actual, expected.slice(0, n + 2), `real transform, lane ${lane}`);
      });
    });
  }

  it("gives align.ts's cross-correlation (fft.js real transforms, product, inverseRealTransform) bit for bit", () => {
    const n = 4096;
    const fft = fftOfSize(n);
    const [reference, recording] = [noise(n, 7), noise(n, 8)];
    const spectrum = (signal: Float64Array) => {
      const out = new Float64Array(2 * n);
      fft.realTransform(out, signal);
      return out;
    };
    const [a, b] = [spectrum(reference), spectrum(recording)];
    const product = new Float64Array(2 * n);
    for (let i = 0; i <= n; i += 2) {
      product[i] = b[i] * a[i] + b[i + 1] * a[i + 1];
      product[i + 1] = b[i + 1] * a[i] - b[i] * a[i + 1];
    }
    const expected = inverseRealTransform(product, n);

    const [inputAt, spectraAt, packedAt, outputAt] = [0, 16 * n, 48 * n, 64 * n].map((offset) => FftKernel.workAt + offset);
    const memory = fftKernel.reserve(80 * n, [n, n / 2]);
    for (let j = 0; j < n; j++) {
      memory[inputAt / 8 + 2 * j] = reference[j];
      memory[inputAt / 8 + 2 * j + 1] = recording[j];
    }
    fftKernel.realTransform(inputAt, spectraAt, n);
    fftKernel.packCrossSpectrum(spectraAt, n, packedAt);
    fftKernel.transform(packedAt, outputAt, n / 2, true);
    assertBitIdentical(lanes(memory, outputAt / 8, n / 2, 2)[0], expected, 'cross-correlation');
  });

  it("sums local-align.ts's chunk cross-spectra in its order, bit for bit", () => {
    const n = 1024;
    const fft = fftOfSize(n);
    const chunks = [noise(2 * n, 3), noise(2 * n, 4), noise(2 * n, 5)];
    const expected = new Float64Array(2 * n);
    for (const chunk of chunks) {
      const z = new Float64Array(2 * n);
      fft.transform(z, chunk);
      for (let k = 0; k < n; k++) {
        const m = (n - k) & (n - 1);
        const [sr, si, wr, wi] = [z[2 * k] + z[2 * m], z[2 * k + 1] - z[2 * m + 1], z[2 * k + 1] + z[2 * m + 1], z[2 * m] - z[2 * k]];
        expected[2 * k] += wr * sr + wi * si;
        expected[2 * k + 1] += wi * sr - wr * si;
      }
    }

    const [inputAt, spectraAt, summedAt] = [0, 32 * n, 64 * n].map((offset) => FftKernel.workAt + offset);
    const memory = fftKernel.reserve(96 * n, [n]);
    memory.subarray(summedAt / 8, summedAt / 8 + 4 * n).fill(0);
    for (let first = 0; first < chunks.length; first += 2) {
      const pair = chunks.slice(first, first + 2);
      pair.forEach((chunk, lane) => {
        for (let j = 0; j < 2 * n; j++) memory[inputAt / 8 + 4 * (j >> 1) + 2 * (j & 1) + lane] = chunk[j];
      });
      fftKernel.transform(inputAt, spectraAt, n, false);
      fftKernel.accumulateCrossSpectra(spectraAt, n, pair.length as 1 | 2, summedAt);
    }
    assertBitIdentical(lanes(memory, summedAt / 8, n, 2)[0], expected, 'summed cross-spectra');
  });

  it('refuses sizes it has no tables for', () => {
    assert.throws(() => fftKernel.reserve(0, [2 * MAX_KERNEL_FFT_SIZE]), RangeError);
    assert.throws(() => fftKernel.reserve(0, [96]), RangeError);
    assert.throws(() => new FftKernel().transform(FftKernel.workAt, FftKernel.workAt, 1024, false), /reserve/);
  });
});
