/**
 * NSIM of the reference patches against degraded patches at every frame offset, as `nsim()` computes it but
 * fast: everything that depends on one side only (local means, signed local standard deviations) is computed
 * once per reference patch and once per degraded column, leaving the cross term per comparison.
 */
import { BAND_COUNT, type Spectrogram } from './gammatone.js';
import { C1, C3, CENTRE, CORNER, EDGE, type PatchSimilarity } from './nsim.js';

/** One side's local statistics, band-major: mean, mean squared, sign(variance) sqrt(|variance|). */
interface LocalStatistics {
  mean: Float64Array;
  meanSquared: Float64Array;
  signedDeviation: Float64Array;
}

export class PatchComparator {
  private readonly refStatistics: LocalStatistics[];
  /** Degraded statistics per column of the zero-extended spectrogram, for a patch's first, inner and last column. */
  private readonly degFirst: LocalStatistics;
  private readonly degInner: LocalStatistics;
  private readonly degLast: LocalStatistics;
  private readonly extended: Float64Array;
  private readonly extendedFrames: number;
  private readonly product: Float64Array;

  constructor(
    private readonly ref: Spectrogram,
    private readonly refStarts: number[],
    private readonly width: number,
    deg: Spectrogram,
  ) {
    this.refStatistics = refStarts.map((start) => patchStatistics(ref.data, ref.frames, start, width));
    // Degraded patches that run off the end read zeros there.
    this.extendedFrames = deg.frames + width - 1;
    this.extended = new Float64Array(BAND_COUNT * this.extendedFrames);
    for (let band = 0; band < BAND_COUNT; band++) {
      this.extended.set(deg.data.subarray(band * deg.frames, (band + 1) * deg.frames), band * this.extendedFrames);
    }
    this.degFirst = columnStatistics(this.extended, this.extendedFrames, 'first');
    this.degInner = columnStatistics(this.extended, this.extendedFrames, 'inner');
    this.degLast = columnStatistics(this.extended, this.extendedFrames, 'last');
    this.product = new Float64Array(BAND_COUNT * width);
  }

  /** Similarity of reference patch `patch` with the degraded patch starting at frame `offset`. */
  similarity(patch: number, offset: number): number {
    return this.compare(patch, offset, undefined);
  }

  detailed(patch: number, offset: number): PatchSimilarity {
    const bandMeans = new Float64Array(BAND_COUNT);
    return { similarity: this.compare(patch, offset, bandMeans), bandMeans };
  }

  private compare(patch: number, offset: number, bandMeans: Float64Array | undefined): number {
    const width = this.width;
    const last = width - 1;
    const refData = this.ref.data;
    const refFrames = this.ref.frames;
    const refStart = this.refStarts[patch];
    const extended = this.extended;
    const extendedFrames = this.extendedFrames;
    const product = this.product;
    for (let band = 0; band < BAND_COUNT; band++) {
      const r = band * refFrames + refStart;
      const d = band * extendedFrames + offset;
      const p = band * width;
      for (let j = 0; j < width; j++) product[p + j] = refData[r + j] * extended[d + j];
    }
    const refStats = this.refStatistics[patch];
    let total = 0;
    for (let band = 0; band < BAND_COUNT; band++) {
      const row = band * width;
      const below = (band === 0 ? 0 : band - 1) * width;
      const above = (band === BAND_COUNT - 1 ? band : band + 1) * width;
      const degRow = band * extendedFrames + offset;
      let bandSum = 0;
      for (let j = 0; j < width; j++) {
        const left = j === 0 ? 0 : j - 1;
        const right = j === last ? last : j + 1;
        const corners = product[below + left] + product[below + right] + product[above + left] + product[above + right];
        const edges = product[below + j] + product[above + j] + product[row + left] + product[row + right];
        const cross = CORNER * corners + EDGE * edges + CENTRE * product[row + j];
        const degStats = j === 0 ? this.degFirst : j === last ? this.degLast : this.degInner;
        const muR = refStats.mean[row + j];
        const muD = degStats.mean[degRow + j];
        const deviations = refStats.signedDeviation[row + j] * degStats.signedDeviation[degRow + j];
        const structureDenominator = deviations < 0 ? C3 : deviations + C3;
        bandSum +=
          ((muR * muD * 2 + C1) * (cross - muR * muD + C3)) /
          ((refStats.meanSquared[row + j] + degStats.meanSquared[degRow + j] + C1) * structureDenominator);
      }
      if (bandMeans) bandMeans[band] = bandSum / width;
      total += bandSum / width;
    }
    return total / BAND_COUNT;
  }
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
function columnStatistics(data: Float64Array, frames: number, role: 'first' | 'inner' | 'last'): LocalStatistics {
  const stats = emptyStatistics(BAND_COUNT * frames);
  for (let band = 0; band < BAND_COUNT; band++) {
    for (let c = 0; c < frames; c++) {
      const left = role === 'first' ? c : Math.max(0, c - 1);
      const right = role === 'last' ? c : Math.min(frames - 1, c + 1);
      localMoments(data, frames, band, left, c, right);
      store(stats, band * frames + c, moments[0], moments[1]);
    }
  }
  return stats;
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
