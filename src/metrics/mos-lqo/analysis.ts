/**
 * Stage one of mosLqo: from two waveforms to aligned, level-normalised loudness frames.
 * Validates the input, converts to 16 kHz, finds the reference's speech frames, tracks the delay,
 * matches the degraded signal's level to the reference's and computes both loudness patterns.
 */
import { bandPowerMeter, bands, FRAME_SAMPLES, HOP_SAMPLES, specificLoudness } from './loudness.js';
import type { BandPowerMeter } from './band-powers.js';
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
/**
 * Jitter-buffer delay steps tried around the block delay, samples at 16 kHz: whole 20 ms frames, one
 * or two of them (a buffer pauses playout for a frame when it grows, drops one in a pause when it shrinks).
 * Two steps are tried only where one did not already fit well (two steps inside one block are rarer).
 */
const DELAY_STEPS = [-320, 320, -640, 640];
/**
 * A frame votes for a step when it improves the spectral-shape correlation by this much and then fits
 * the reference closely: the step must bring back the reference's own content, not something near it.
 */
const MIN_STEP_GAIN = 0.02;
const MIN_STEP_CORRELATION = 0.9;
/**
 * A step is taken only after this many consecutive speech frames (16 ms hop, so 64 ms) prefer it. A
 * 20 ms zeroed dropout spoils about three frames; a real step persists until the next one.
 */
const STEP_HOLD_FRAMES = 4;

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
  const referencePowers = bandPowerMeter(ref16).powers(starts);
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
  const degradedMeter = bandPowerMeter(deg16);
  const degradedPowers = degradedMeter.powers(degradedStarts);
  const referenceShape = speechShapes(referencePowers, active);
  const alignment: FrameAlignment = {
    degraded: degradedMeter,
    degradedStarts,
    powers: degradedPowers,
    referenceShape,
    active,
    fit: speechFits(degradedPowers, referenceShape, active),
  };
  followDelaySteps(alignment, blockIndices(track.frameDelays));
  refineFrameAlignment(alignment);

  const levelGainDb = matchLevel(referencePowers, degradedPowers, active);
  const intensityPerUnitPower = 10 ** ((LISTENING_LEVEL_DB_SPL - activeLevelDb) / 10);
  return {
    frameCount,
    active,
    reference: specificLoudness(referencePowers, intensityPerUnitPower),
    degraded: specificLoudness(degradedPowers, intensityPerUnitPower * 10 ** (levelGainDb / 10)),
    globalDelayMs: track.globalDelayMs,
    frameDelayMs: Float64Array.from(degradedStarts, (start, f) => (1000 * (start - starts[f])) / MODEL_RATE),
    levelGainDb,
    speechSeconds,
  };
}

/** The degraded frames' alignment, refined in place by followDelaySteps and refineFrameAlignment. */
interface FrameAlignment {
  degraded: BandPowerMeter;
  /** Where each degraded frame starts (16 kHz samples), and its band powers (frames x bands). */
  degradedStarts: Int32Array;
  powers: Float64Array;
  /** speechShapes() of the reference. */
  referenceShape: Float64Array;
  active: Uint8Array;
  /** Each speech frame's shapeCorrelation at its current start (other frames' entries are 0). */
  fit: Float64Array;
}

/**
 * A jitter buffer changes the delay in whole 20 ms steps, anywhere inside a half-second block, so part
 * of the block sits 20 or 40 ms off the block's delay and would count as heavy distortion (PESQ aligns
 * per utterance and would not penalise it so). Each speech frame votes for the step (DELAY_STEPS, or
 * none) that fits the reference's spectral shape clearly best and closely; the frames follow a step only
 * after STEP_HOLD_FRAMES consecutive speech frames vote for it. This hysteresis is what keeps real
 * impairments visible: a 20 ms zeroed dropout spoils fewer frames than the hold, so it cannot be
 * explained away as a shift. The nudge's level guard is not used here: speech's level changes a lot
 * in 20 ms, so correct steps at onsets and offsets move the frame level by 4-12 dB and would be refused.
 * Each run of frames with one block delay (`runs`: the frame index where each begins) starts on that
 * delay.
 */
function followDelaySteps(alignment: FrameAlignment, runs: number[]): void {
  const { degraded, degradedStarts, powers, referenceShape, active, fit } = alignment;
  const count = bands.count;
  const speechFrames = [...active.keys()].filter((f) => active[f]);
  const shape = new Float64Array(count);
  const frameShape = (framePowers: Float64Array, i: number) => shapeOf(framePowers, i * count, shape);
  const baseCorrelation = speechFrames.map((f) => fit[f]);
  // Only frames that fit poorly so far can vote for a step; the rest vote for none (step 0).
  const bestCorrelation = [...baseCorrelation];
  const vote = new Int32Array(speechFrames.length);
  for (const step of DELAY_STEPS) {
    const candidates = speechFrames.map((_, i) => i).filter((i) => bestCorrelation[i] < WELL_ALIGNED_CORRELATION);
    const stepped = degraded.powers(Int32Array.from(candidates, (i) => degradedStarts[speechFrames[i]] + step));
    candidates.forEach((i, j) => {
      const correlation = shapeCorrelation(referenceShape, frameShape(stepped, j), speechFrames[i] * count);
      if (correlation > bestCorrelation[i] && correlation > baseCorrelation[i] + MIN_STEP_GAIN && correlation >= MIN_STEP_CORRELATION) {
        bestCorrelation[i] = correlation;
        vote[i] = step;
      }
    });
  }

  const originalStarts = speechFrames.map((f) => degradedStarts[f]);
  let run = 0;
  let current = 0;
  // Consecutive speech frames, up to this one, voting for the same step other than `current`.
  let streak = 0;
  for (let i = 0; i < speechFrames.length; i++) {
    const frame = speechFrames[i];
    while (run + 1 < runs.length && frame >= runs[run + 1]) {
      run++;
      current = 0;
      streak = 0;
    }
    if (vote[i] === current) streak = 0;
    else streak = streak > 0 && vote[i] === vote[i - 1] ? streak + 1 : 1;
    if (streak >= STEP_HOLD_FRAMES) {
      // The step began with the streak: move its earlier frames too.
      for (let k = i - streak + 1; k < i; k++) degradedStarts[speechFrames[k]] += vote[i] - current;
      current = vote[i];
      streak = 0;
    }
    degradedStarts[frame] += current;
  }
  const moved = speechFrames.filter((f, i) => degradedStarts[f] !== originalStarts[i]);
  const movedPowers = degraded.powers(Int32Array.from(moved, (f) => degradedStarts[f]));
  moved.forEach((f, i) => {
    powers.set(movedPowers.subarray(i * count, (i + 1) * count), f * count);
    fit[f] = shapeCorrelation(referenceShape, frameShape(powers, f), f * count);
  });
}

/** Indices of the frames where the block delay changes (the first frame included). */
function blockIndices(frameDelays: Int32Array): number[] {
  return [...frameDelays.keys()].filter((f) => f === 0 || frameDelays[f] !== frameDelays[f - 1]);
}

/**
 * Speech frames may sit a few ms off their block's delay (time-stretching splices, a jitter buffer's
 * step inside a block). Each speech frame takes whichever of the block's delay and +-FRAME_NUDGE
 * matches the reference frame's spectral shape best (correlation of band powers^0.3, a loudness-like
 * compression, so level does not matter). A silent degraded frame correlates with nothing and stays put,
 * so a nudge cannot hide a dropout.
 */
function refineFrameAlignment(alignment: FrameAlignment): void {
  const { degraded, degradedStarts, powers, referenceShape, active, fit: best } = alignment;
  const count = bands.count;
  const shape = new Float64Array(count);
  const speechFrames = [...active.keys()].filter((f) => active[f] && best[f] < WELL_ALIGNED_CORRELATION);
  for (const nudge of FRAME_NUDGES) {
    const candidates = degraded.powers(Int32Array.from(speechFrames, (f) => degradedStarts[f] + nudge));
    speechFrames.forEach((f, i) => {
      const correlation = shapeCorrelation(referenceShape, shapeOf(candidates, i * count, shape), f * count);
      if (correlation > best[f] + MIN_NUDGE_GAIN && similarLevel(powers, candidates, f * count, i * count)) {
        best[f] = correlation;
        degradedStarts[f] += nudge;
        powers.set(candidates.subarray(i * count, (i + 1) * count), f * count);
      }
    });
  }
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

/** Each speech frame's shapeCorrelation with the reference; 0 for other frames. */
function speechFits(powers: Float64Array, referenceShape: Float64Array, active: Uint8Array): Float64Array {
  const count = bands.count;
  const shape = new Float64Array(count);
  const fits = new Float64Array(active.length);
  for (let f = 0; f < active.length; f++) if (active[f]) fits[f] = shapeCorrelation(referenceShape, shapeOf(powers, f * count, shape), f * count);
  return fits;
}

/** The spectral shapes (band powers^SHAPE_COMPRESSION) of the speech frames; other frames' rows are left 0. */
function speechShapes(powers: Float64Array, active: Uint8Array): Float64Array {
  const count = bands.count;
  const shapes = new Float64Array(powers.length);
  for (let f = 0; f < active.length; f++) if (active[f]) shapeOf(powers, f * count, shapes.subarray(f * count, (f + 1) * count));
  return shapes;
}

/**
 * The spectral shape of the frame whose band powers start at powers[offset], written to `out`.
 * exp(c log p) is p^c within an ulp or two, at a third of Math.pow's cost; 0 stays 0.
 */
function shapeOf(powers: Float64Array, offset: number, out: Float64Array): Float64Array {
  for (let b = 0; b < bands.count; b++) out[b] = Math.exp(SHAPE_COMPRESSION * Math.log(powers[offset + b]));
  return out;
}

/** Pearson correlation of reference frame `referenceShape[offset..]` and a degraded frame's `shape`. */
function shapeCorrelation(referenceShape: Float64Array, shape: Float64Array, offset: number): number {
  return normalizedCorrelation(referenceShape.subarray(offset, offset + bands.count), shape.subarray(0, bands.count));
}

function checkSignal(signal: Float32Array, name: string): void {
  if (!(signal instanceof Float32Array)) throw new MetricsInputError(`${name} must be a Float32Array`, 'invalid');
  if (signal.length === 0) throw new MetricsInputError(`${name} is empty`, 'too-short');
  for (let i = 0; i < signal.length; i++) {
    // v - v is 0 for every finite v and NaN for NaN and +-Infinity (cheaper than Number.isFinite here).
    const value = signal[i];
    if (value - value !== 0) throw new MetricsInputError(`${name} sample ${i} is ${value}`, 'invalid');
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
