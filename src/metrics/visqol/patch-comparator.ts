/**
 * NSIM of the reference patches against degraded patches at every frame offset, as `nsim()` computes it but
 * fast: everything that depends on one side only (local means, signed local standard deviations) is computed
 * once per reference patch and once per degraded column, leaving the cross term per comparison, which runs
 * as WebAssembly SIMD (nsim-offsets.wat), two offsets at a time.
 */
import { BAND_COUNT, type Spectrogram } from './gammatone.js';
import { NSIM_OFFSETS_WASM } from './nsim-offsets-wasm.js';
import { CENTRE, CORNER, EDGE, type PatchSimilarity } from './nsim.js';

/** One side's local statistics, band-major: mean, mean squared, sign(variance) sqrt(|variance|). */
interface LocalStatistics {
  mean: Float64Array;
  meanSquared: Float64Array;
  signedDeviation: Float64Array;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  compare(ext: number, stats: number, plane: number, extFrames: number, first: number, pairs: number, width: number, ref: number, sums: number): void;
}

const PAGE_BYTES = 65_536;
/** f64 values per reference column in the kernel's table: the 3x3 neighbourhood, mean, mean squared, signed deviation. */
const REF_VALUES = 12;
let compiled: WebAssembly.Module | undefined;

export class PatchComparator {
  /** Per reference patch, the kernel's table of its columns (nsim-offsets.wat). */
  private readonly refTables: Float64Array[];
  private readonly kernel: KernelExports;
  private readonly memory: Float64Array;
  private readonly extendedFrames: number;
  /** Byte offsets in the kernel's memory. */
  private readonly planeBytes: number;
  private readonly statsAt: number;
  private readonly refAt: number;
  private readonly sumsAt: number;

  constructor(ref: Spectrogram, refStarts: number[], private readonly width: number, deg: Spectrogram) {
    this.refTables = refStarts.map((start) => referenceTable(ref, start, width));
    // Degraded patches that run off the end read zeros there.
    this.extendedFrames = deg.frames + width - 1;
    // Two offsets per vector: a plane is padded so that the lane past an odd count reads inside it.
    this.planeBytes = 16 * Math.ceil((BAND_COUNT * this.extendedFrames + 2) / 2);
    this.statsAt = this.planeBytes;
    this.refAt = this.statsAt + 9 * this.planeBytes;
    this.sumsAt = this.refAt + 8 * REF_VALUES * BAND_COUNT * width;
    const bytes = this.sumsAt + 16 * BAND_COUNT * Math.ceil(this.extendedFrames / 2);
    compiled ??= new WebAssembly.Module(Buffer.from(NSIM_OFFSETS_WASM, 'base64'));
    this.kernel = new WebAssembly.Instance(compiled).exports as unknown as KernelExports;
    const memory = this.kernel.memory;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
    this.memory = new Float64Array(memory.buffer);
    const extended = this.memory.subarray(0, BAND_COUNT * this.extendedFrames);
    for (let band = 0; band < BAND_COUNT; band++) {
      extended.set(deg.data.subarray(band * deg.frames, (band + 1) * deg.frames), band * this.extendedFrames);
    }
    (['first', 'inner', 'last'] as const).forEach((role, index) => {
      const planes = [0, 1, 2].map((kind) => {
        const at = (this.statsAt + (3 * index + kind) * this.planeBytes) / 8;
        return this.memory.subarray(at, at + BAND_COUNT * this.extendedFrames);
      });
      columnStatistics(extended, this.extendedFrames, role, { mean: planes[0], meanSquared: planes[1], signedDeviation: planes[2] });
    });
  }

  /**
   * Similarities of reference patch `patch` with the degraded patches starting at frames first..last, in that
   * order (written to `out` when given). Each comparison does the same arithmetic in the same order as one
   * comparison alone, so the values do not depend on the range.
   */
  similarities(patch: number, first: number, last: number, out = new Float64Array(Math.max(0, last - first + 1))): Float64Array {
    if (last >= first) this.compare(patch, first, last - first + 1, out, undefined);
    return out;
  }

  detailed(patch: number, offset: number): PatchSimilarity {
    const bandMeans = new Float64Array(BAND_COUNT);
    const similarity = this.compare(patch, offset, 1, new Float64Array(1), bandMeans);
    return { similarity, bandMeans };
  }

  /** Fills totals[0..count) for offsets first..; with one offset, its band means go to `bandMeans`. Returns totals[0]. */
  private compare(patch: number, first: number, count: number, totals: Float64Array, bandMeans: Float64Array | undefined): number {
    const width = this.width;
    const pairs = Math.ceil(count / 2);
    this.memory.set(this.refTables[patch], this.refAt / 8);
    this.kernel.compare(0, this.statsAt, this.planeBytes, this.extendedFrames, first, pairs, width, this.refAt, this.sumsAt);
    const sums = this.memory;
    const sumsAt = this.sumsAt / 8;
    totals.fill(0, 0, count);
    for (let band = 0; band < BAND_COUNT; band++) {
      const row = sumsAt + band * 2 * pairs;
      for (let o = 0; o < count; o++) totals[o] += sums[row + o] / width;
      if (bandMeans) bandMeans[band] = sums[row] / width;
    }
    for (let o = 0; o < count; o++) totals[o] /= BAND_COUNT;
    return totals[0];
  }
}

/** The kernel's table of one reference patch: per band, per column, REF_VALUES values. */
function referenceTable(ref: Spectrogram, start: number, width: number): Float64Array {
  const data = ref.data;
  const stats = patchStatistics(data, ref.frames, start, width);
  const table = new Float64Array(REF_VALUES * BAND_COUNT * width);
  const last = width - 1;
  for (let band = 0; band < BAND_COUNT; band++) {
    const row = band * ref.frames + start;
    const below = (band === 0 ? 0 : band - 1) * ref.frames + start;
    const above = (band === BAND_COUNT - 1 ? band : band + 1) * ref.frames + start;
    for (let j = 0; j < width; j++) {
      const left = j === 0 ? 0 : j - 1;
      const right = j === last ? last : j + 1;
      const i = band * width + j;
      table.set(
        [
          data[below + left], data[below + right], data[above + left], data[above + right],
          data[below + j], data[above + j], data[row + left], data[row + right], data[row + j],
          stats.mean[i], stats.meanSquared[i], stats.signedDeviation[i],
        ],
        REF_VALUES * i,
      );
    }
  }
  return table;
}

function patchStatistics(data: Float64Array, frames: number, start: number, width: number): LocalStatistics {
  const stats = emptyStatistics(BAND_COUNT * width);
  for (let band = 0; band < BAND_COUNT; band++) {
    for (let j = 0; j < width; j++) {
      const left = start + Math.max(0, j - 1);
      const right = start + Math.min(width - 1, j + 1);
      localMoments(data, frames, band, left, start + j, right);
      store(stats, band * width + j, moments[0], moments[1]);
    }
  }
  return stats;
}

/** Local moments at every column as a patch's first column (left neighbour itself), inner, or last column. */
function columnStatistics(data: Float64Array, frames: number, role: 'first' | 'inner' | 'last', stats: LocalStatistics): void {
  for (let band = 0; band < BAND_COUNT; band++) {
    for (let c = 0; c < frames; c++) {
      const left = role === 'first' ? c : Math.max(0, c - 1);
      const right = role === 'last' ? c : Math.min(frames - 1, c + 1);
      localMoments(data, frames, band, left, c, right);
      store(stats, band * frames + c, moments[0], moments[1]);
    }
  }
}

function emptyStatistics(size: number): LocalStatistics {
  return { mean: new Float64Array(size), meanSquared: new Float64Array(size), signedDeviation: new Float64Array(size) };
}

function store(stats: LocalStatistics, i: number, mean: number, meanOfSquares: number): void {
  const variance = meanOfSquares - mean * mean;
  stats.mean[i] = mean;
  stats.meanSquared[i] = mean * mean;
  stats.signedDeviation[i] = variance < 0 ? -Math.sqrt(-variance) : Math.sqrt(variance);
}

const moments = new Float64Array(2);

/** Gaussian-weighted mean and mean of squares around (band, centre), written to `moments`; bands replicated at the edges. */
function localMoments(data: Float64Array, frames: number, band: number, left: number, centre: number, right: number): void {
  const row = band * frames;
  const below = (band === 0 ? 0 : band - 1) * frames;
  const above = (band === BAND_COUNT - 1 ? band : band + 1) * frames;
  const c1 = data[below + left], c2 = data[below + right], c3 = data[above + left], c4 = data[above + right];
  const e1 = data[below + centre], e2 = data[above + centre], e3 = data[row + left], e4 = data[row + right];
  const m = data[row + centre];
  moments[0] = CORNER * (c1 + c2 + c3 + c4) + EDGE * (e1 + e2 + e3 + e4) + CENTRE * m;
  moments[1] = CORNER * (c1 * c1 + c2 * c2 + c3 * c3 + c4 * c4) + EDGE * (e1 * e1 + e2 * e2 + e3 * e3 + e4 * e4) + CENTRE * m * m;
}
