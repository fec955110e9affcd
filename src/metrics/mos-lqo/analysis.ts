/**
 * Stage one of mosLqo: from two waveforms to aligned, level-normalised loudness frames.
 * Validates the input, converts to 16 kHz, finds the reference's speech frames, tracks the delay,
 * matches the degraded signal's level to the reference's and computes both loudness patterns.
 */
import { bandPowers, bands, FRAME_SAMPLES, HOP_SAMPLES, specificLoudness } from './loudness.js';
import { trackDelay } from './frame-align.js';
import { MODEL_RATE, resampleTo16k } from './resample-16k.js';
import { MetricsInputError } from '../errors.js';
import { normalizedCorrelation } from '../align.js';


/** Speech the reference must hold (in active frames) for a score to mean anything. */
export const MIN_SPEECH_SECONDS = 1;
/** The level the reference's active speech is assumed to be heard at (dB SPL), as in P.800 listening tests. */
export const LISTENING_LEVEL_DB_SPL = 79;
/** Below this frame power (dB re full-scale mean square) nothing counts as speech. */
const ABSOLUTE_SPEECH_FLOOR_DB = -70;
/** Speech frames lie within this much of the loud (95th-percentile) frames... */
const SPEECH_DYNAMIC_RANGE_DB = 40;
/** ...and this far above the quiet (10th-percentile) floor, which rejects stationary noise. */
const SPEECH_ABOVE_FLOOR_DB = 12;
/** Level matching uses the bands every telephone channel passes. */
const LEVEL_BAND_HZ: [number, number] = [300, 3400];
const DEFAULT_MAX_DELAY_MS = 2000;
/** Per-frame re-alignment candidates around the block delay, samples at 16 kHz (+-5 ms). */
const FRAME_NUDGES = [-80, 80];
/** A nudge must improve the spectral-shape correlation by this much to be taken. */
const MIN_NUDGE_GAIN = 0.01;
const MAX_NUDGE_LEVEL_CHANGE_DB = 3;
/** Band powers are compared as power^0.3, close to loudness's growth. */
const SHAPE_COMPRESSION = 0.3;
/** Frames that already match this well are not nudged (saves time; they could gain little). */
const WELL_ALIGNED_CORRELATION = 0.98;

export interface LoudnessFrames {
  frameCount: number;
  /** Reference frame f starts at sample f * HOP_SAMPLES (16 kHz). */
  active: Uint8Array;
  /** frames x bands specific loudness (sone/Bark), row-major. */
  reference: Float64Array;
  degraded: Float64Array;
  globalDelayMs: number;
  /** Delay applied to each frame, ms. */
  frameDelayMs: Float64Array;
  /** Gain applied to the degraded signal to match the reference's level, dB. */
  levelGainDb: number;
  speechSeconds: number;
}

export interface AnalysisOptions {
  /** Largest delay between the signals that is searched, either way. Default 2000 ms. */
  maxDelayMs?: number;
}

export function analyze(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: AnalysisOptions = {}): LoudnessFrames {
  checkSignal(reference, 'reference');
  checkSignal(degraded, 'degraded');
  let ref16: Float32Array;
  let deg16: Float32Array;
  try {
    ref16 = resampleTo16k(reference, sampleRate);
    deg16 = resampleTo16k(degraded, sampleRate);
  } catch (error) {
    throw new MetricsInputError((error as Error).message, 'invalid');
  }
  const minSamples = MIN_SPEECH_SECONDS * MODEL_RATE;
  if (ref16.length < minSamples) {
    throw new MetricsInputError(`reference is ${(ref16.length / MODEL_RATE).toFixed(2)} s long; at least ${MIN_SPEECH_SECONDS} s of speech is needed`, 'too-short');
  }

  const frameCount = Math.floor((ref16.length - FRAME_SAMPLES) / HOP_SAMPLES) + 1;
  const starts = Int32Array.from({ length: frameCount }, (_, f) => f * HOP_SAMPLES);
  const referencePowers = bandPowers(ref16, starts);
  const { active, activeLevelDb } = detectSpeech(referencePowers, frameCount);
  let activeFrames = 0;
  for (let f = 0; f < frameCount; f++) activeFrames += active[f];
  // Active frames overlap by half: count the hop, not the frame length.
  const speechSeconds = (activeFrames * HOP_SAMPLES) / MODEL_RATE;
  if (activeFrames === 0) throw new MetricsInputError('the reference holds no speech (silence or stationary noise)', 'no-speech');
  if (speechSeconds < MIN_SPEECH_SECONDS) {
    throw new MetricsInputError(`the reference holds ${speechSeconds.toFixed(2)} s of speech; at least ${MIN_SPEECH_SECONDS} s is needed`, 'too-short');
  }

  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  if (!(Number.isFinite(maxDelayMs) && maxDelayMs >= 0)) throw new MetricsInputError(`maxDelayMs must be a non-negative number, got ${maxDelayMs}`, 'invalid');
  const track = trackDelay(ref16, deg16, MODEL_RATE, starts, active, maxDelayMs);
  const degradedStarts = Int32Array.from(starts, (start, f) => start + track.frameDelays[f]);
  const degradedPowers = refineFrameAlignment(deg16, degradedStarts, referencePowers, active);

  const levelGainDb = matchLevel(referencePowers, degradedPowers, active);
  const intensityPerUnitPower = 10 ** ((LISTENING_LEVEL_DB_SPL - activeLevelDb) / 10);
  return {
    frameCount,
    active,
    reference: specificLoudness(referencePowers, intensityPerUnitPower),
    degraded: specificLoudness(degradedPowers, intensityPerUnitPower * 10 ** (levelGainDb / 10)),
    globalDelayMs: track.globalDelayMs,
    frameDelayMs: Float64Array.from(track.frameDelays, (d) => (1000 * d) / MODEL_RATE),
    levelGainDb,
    speechSeconds,
  };
}

/**
 * Speech frames may sit a few ms off their block's delay (time-stretching splices, a jitter buffer's
 * step inside a block). Each speech frame takes whichever of the block's delay and +-FRAME_NUDGE
 * matches the reference frame's spectral shape best (correlation of band powers^0.3, a loudness-like
 * compression, so level does not matter). A silent degraded frame correlates with nothing and stays put,
 * so a nudge cannot hide a dropout. Updates `degradedStarts`; returns the chosen frames' band powers.
 */
function refineFrameAlignment(deg16: Float32Array, degradedStarts: Int32Array, referencePowers: Float64Array, active: Uint8Array): Float64Array {
  const powers = bandPowers(deg16, degradedStarts);
  const count = bands.count;
  const referenceShape = referencePowers.map((p) => p ** SHAPE_COMPRESSION);
  const best = Float64Array.from({ length: active.length }, (_, f) =>
    active[f] ? shapeCorrelation(referenceShape, powers.subarray(f * count, (f + 1) * count).map((p) => p ** SHAPE_COMPRESSION), f * count) : 0,
  );
  const speechFrames = [...active.keys()].filter((f) => active[f] && best[f] < WELL_ALIGNED_CORRELATION);
  for (const nudge of FRAME_NUDGES) {
    const candidates = bandPowers(deg16, Int32Array.from(speechFrames, (f) => degradedStarts[f] + nudge));
    speechFrames.forEach((f, i) => {
      const candidateShape = candidates.subarray(i * count, (i + 1) * count).map((p) => p ** SHAPE_COMPRESSION);
      const correlation = shapeCorrelation(referenceShape, candidateShape, f * count);
      if (correlation > best[f] + MIN_NUDGE_GAIN && similarLevel(powers, candidates, f * count, i * count)) {
        best[f] = correlation;
        degradedStarts[f] += nudge;
        powers.set(candidates.subarray(i * count, (i + 1) * count), f * count);
      }
    });
  }
  return powers;
}

/** Within +-MAX_NUDGE_LEVEL_CHANGE_DB: a nudge that gains much energy would be escaping a dropout. */
function similarLevel(a: Float64Array, b: Float64Array, aOffset: number, bOffset: number): boolean {
  let sumA = 0;
  let sumB = 0;
  for (let i = 0; i < bands.count; i++) {
    sumA += a[aOffset + i];
    sumB += b[bOffset + i];
  }
  return Math.abs(toDb(sumB) - toDb(sumA)) <= MAX_NUDGE_LEVEL_CHANGE_DB;
}

/** Pearson correlation of reference frame `referenceShape[offset..]` and a degraded frame's `shape`. */
function shapeCorrelation(referenceShape: Float64Array, shape: Float64Array, offset: number): number {
  return normalizedCorrelation(referenceShape.subarray(offset, offset + bands.count), shape.subarray(0, bands.count));
}

function checkSignal(signal: Float32Array, name: string): void {
  if (!(signal instanceof Float32Array)) throw new MetricsInputError(`${name} must be a Float32Array`, 'invalid');
  if (signal.length === 0) throw new MetricsInputError(`${name} is empty`, 'too-short');
  for (let i = 0; i < signal.length; i++) {
    if (!Number.isFinite(signal[i])) throw new MetricsInputError(`${name} sample ${i} is ${signal[i]}`, 'invalid');
  }
}

function frameTotals(powers: Float64Array, frameCount: number, firstBand = 0, lastBand = bands.count - 1): Float64Array {
  const totals = new Float64Array(frameCount);
  for (let f = 0; f < frameCount; f++) {
    let sum = 0;
    for (let b = firstBand; b <= lastBand; b++) sum += powers[f * bands.count + b];
    totals[f] = sum;
  }
  return totals;
}

function toDb(power: number): number {
  return power > 0 ? 10 * Math.log10(power) : -Infinity;
}

function percentile(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/** Speech frames of the reference and their mean level (dB re full-scale mean square). */
function detectSpeech(powers: Float64Array, frameCount: number): { active: Uint8Array; activeLevelDb: number } {
  const levels = Float64Array.from(frameTotals(powers, frameCount), toDb);
  const sorted = Float64Array.from(levels).sort();
  const threshold = Math.max(ABSOLUTE_SPEECH_FLOOR_DB, percentile(sorted, 0.95) - SPEECH_DYNAMIC_RANGE_DB, percentile(sorted, 0.1) + SPEECH_ABOVE_FLOOR_DB);
  const active = new Uint8Array(frameCount);
  let sum = 0;
  let count = 0;
  for (let f = 0; f < frameCount; f++) {
    if (levels[f] > threshold) {
      active[f] = 1;
      sum += 10 ** (levels[f] / 10);
      count++;
    }
  }
  return { active, activeLevelDb: count > 0 ? toDb(sum / count) : -Infinity };
}

/**
 * The gain (dB) that brings the degraded signal to the reference's level: the median, over speech
 * frames, of the level difference in the telephone band. The median ignores dropped frames and
 * bursts; 0 dB when most speech frames are silent in the degraded signal.
 */
function matchLevel(referencePowers: Float64Array, degradedPowers: Float64Array, active: Uint8Array): number {
  const frameCount = active.length;
  let firstBand = 0;
  while (bands.centreHz[firstBand] < LEVEL_BAND_HZ[0]) firstBand++;
  let lastBand = bands.count - 1;
  while (bands.centreHz[lastBand] > LEVEL_BAND_HZ[1]) lastBand--;
  const referenceLevels = frameTotals(referencePowers, frameCount, firstBand, lastBand);
  const degradedLevels = frameTotals(degradedPowers, frameCount, firstBand, lastBand);
  const differences: number[] = [];
  for (let f = 0; f < frameCount; f++) {
    if (active[f] && referenceLevels[f] > 0) differences.push(toDb(referenceLevels[f]) - toDb(degradedLevels[f]));
  }
  differences.sort((a, b) => a - b);
  const median = differences[Math.floor(differences.length / 2)];
  return Number.isFinite(median) ? median : 0;
}
