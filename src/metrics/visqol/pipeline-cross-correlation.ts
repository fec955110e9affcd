/**
 * The peak of two real signals' linear cross-correlation over every lag, by FFT in WebAssembly SIMD
 * (pipeline-cross-correlation.wat): ViSQOL's fine alignment asks it once per matched patch. Besides the
 * lag it reports the runner-up value, so that a caller can tell a clear peak from a near tie that rounding
 * might order differently in another FFT.
 */
import { WasmKernel } from '../fast-wasm-kernel.js';
import { PIPELINE_CROSS_CORRELATION_WASM } from './pipeline-cross-correlation-wasm.js';

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
    a: number, aLength: number, b: number, bLength: number, n: number, maxLag: number,
    data: number, half: number, twiddles: number, bitReversed: number, result: number,
  ): number;
}

/** Larger transforms (whole-signal alignment) stay with fft.js: the kernel's tables would take 76 bytes a point. */
export const MAX_KERNEL_SIZE = 65_536;
let compiled: WebAssembly.Module | undefined;

/** One kernel instance, its tables kept for the last transform size. */
export class CrossCorrelation {
  private readonly kernel: WasmKernel<KernelExports>;
  /** The instance and memory holding the tables for `size` (a larger memory replaces a smaller one). */
  private exports: KernelExports | undefined;
  private buffer = new ArrayBuffer(0);
  private size = 0;
  /** Byte offsets in the kernel's memory for `size`. */
  private layout = { a: 0, b: 0, data: 0, half: 0, twiddles: 0, bitReversed: 0, result: 0 };

  constructor() {
    compiled ??= new WebAssembly.Module(Buffer.from(PIPELINE_CROSS_CORRELATION_WASM, 'base64'));
    this.kernel = new WasmKernel<KernelExports>(compiled);
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
    const memory = new Float64Array(this.buffer);
    return {
      a: memory.subarray(this.layout.a / 8, this.layout.a / 8 + aLength),
      b: memory.subarray(this.layout.b / 8, this.layout.b / 8 + bLength),
    };
  }

  /** The peak of the correlation of the signals last written to inputs(aLength, bLength). */
  peak(aLength: number, bLength: number): CorrelationPeak {
    const n = CrossCorrelation.sizeFor(aLength, bLength);
    this.prepare(n);
    const { a, b, data, half, twiddles, bitReversed, result } = this.layout;
    const maxLag = Math.max(aLength, bLength) - 1;
    const lag = this.exports!.correlate(a, aLength, b, bLength, n, maxLag, data, half, twiddles, bitReversed, result);
    const values = new Float64Array(this.buffer, result, 2);
    // The kernel's values are 4 n times the correlation; a power of two, so the scaling back is exact.
    return { lag, value: values[0] / (4 * n), runnerUp: values[1] / (4 * n) };
  }

  private prepare(n: number): void {
    if (n === this.size) return;
    if (n > MAX_KERNEL_SIZE) throw new RangeError(`a cross-correlation of ${n} points is beyond the kernel's ${MAX_KERNEL_SIZE}`);
    const layout = { a: 0, b: 8 * n, data: 16 * n, half: 32 * n, twiddles: 40 * n, bitReversed: 72 * n, result: 76 * n };
    const bytes = layout.result + 16;
    const { kernel, buffer } = this.kernel.reserve(bytes);
    this.exports = kernel;
    this.buffer = buffer;
    const f64 = new Float64Array(buffer);
    // Stage tables for half-sizes h = 1 .. n/2: (cos, cos), (sin, -sin) of 2 pi j / (2 h).
    for (let h = 1; h < n; h *= 2) {
      for (let j = 0; j < h; j++) {
        const angle = (Math.PI * j) / h;
        const at = (layout.twiddles + 32 * (h - 1 + j)) / 8;
        const cos = Math.cos(angle);
        const sin = Math.sin(angle);
        f64[at] = cos;
        f64[at + 1] = cos;
        f64[at + 2] = sin;
        f64[at + 3] = -sin;
      }
    }
    const bits = Math.log2(n);
    const reversed = new Int32Array(buffer, layout.bitReversed, n);
    for (let k = 0; k < n; k++) {
      let r = 0;
      for (let bit = 0; bit < bits; bit++) r |= ((k >> bit) & 1) << (bits - 1 - bit);
      reversed[k] = r;
    }
    this.layout = layout;
    this.size = n;
  }
}
