/**
 * Band powers of 512-sample Hann frames run as WebAssembly SIMD (band-powers.wat), two frames per vector:
 * about five times faster than fft.js frame by frame. A meter holds one signal and measures frames of it
 * at any starts. Its FFT rounds differently from fft.js's, by parts in 1e16.
 */
import { WasmKernel } from '../wasm-kernel.js';
import { BAND_POWERS_WASM } from './band-powers-wasm.js';

interface KernelExports {
  frames(pairs: number, starts: number, out: number, bandCount: number, scale: number): void;
}

const SIZE = 512;
const HALF = SIZE / 2;
const MAX_BANDS = 64;
/** Byte offsets of the kernel's tables (see band-powers.wat). */
const HANN_AT = 0;
const REVERSAL_AT = 4096;
const TWIDDLES_AT = 5120;
const SPLIT_TWIDDLES_AT = 7168;
const BANDS_AT = 11264;
const DATA_AT = 24576;

export interface BandBins {
  count: number;
  /** FFT bins firstBin[b] .. lastBin[b] (inclusive, within 1..255) make band b. */
  firstBin: Int32Array;
  lastBin: Int32Array;
}

/** One kernel serves every meter; its memory holds one meter's signal at a time. */
let kernel: WasmKernel<KernelExports> | undefined;
let loaded: { meter: BandPowerMeter; buffer: ArrayBuffer } | undefined;

export class BandPowerMeter {
  private readonly kernel: WasmKernel<KernelExports>;
  /** Byte offset of the signal's first sample; SIZE zeros lie before it and after its end. */
  private readonly signalAt = DATA_AT + 4 * SIZE;
  private readonly callDataAt: number;

  /**
   * `hann` has SIZE points; band sums of |X_k|^2 are multiplied by `powerScale`. The signal is read
   * when measured: it must not change while the meter is in use.
   */
  constructor(
    private readonly signal: Float32Array,
    private readonly bands: BandBins,
    private readonly hann: Float64Array,
    private readonly powerScale: number,
  ) {
    if (hann.length !== SIZE) throw new RangeError(`the window must have ${SIZE} points, got ${hann.length}`);
    if (bands.count > MAX_BANDS || bands.firstBin.some((bin) => bin < 1) || bands.lastBin.some((bin) => bin >= HALF)) {
      throw new RangeError(`at most ${MAX_BANDS} bands of bins 1..${HALF - 1}`);
    }
    kernel ??= new WasmKernel<KernelExports>(BAND_POWERS_WASM);
    this.kernel = kernel;
    this.callDataAt = this.signalAt + 4 * (signal.length + SIZE);
  }

  /**
   * Band powers of the frames starting at `starts[f]` (samples; parts outside the signal count as
   * silence), frames x bands, row-major.
   */
  powers(starts: ArrayLike<number>): Float64Array {
    const count = starts.length;
    const pairs = Math.ceil(count / 2);
    const startsAt = this.callDataAt;
    const outAt = startsAt + 8 * pairs;
    const rowBytes = 8 * this.bands.count;
    const { kernel: exports, buffer } = this.kernel.reserve(outAt + 2 * pairs * rowBytes);
    if (loaded?.meter !== this || loaded.buffer !== buffer) this.load(buffer);
    // A frame wholly outside the signal reads the SIZE zeros before it.
    const silence = this.signalAt - 4 * SIZE;
    const addresses = new Int32Array(buffer, startsAt, 2 * pairs).fill(silence);
    const length = this.signal.length;
    for (let f = 0; f < count; f++) {
      const start = starts[f];
      if (start > -SIZE && start < length) addresses[f] = this.signalAt + 4 * start;
    }
    exports.frames(pairs, startsAt, outAt, this.bands.count, this.powerScale / 4);
    return new Float64Array(buffer.slice(outAt, outAt + count * rowBytes));
  }

  /** Tables, the signal and the zeros around it into the kernel's memory. */
  private load(buffer: ArrayBuffer): void {
    new Float64Array(buffer, HANN_AT, SIZE).set(this.hann);
    const reversal = new Int32Array(buffer, REVERSAL_AT, HALF);
    for (let n = 0; n < HALF; n++) reversal[n] = 16 * reverseBits(n, Math.log2(HALF));
    const twiddles = new Float64Array(buffer, TWIDDLES_AT, HALF);
    for (let k = 0; k < HALF / 2; k++) {
      twiddles[2 * k] = Math.cos((2 * Math.PI * k) / HALF);
      twiddles[2 * k + 1] = Math.sin((2 * Math.PI * k) / HALF);
    }
    const splitTwiddles = new Float64Array(buffer, SPLIT_TWIDDLES_AT, SIZE);
    for (let k = 0; k < HALF; k++) {
      splitTwiddles[2 * k] = Math.cos((2 * Math.PI * k) / SIZE);
      splitTwiddles[2 * k + 1] = Math.sin((2 * Math.PI * k) / SIZE);
    }
    const bins = new Int32Array(buffer, BANDS_AT, 2 * this.bands.count);
    for (let b = 0; b < this.bands.count; b++) {
      bins[2 * b] = this.bands.firstBin[b];
      bins[2 * b + 1] = this.bands.lastBin[b];
    }
    new Float32Array(buffer, DATA_AT, SIZE).fill(0);
    new Float32Array(buffer, this.signalAt, this.signal.length).set(this.signal);
    new Float32Array(buffer, this.callDataAt - 4 * SIZE, SIZE).fill(0);
    loaded = { meter: this, buffer };
  }
}

function reverseBits(value: number, bits: number): number {
  let reversed = 0;
  for (let i = 0; i < bits; i++) reversed |= ((value >> i) & 1) << (bits - 1 - i);
  return reversed;
}
