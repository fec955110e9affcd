/**
 * NSIM of reference patches against degraded patches at frame offsets, as `nsim()` defines it but fast.
 * Everything that depends on one side only (local means and signed deviations, the reference's centred
 * neighbourhoods) is computed once per reference patch and once per degraded column. The search over offsets
 * runs in single precision as WebAssembly SIMD (nsim-offsets.wat), four offsets per vector: it only chooses
 * offsets. The matches that are kept get their similarity and band means in double precision (`detailed`).
 */
import { WasmKernel } from '../wasm-kernel.js';
import { BAND_COUNT, type Spectrogram } from './gammatone.js';
import { NSIM_OFFSETS_WASM } from './nsim-offsets-wasm.js';
import { C1, CENTRE, CORNER, EDGE, nsim, type PatchSimilarity } from './nsim.js';

interface KernelExports {
  search(d: number, rowBytes: number, plane: number, quads: number, width: number, ref: number, cov: number, sums: number, out: number): void;
}

/** Bytes per reference cell in the kernel's table: eight neighbour weights, 2 muR, muR^2 + C1, deviation, plane distance. */
const REF_CELL_BYTES = 48;
/** Degraded planes in the kernel's memory: the spectrogram, then mean and deviation per column role. */
const PLANES = 7;

/** One kernel for the process; its memory holds one comparator's degraded planes at a time. */
let kernel: WasmKernel<KernelExports> | undefined;
let resident: { comparator: PatchComparator; buffer: ArrayBuffer } | undefined;

export class PatchComparator {
  /** The degraded spectrogram zero-extended by a patch, band-major, rows of `extendedFrames`. */
  private readonly extended: Float64Array;
  private readonly extendedFrames: number;
  private readonly rowFloats: number;
  /** Byte offsets in the kernel's memory: its planes (see nsim-offsets.wat), tables and scratch. */
  private readonly planeBytes: number;
  private readonly refAt: number;
  private readonly covAt: number;
  private readonly sumsAt: number;
  private readonly outAt: number;
  private readonly bytes: number;

  constructor(
    private readonly ref: Spectrogram,
    private readonly refStarts: number[],
    private readonly width: number,
    private readonly deg: Spectrogram,
  ) {
    if (!Number.isInteger(width) || width < 2) throw new RangeError(`patch width must be an integer of at least 2, not ${width}`);
    // Degraded patches that run off the end read zeros there.
    this.extendedFrames = deg.frames + width - 1;
    this.extended = new Float64Array(BAND_COUNT * this.extendedFrames);
    for (let band = 0; band < BAND_COUNT; band++) {
      this.extended.set(deg.data.subarray(band * deg.frames, (band + 1) * deg.frames), band * this.extendedFrames);
    }
    // A padding column before and enough after for the right neighbours of the last vector's four offsets.
    this.rowFloats = 4 * Math.ceil((this.extendedFrames + 6) / 4);
    this.planeBytes = 4 * (BAND_COUNT + 2) * this.rowFloats;
    this.refAt = PLANES * this.planeBytes;
    const quadBytes = 16 * Math.ceil(deg.frames / 4);
    this.covAt = this.refAt + REF_CELL_BYTES * BAND_COUNT * width;
    this.sumsAt = this.covAt + quadBytes;
    this.outAt = this.sumsAt + quadBytes;
    this.bytes = this.outAt + 2 * quadBytes;
    this.makeResident();
  }

  /**
   * Similarities of reference patch `patch` with the degraded patches starting at frames first..last, in that
   * order (written to `out` when given), within about 1e-6 of `detailed`'s. A value does not depend on the
   * range it was computed in.
   */
  similarities(patch: number, first: number, last: number, out = new Float64Array(Math.max(0, last - first + 1))): Float64Array {
    if (last < first) return out;
    this.checkOffsets(patch, first, last);
    const count = last - first + 1;
    const { kernel: exports, buffer } = this.makeResident();
    this.writeSearchTable(patch, new Float32Array(buffer, this.refAt, (REF_CELL_BYTES / 4) * BAND_COUNT * this.width));
    const rowBytes = 4 * this.rowFloats;
    const quads = Math.ceil(count / 4);
    exports.search(rowBytes + 4 * first, rowBytes, this.planeBytes, quads, this.width, this.refAt, this.covAt, this.sumsAt, this.outAt);
    const sums = new Float64Array(buffer, this.outAt, count);
    const scale = this.width * BAND_COUNT;
    for (let o = 0; o < count; o++) out[o] = sums[o] / scale;
    return out;
  }

  /** The similarity and band means at one offset in double precision: nsim() of the two patches. */
  detailed(patch: number, offset: number): PatchSimilarity {
    this.checkOffsets(patch, offset, offset);
    return nsim(
      { data: this.ref.data, frames: this.ref.frames, start: this.refStarts[patch], width: this.width },
      { data: this.deg.data, frames: this.deg.frames, start: offset, width: this.width },
    );
  }

  private checkOffsets(patch: number, first: number, last: number): void {
    if (!Number.isInteger(patch) || patch < 0 || patch >= this.refStarts.length) {
      throw new RangeError(`reference patch ${patch} is not one of 0..${this.refStarts.length - 1}`);
    }
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last >= this.deg.frames) {
      throw new RangeError(`offsets ${first}..${last} are not within the degraded spectrogram's frames 0..${this.deg.frames - 1}`);
    }
  }

  /** The kernel, with this comparator's degraded planes in its memory (written again if another comparator used it since). */
  private makeResident(): { kernel: KernelExports; buffer: ArrayBuffer } {
    kernel ??= new WasmKernel<KernelExports>(NSIM_OFFSETS_WASM);
    const reserved = kernel.reserve(this.bytes);
    if (resident?.comparator !== this || resident.buffer !== reserved.buffer) {
      this.writePlanes(new Float32Array(reserved.buffer, 0, (PLANES * this.planeBytes) / 4));
      resident = { comparator: this, buffer: reserved.buffer };
    }
    return reserved;
  }

  /**
   * The zero-extended spectrogram and its local means and signed deviations per column role, in single
   * precision, as nsim-offsets.wat reads them: rows of `rowFloats` after a padding row, from column -1.
   */
  private writePlanes(planes: Float32Array): void {
    const { extended, extendedFrames: frames, rowFloats } = this;
    const planeFloats = this.planeBytes / 4;
    planes.fill(0);
    for (let band = 0; band < BAND_COUNT; band++) {
      const at = (band + 1) * rowFloats + 1;
      planes.set(extended.subarray(band * frames, (band + 1) * frames), at);
      const row = band * frames;
      const below = (band === 0 ? 0 : band - 1) * frames;
      const above = (band === BAND_COUNT - 1 ? band : band + 1) * frames;
      for (let c = 0; c < frames; c++) {
        const left = Math.max(0, c - 1);
        const right = Math.min(frames - 1, c + 1);
        const bL = extended[below + left], b = extended[below + c], bR = extended[below + right];
        const aL = extended[above + left], a = extended[above + c], aR = extended[above + right];
        const l = extended[row + left], m = extended[row + c], r = extended[row + right];
        // As a patch's first column (its left neighbour itself), inner column, and last column (its right neighbour itself).
        const firstMean = CORNER * (b + bR + a + aR) + EDGE * (b + a + m + r) + CENTRE * m;
        const innerMean = CORNER * (bL + bR + aL + aR) + EDGE * (b + a + l + r) + CENTRE * m;
        const lastMean = CORNER * (bL + b + aL + a) + EDGE * (b + a + l + m) + CENTRE * m;
        const meanAt = planeFloats + at + c;
        planes[meanAt] = firstMean;
        planes[meanAt + planeFloats] = signedDeviation(firstMean, meanOfSquares(b, bR, a, aR, b, a, m, r, m));
        planes[meanAt + 2 * planeFloats] = innerMean;
        planes[meanAt + 3 * planeFloats] = signedDeviation(innerMean, meanOfSquares(bL, bR, aL, aR, b, a, l, r, m));
        planes[meanAt + 4 * planeFloats] = lastMean;
        planes[meanAt + 5 * planeFloats] = signedDeviation(lastMean, meanOfSquares(bL, b, aL, a, b, a, l, m, m));
      }
    }
  }

  /**
   * Reference patch `patch` as the kernel's table. The local covariance at a cell is sum_k w_k (R_k - muR)
   * (D_k - D_centre): no cancellation in single precision. Where the patch's edges replicate a neighbour, its
   * weight joins the replicating neighbour's (the centre's drops out), so the kernel reads the same eight
   * neighbours everywhere.
   */
  private writeSearchTable(patch: number, table: Float32Array): void {
    const integers = new Int32Array(table.buffer, table.byteOffset, table.length);
    const { width } = this;
    const data = this.ref.data;
    const frames = this.ref.frames;
    const start = this.refStarts[patch];
    const planeBytes = this.planeBytes;
    const g = weights;
    for (let band = 0; band < BAND_COUNT; band++) {
      const below = band === 0 ? 0 : band - 1;
      const above = band === BAND_COUNT - 1 ? band : band + 1;
      const row = band * frames + start;
      const rowBelow = below * frames + start;
      const rowAbove = above * frames + start;
      // Slot (row shift + 1) * 3 + column shift + 1 of g: where a neighbour's degraded value is read.
      const sBelow = (below - band + 1) * 3 + 1;
      const sAbove = (above - band + 1) * 3 + 1;
      for (let j = 0; j < width; j++) {
        const left = j === 0 ? 0 : j - 1;
        const right = j === width - 1 ? j : j + 1;
        const bL = data[rowBelow + left], bR = data[rowBelow + right], aL = data[rowAbove + left], aR = data[rowAbove + right];
        const b = data[rowBelow + j], a = data[rowAbove + j], l = data[row + left], r = data[row + right];
        const m = data[row + j];
        const mean = CORNER * (bL + bR + aL + aR) + EDGE * (b + a + l + r) + CENTRE * m;
        const dl = left - j;
        const dr = right - j;
        g.fill(0);
        g[sBelow + dl] += CORNER * (bL - mean);
        g[sBelow + dr] += CORNER * (bR - mean);
        g[sAbove + dl] += CORNER * (aL - mean);
        g[sAbove + dr] += CORNER * (aR - mean);
        g[sBelow] += EDGE * (b - mean);
        g[sAbove] += EDGE * (a - mean);
        g[4 + dl] += EDGE * (l - mean);
        g[4 + dr] += EDGE * (r - mean);
        const at = (REF_CELL_BYTES / 4) * (band * width + j);
        table[at] = g[0];
        table[at + 1] = g[1];
        table[at + 2] = g[2];
        table[at + 3] = g[3];
        table[at + 4] = g[5];
        table[at + 5] = g[6];
        table[at + 6] = g[7];
        table[at + 7] = g[8];
        table[at + 8] = 2 * mean;
        table[at + 9] = mean * mean + C1;
        table[at + 10] = signedDeviation(mean, meanOfSquares(bL, bR, aL, aR, b, a, l, r, m));
        const role = j === 0 ? 0 : j === width - 1 ? 2 : 1;
        integers[at + 11] = (1 + 2 * role) * planeBytes;
      }
    }
  }
}

const weights = new Float64Array(9);

/** The Gaussian-weighted mean of squares of a 3x3 neighbourhood: four corners, four edges, centre. */
function meanOfSquares(c1: number, c2: number, c3: number, c4: number, e1: number, e2: number, e3: number, e4: number, m: number): number {
  return CORNER * (c1 * c1 + c2 * c2 + c3 * c3 + c4 * c4) + EDGE * (e1 * e1 + e2 * e2 + e3 * e3 + e4 * e4) + CENTRE * m * m;
}

/** sign(variance) sqrt(|variance|) of a local mean and mean of squares. */
function signedDeviation(mean: number, meanOfSquares: number): number {
  const variance = meanOfSquares - mean * mean;
  return variance < 0 ? -Math.sqrt(-variance) : Math.sqrt(variance);
}
