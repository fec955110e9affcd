/**
 * Neurogram similarity (NSIM) of two spectrogram patches: SSIM-like intensity and structure terms over a
 * 3x3 Gaussian neighbourhood with replicated edges, averaged per band over the patch's frames.
 */
import { BAND_COUNT } from './gammatone.js';

export const CORNER = 0.0113033910173052;
export const EDGE = 0.0838251475442633;
export const CENTRE = 0.619485845753726;
/** (0.01 L)^2 and (0.03 L)^2 / 2 for an intensity range L of 1. */
export const C1 = 1e-4;
export const C3 = 4.5e-4;

export interface PatchSimilarity {
  /** Mean of the band means. */
  similarity: number;
  bandMeans: Float64Array;
}

/**
 * A patch: `width` frames of a band-major matrix of `frames` columns, from column `start`; columns past the
 * matrix read as 0 (upstream pads a degraded patch that runs off the end with silence).
 */
export interface PatchView {
  data: Float64Array;
  frames: number;
  start: number;
  width: number;
}

/** Patch-sized scratch matrices, reused between calls of one comparison. */
export class NsimWorkspace {
  readonly ref: Float64Array;
  readonly deg: Float64Array;
  readonly product: Float64Array;
  readonly muRef: Float64Array;
  readonly muDeg: Float64Array;
  readonly sqRef: Float64Array;
  readonly sqDeg: Float64Array;
  readonly cross: Float64Array;

  constructor(readonly width: number) {
    const make = () => new Float64Array(BAND_COUNT * width);
    this.ref = make();
    this.deg = make();
    this.product = make();
    this.muRef = make();
    this.muDeg = make();
    this.sqRef = make();
    this.sqDeg = make();
    this.cross = make();
  }
}

export function nsim(reference: PatchView, degraded: PatchView, workspace = new NsimWorkspace(reference.width)): PatchSimilarity {
  const width = reference.width;
  const w = workspace;
  copyPatch(reference, w.ref);
  copyPatch(degraded, w.deg);
  gaussian(w.ref, width, w.muRef);
  gaussian(w.deg, width, w.muDeg);
  square(w.ref, w.product);
  gaussian(w.product, width, w.sqRef);
  square(w.deg, w.product);
  gaussian(w.product, width, w.sqDeg);
  for (let i = 0; i < w.product.length; i++) w.product[i] = w.ref[i] * w.deg[i];
  gaussian(w.product, width, w.cross);

  const bandMeans = new Float64Array(BAND_COUNT);
  let sum = 0;
  for (let band = 0; band < BAND_COUNT; band++) {
    let bandSum = 0;
    for (let i = band * width; i < (band + 1) * width; i++) {
      const muR = w.muRef[i];
      const muD = w.muDeg[i];
      const intensity = (muR * muD * 2 + C1) / (muR * muR + muD * muD + C1);
      const varianceProduct = (w.sqRef[i] - muR * muR) * (w.sqDeg[i] - muD * muD);
      // A variance a rounding error below zero (flat patches) would give NaN; upstream uses C3 alone.
      const structureDenominator = varianceProduct < 0 ? C3 : Math.sqrt(varianceProduct) + C3;
      bandSum += intensity * ((w.cross[i] - muR * muD + C3) / structureDenominator);
    }
    bandMeans[band] = bandSum / width;
    sum += bandMeans[band];
  }
  return { similarity: sum / BAND_COUNT, bandMeans };
}

function copyPatch(view: PatchView, out: Float64Array): void {
  const { data, frames, start, width } = view;
  for (let band = 0; band < BAND_COUNT; band++) {
    for (let j = 0; j < width; j++) {
      const column = start + j;
      out[band * width + j] = column >= 0 && column < frames ? data[band * frames + column] : 0;
    }
  }
}

function square(values: Float64Array, out: Float64Array): void {
  for (let i = 0; i < values.length; i++) out[i] = values[i] * values[i];
}

/** The 3x3 Gaussian over a band-major patch, edges replicated. */
function gaussian(input: Float64Array, width: number, out: Float64Array): void {
  const last = width - 1;
  for (let band = 0; band < BAND_COUNT; band++) {
    const row = band * width;
    const below = (band === 0 ? band : band - 1) * width;
    const above = (band === BAND_COUNT - 1 ? band : band + 1) * width;
    for (let j = 0; j < width; j++) {
      const left = j === 0 ? 0 : j - 1;
      const right = j === last ? last : j + 1;
      const corners = input[below + left] + input[below + right] + input[above + left] + input[above + right];
      const edges = input[below + j] + input[above + j] + input[row + left] + input[row + right];
      out[row + j] = CORNER * corners + EDGE * edges + CENTRE * input[row + j];
    }
  }
}
