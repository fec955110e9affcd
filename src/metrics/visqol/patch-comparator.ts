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
  /** Per-offset sums of one band, reused. */
  private bandSums = new Float64Array(0);

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
  }

  /**
   * Similarities of reference patch `patch` with the degraded patches starting at frames first..last, in that
   * order (written to `out` when given). The offsets are the innermost loop: each comparison does the same
   * arithmetic in the same order as one comparison alone, so the values do not depend on the range.
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
    const last = width - 1;
    const refData = this.ref.data;
    const refFrames = this.ref.frames;
    const refStart = this.refStarts[patch];
    const ext = this.extended;
    const extFrames = this.extendedFrames;
    const refStats = this.refStatistics[patch];
    if (this.bandSums.length < count) this.bandSums = new Float64Array(count);
    const bandSums = this.bandSums;
    totals.fill(0, 0, count);
    for (let band = 0; band < BAND_COUNT; band++) {
      const belowBand = band === 0 ? 0 : band - 1;
      const aboveBand = band === BAND_COUNT - 1 ? band : band + 1;
      const refRow = band * refFrames + refStart;
      const refBelow = belowBand * refFrames + refStart;
      const refAbove = aboveBand * refFrames + refStart;
      const statsRow = band * width;
      bandSums.fill(0, 0, count);
      for (let j = 0; j < width; j++) {
        const left = j === 0 ? 0 : j - 1;
        const right = j === last ? last : j + 1;
        // The nine reference values of the 3x3 neighbourhood, as (band, column) pairs of the patch.
        const rBelowLeft = refData[refBelow + left], rBelowRight = refData[refBelow + right];
        const rAboveLeft = refData[refAbove + left], rAboveRight = refData[refAbove + right];
        const rBelow = refData[refBelow + j], rAbove = refData[refAbove + j];
        const rLeft = refData[refRow + left], rRight = refData[refRow + right], rCentre = refData[refRow + j];
        const muR = refStats.mean[statsRow + j];
        const meanSquaredR = refStats.meanSquared[statsRow + j];
        const deviationR = refStats.signedDeviation[statsRow + j];
        const degStats = j === 0 ? this.degFirst : j === last ? this.degLast : this.degInner;
        const degMean = degStats.mean;
        const degMeanSquared = degStats.meanSquared;
        const degDeviation = degStats.signedDeviation;
        const dRow = band * extFrames + first;
        const dBelow = belowBand * extFrames + first;
        const dAbove = aboveBand * extFrames + first;
        for (let o = 0; o < count; o++) {
          const corners =
            rBelowLeft * ext[dBelow + o + left] + rBelowRight * ext[dBelow + o + right] + rAboveLeft * ext[dAbove + o + left] + rAboveRight * ext[dAbove + o + right];
          const edges = rBelow * ext[dBelow + o + j] + rAbove * ext[dAbove + o + j] + rLeft * ext[dRow + o + left] + rRight * ext[dRow + o + right];
          const cross = CORNER * corners + EDGE * edges + CENTRE * (rCentre * ext[dRow + o + j]);
          const muD = degMean[dRow + o + j];
          const deviations = deviationR * degDeviation[dRow + o + j];
          const structureDenominator = deviations < 0 ? C3 : deviations + C3;
          bandSums[o] +=
            ((muR * muD * 2 + C1) * (cross - muR * muD + C3)) / ((meanSquaredR + degMeanSquared[dRow + o + j] + C1) * structureDenominator);
        }
      }
      for (let o = 0; o < count; o++) totals[o] += bandSums[o] / width;
      if (bandMeans) bandMeans[band] = bandSums[0] / width;
    }
    for (let o = 0; o < count; o++) totals[o] /= BAND_COUNT;
    return totals[0];
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
