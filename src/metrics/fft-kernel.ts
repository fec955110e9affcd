/**
 * fft.js's transforms in WebAssembly SIMD (fft-kernel.wat), two at a time and bit for bit: each lane of the
 * kernel's f64x2 vectors runs one transform through exactly fft.js's operations, so results equal fft.js's
 * and nothing downstream (an argmax, a near tie) can change. Signals live in the kernel's memory:
 * - a paired complex array of n points holds point j of lane l at f64 index 4 j + l (real part) and
 *   4 j + 2 + l (imaginary part);
 * - a paired real array holds sample j of lane l at f64 index 2 j + l.
 * reserve() gives the memory; offsets passed to the transforms are byte offsets in it, from workAt on.
 */
import { WasmKernel } from './wasm-kernel.js';
import { FFT_KERNEL_WASM } from './fft-kernel-wasm.js';

/** Larger transforms stay with fft.js: the tables of every size up to this one take 40 bytes a point. */
export const MAX_KERNEL_FFT_SIZE = 262_144;

interface KernelExports {
  transform(input: number, output: number, n: number, inverse: number, twiddles: number, bitReversed: number): void;
  realTransform(input: number, output: number, n: number, twiddles: number, bitReversed: number): void;
  packCrossSpectrum(spectra: number, n: number, packed: number, twiddles: number): void;
  accumulateCrossSpectra(spectra: number, n: number, lanes: number, summed: number): void;
}

/** Size n's tables sit at byte 20 n: its twiddles (16 n bytes), then its first step's input indices (at most 4 n). */
const twiddlesAt = (n: number) => 20 * n;
const bitReversedAt = (n: number) => 36 * n;

export class FftKernel {
  /** Byte offset of the first byte free for signals. */
  static readonly workAt = 40 * MAX_KERNEL_FFT_SIZE;
  private readonly kernel: WasmKernel<KernelExports>;
  private exports: KernelExports | undefined;
  private buffer: ArrayBuffer | undefined;
  /** Sizes whose tables the current memory holds. */
  private readonly loaded = new Set<number>();

  constructor() {
    this.kernel = new WasmKernel<KernelExports>(FFT_KERNEL_WASM);
  }

  /**
   * The kernel's memory as f64, with `workBytes` free from workAt on and the tables of `sizes` (powers of two,
   * 4 .. MAX_KERNEL_FFT_SIZE) loaded. Valid until the next reserve(), which may replace the memory.
   */
  reserve(workBytes: number, sizes: readonly number[]): Float64Array {
    for (const n of sizes) {
      if (!(Number.isInteger(n) && n >= 4 && n <= MAX_KERNEL_FFT_SIZE && (n & (n - 1)) === 0)) {
        throw new RangeError(`the FFT kernel takes powers of two from 4 to ${MAX_KERNEL_FFT_SIZE}, got ${n}`);
      }
    }
    const { kernel, buffer } = this.kernel.reserve(FftKernel.workAt + workBytes);
    if (buffer !== this.buffer) this.loaded.clear();
    this.exports = kernel;
    this.buffer = buffer;
    for (const n of sizes) {
      if (this.loaded.has(n)) continue;
      new Float64Array(buffer, twiddlesAt(n), 2 * n).set(twiddleTable(n));
      new Int32Array(buffer, bitReversedAt(n), n / 2).set(firstStepInputs(n));
      this.loaded.add(n);
    }
    return new Float64Array(buffer);
  }

  /** fft.js's transform (or inverseTransform) of both lanes of the paired complex array at `input` into `output`. */
  transform(input: number, output: number, n: number, inverse: boolean): void {
    this.ready(n).transform(input, output, n, inverse ? 1 : 0, twiddlesAt(n), bitReversedAt(n));
  }

  /**
   * fft.js's realTransform of both lanes of the paired real array at `input`: bins 0 .. n / 2 of the paired
   * complex array at `output` (n points; the rest is scratch).
   */
  realTransform(input: number, output: number, n: number): void {
    this.ready(n).realTransform(input, output, n, twiddlesAt(n), bitReversedAt(n));
  }

  /**
   * From realTransform spectra (lane 0 a reference, lane 1 a recording), the input of fft.ts's
   * inverseRealTransform for recording x conj(reference), as lane 0 of the paired complex array at `packed`
   * (n / 2 points, lane 1 zero): its inverse transform of size n / 2 holds the circular cross-correlation,
   * sample m in point m >> 1's real (m even) or imaginary (m odd) part.
   */
  packCrossSpectrum(spectra: number, n: number, packed: number): void {
    this.ready(n).packCrossSpectrum(spectra, n, packed, twiddlesAt(n));
  }

  /**
   * Adds to lane 0 of the paired complex array `summed` W conj(S) of each lane (lane 0, then lane 1 when
   * `lanes` is 2) of the transform at `spectra`, where the lane was segment + i window and S, W are twice
   * their spectra (local-align.ts's coarse search).
   */
  accumulateCrossSpectra(spectra: number, n: number, lanes: 1 | 2, summed: number): void {
    this.ready(n).accumulateCrossSpectra(spectra, n, lanes, summed);
  }

  private ready(n: number): KernelExports {
    if (!this.exports || !this.loaded.has(n)) throw new Error(`reserve() the FFT kernel for size ${n} first`);
    return this.exports;
  }
}

/** One kernel for the process: its tables are loaded once per memory. */
export const fftKernel = new FftKernel();

/** fft.js's table for size n, computed as fft.js computes it: cos and -sin of pi i / n for even i < 2 n. */
function twiddleTable(n: number): Float64Array {
  const table = new Float64Array(2 * n);
  for (let i = 0; i < table.length; i += 2) {
    const angle = (Math.PI * i) / n;
    table[i] = Math.cos(angle);
    table[i + 1] = -Math.sin(angle);
  }
  return table;
}

/**
 * Where each block of fft.js's first step reads: its _bitrev entries (base-4 digits reversed over `width`
 * bits, width = log2 n rounded up to odd), halved to point indices, for the blocks that step has.
 */
function firstStepInputs(n: number): Int32Array {
  const power = Math.log2(n);
  const width = power % 2 === 0 ? power - 1 : power;
  const blocks = power % 2 === 0 ? n / 4 : n / 2;
  const inputs = new Int32Array(blocks);
  for (let block = 0; block < blocks; block++) {
    let reversed = 0;
    for (let shift = 0; shift < width; shift += 2) {
      const digit = (block >>> shift) & 3;
      const at = width - shift - 2;
      // fft.js shifts by -1 for the last digit of an odd width; that digit is 0 in every block the step has.
      if (at >= 0) reversed |= digit << at;
    }
    inputs[block] = reversed >>> 1;
  }
  return inputs;
}
