/**
 * Stage two of mosLqo: from the two loudness patterns to per-frame disturbances and the three named
 * terms (see mos-lqo.ts for what each models and why).
 */
import type { LoudnessFrames } from './analysis.js';
import { bands, HOP_MS } from './loudness.js';

/**
 * Loudness differences smaller than this fraction of the softer of the two are not counted: about
 * the just-noticeable change of loudness (an intensity step of ~1 dB changes loudness by ~5-10%).
 */
const LOUDNESS_DEAD_ZONE = 0.1;
/** The telephone band's loudness is the yardstick for spectral balance in the band-limitation term. */
const MID_BAND_HZ: [number, number] = [300, 3400];

export interface FrameDisturbances {
  frameCount: number;
  /** Reference frame f starts at f * hopMs. */
  hopMs: number;
  speech: Uint8Array;
  /** Loudness (sone) the degraded frame has that the reference lacks: noise, distortion products. */
  added: Float64Array;
  /** Loudness (sone) of reference speech absent from the degraded frame, beyond steady filtering. */
  missing: Float64Array;
  /** The loudness patterns, kept for the band-limitation term over any stretch of frames. */
  frames: LoudnessFrames;
}

/** The three disturbance terms the score is made from. */
export interface MosLqoComponents {
  /** RMS over all frames (speech and pauses) of the added loudness, sone. Noise, codec and clipping artefacts. */
  addedDistortion: number;
  /** RMS over speech frames of the missing loudness, sone. Dropouts, loss bursts, concealment gaps, muting. */
  missingSpeech: number;
  /** Share of the reference's speech loudness lost to a steady spectral deficit against the 300-3400 Hz band, 0..1. Band limits, muffling. */
  bandLimitation: number;
}

export function frameDisturbances(frames: LoudnessFrames): FrameDisturbances {
  const { frameCount, reference, degraded, active } = frames;
  const count = bands.count;
  // A steady filter (band limit, tilt) is the band-limitation term's business: the missing-speech term
  // compares against the reference as that filter's shape would pass it, so only what comes and goes
  // (and any overall loss of level) remains.
  const steadyGain = steadySpectralShape(frames, 0, frameCount).ratios.map((ratio) => Math.min(1, ratio));
  const added = new Float64Array(frameCount);
  const missing = new Float64Array(frameCount);
  for (let f = 0; f < frameCount; f++) {
    let plus = 0;
    let minus = 0;
    for (let b = 0; b < count; b++) {
      const r = reference[f * count + b];
      const d = degraded[f * count + b];
      const width = bands.widthBark[b];
      plus += width * Math.max(0, d - r - LOUDNESS_DEAD_ZONE * Math.min(r, d));
      const filtered = r * steadyGain[b];
      minus += width * Math.max(0, filtered - d - LOUDNESS_DEAD_ZONE * Math.min(filtered, d));
    }
    added[f] = plus;
    missing[f] = minus;
  }
  return { frameCount, hopMs: HOP_MS, speech: active, added, missing, frames };
}

/** The terms over frames [from, to); null when that stretch holds no reference speech. */
export function components(disturbances: FrameDisturbances, from: number, to: number): MosLqoComponents | null {
  const { speech, added, missing } = disturbances;
  let addedSum = 0;
  let missingSum = 0;
  let speechFrames = 0;
  for (let f = from; f < to; f++) {
    addedSum += added[f] ** 2;
    if (speech[f]) {
      missingSum += missing[f] ** 2;
      speechFrames++;
    }
  }
  if (speechFrames === 0) return null;
  return {
    addedDistortion: Math.sqrt(addedSum / (to - from)),
    missingSpeech: Math.sqrt(missingSum / speechFrames),
    bandLimitation: bandLimitation(disturbances.frames, from, to),
  };
}

/** Mean specific loudness per band over the speech frames in [from, to). */
function longTermLoudness(frames: LoudnessFrames, from: number, to: number): { referenceMean: Float64Array; degradedMean: Float64Array } {
  const count = bands.count;
  const referenceMean = new Float64Array(count);
  const degradedMean = new Float64Array(count);
  let n = 0;
  for (let f = from; f < to; f++) {
    if (!frames.active[f]) continue;
    n++;
    for (let b = 0; b < count; b++) {
      referenceMean[b] += frames.reference[f * count + b];
      degradedMean[b] += frames.degraded[f * count + b];
    }
  }
  for (let b = 0; b < count; b++) {
    referenceMean[b] /= Math.max(1, n);
    degradedMean[b] /= Math.max(1, n);
  }
  return { referenceMean, degradedMean };
}

/**
 * Per band, how much of the reference's long-term loudness (speech frames in [from, to)) the degraded
 * signal keeps, relative to what the 300-3400 Hz band keeps: 1 everywhere for a flat channel, whatever
 * its level; near 0 above a low-pass filter's cut-off. All 1 when the telephone band is silent.
 */
function steadySpectralShape(frames: LoudnessFrames, from: number, to: number): { ratios: Float64Array; weights: Float64Array } {
  const { referenceMean, degradedMean } = longTermLoudness(frames, from, to);
  let midReference = 0;
  let midDegraded = 0;
  for (let b = 0; b < bands.count; b++) {
    if (bands.centreHz[b] >= MID_BAND_HZ[0] && bands.centreHz[b] <= MID_BAND_HZ[1]) {
      midReference += referenceMean[b];
      midDegraded += degradedMean[b];
    }
  }
  const midRatio = midReference > 0 ? midDegraded / midReference : 0;
  const ratios = Float64Array.from(referenceMean, (r, b) => (r > 0 && midRatio > 0 ? degradedMean[b] / r / midRatio : 1));
  return { ratios, weights: referenceMean };
}

/**
 * sum_b R_b max(0, 1 - shape_b) / sum_b R_b, with R the reference's long-term loudness and shape_b from
 * steadySpectralShape: the loudness-weighted share of bands that lost more than the telephone band did.
 * A uniform loss (dropouts, a level change) scores 0; removing 4-8 kHz scores the share of loudness there.
 */
function bandLimitation(frames: LoudnessFrames, from: number, to: number): number {
  const { ratios, weights } = steadySpectralShape(frames, from, to);
  let deficit = 0;
  let total = 0;
  for (let b = 0; b < bands.count; b++) {
    deficit += weights[b] * Math.max(0, 1 - ratios[b]);
    total += weights[b];
  }
  return total > 0 ? deficit / total : 0;
}
