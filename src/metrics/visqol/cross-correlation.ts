/**
 * The peak of two real signals' linear cross-correlation over every lag, by FFT in WebAssembly SIMD
 * (cross-correlation.wat): ViSQOL's fine alignment asks it once per matched patch. Besides the
 * lag it reports the runner-up value, so that a caller can tell a clear peak from a near tie that rounding
 * might order differently in another FFT.
 */
import { WasmKernel } from '../wasm-kernel.js';
import { CROSS_CORRELATION_WASM } from './cross-correlation-wasm.js';

export interface CorrelationPeak {
  /** The lag maximizing sum_n a[n + lag] b[n], the first from the most negative lag. */
  lag: number;
  /** The correlation at `lag`. */
  value: number;
  /** The largest correlation at any other lag. */
  runnerUp: number;
}

interface KernelExports {
  correlate(
    a: number, b: number, n: number, maxLag: number,
    data: number, half: number, twiddles: number, bitReversed: number, result: number,
  ): number;
}

/** Larger transforms (whole-signal alignment) stay with fft.js: the kernel's memory would take 81 bytes a point. */
export const MAX_KERNEL_SIZE = 65_536;

/** One kernel instance, its tables kept for the last transform size. */
export class CrossCorrelation {
  private readonly kernel: WasmKernel<KernelExports>;
  /** The instance and memory holding the tables for `size` (a larger memory replaces a smaller one). */
  private exports: KernelExports | undefined;
  private memory = new Float64Array(0);
  private size = 0;
  /** Byte offsets in the kernel's memory for `size`. */
  private layout = { a: 0, b: 0, data: 0, half: 0, twiddles: 0, bitReversed: 0, result: 0 };

  constructor() {
    this.kernel = new WasmKernel<KernelExports>(CROSS_CORRELATION_WASM);
  }

  /** The transform size for signals of these lengths: upstream's, the power of two above 2 L - 1. */
  static sizeFor(aLength: number, bLength: number): number {
    const length = Math.max(aLength, bLength);
    let size = 8;
    while (size <= 2 * length - 1) size *= 2;
    return size;
  }

  /**
   * Views of the kernel's input buffers for signals of these lengths, valid until the next call: filling them
   * in place saves a copy. Lengths past MAX_KERNEL_SIZE / 2 throw a RangeError.
   */
  inputs(aLength: number, bLength: number): { a: Float64Array; b: Float64Array } {
    this.prepare(CrossCorrelation.sizeFor(aLength, bLength));
    return {
      a: this.memory.subarray(this.layout.a / 8, this.layout.a / 8 + aLength),
      b: this.memory.subarray(this.layout.b / 8, this.layout.b / 8 + bLength),
    };
  }

  /** The peak of the correlation of the signals last written to inputs(aLength, bLength). */
  peak(aLength: number, bLength: number): CorrelationPeak {
    const n = CrossCorrelation.sizeFor(aLength, bLength);
    this.prepare(n);
    const { a, b, data, half, twiddles, bitReversed, result } = this.layout;
    // The kernel reads both signals up to n / 2, past their lengths.
    this.memory.fill(0, a / 8 + aLength, b / 8);
    this.memory.fill(0, b / 8 + bLength, data / 8);
    const maxLag = Math.max(aLength, bLength) - 1;
    const lag = this.exports!.correlate(a, b, n, maxLag, data, half, twiddles, bitReversed, result);
    // The kernel's values are 4 n times the correlation; a power of two, so the scaling back is exact.
    const scale = 4 * n;
    return { lag, value: this.memory[result / 8] / scale, runnerUp: this.memory[result / 8 + 1] / scale };
  }

  private prepare(n: number): void {
    if (n === this.size) return;
    if (n > MAX_KERNEL_SIZE) throw new RangeError(`a cross-correlation of ${n} points is beyond the kernel's ${MAX_KERNEL_SIZE}`);
    const layout = { a: 0, b: 4 * n, data: 8 * n, half: 24 * n, twiddles: 32 * n, bitReversed: 80 * n, result: 81 * n };
    const { kernel, buffer } = this.kernel.reserve(layout.result + 16);
    this.exports = kernel;
    const f64 = new Float64Array(buffer);
    // Per block size m = 4 .. n, per j < m / 4: w^j, w^2j, w^3j (w = e^(-2 pi i / m)) as (cos, cos), (sin, -sin).
    for (let m = 4; m <= n; m *= 2) {
      for (let j = 0; j < m / 4; j++) {
        for (let t = 1; t <= 3; t++) {
          const angle = (2 * Math.PI * j * t) / m;
          const at = (layout.twiddles + 96 * (m / 4 - 1 + j) + 32 * (t - 1)) / 8;
          const cos = Math.cos(angle);
          const sin = Math.sin(angle);
          f64[at] = cos;
          f64[at + 1] = cos;
          f64[at + 2] = sin;
          f64[at + 3] = -sin;
        }
      }
    }
    const bits = Math.log2(n);
    const reversed = new Int32Array(buffer, layout.bitReversed, n / 4);
    for (let k = 0; k < n / 4; k++) {
      let r = 0;
      for (let bit = 0; bit < bits; bit++) r |= ((k >> bit) & 1) << (bits - 1 - bit);
      reversed[k] = r;
    }
    this.memory = f64;
    this.layout = layout;
    this.size = n;
  }
}
