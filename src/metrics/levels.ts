/**
 * Levels and signal diagnostics on mono PCM in [-1, 1]: active speech level, where speech is, RMS and
 * peak, clipping, and zero-filled dropouts.
 *
 * Decibels are 20 log10 of an amplitude relative to 1.0 (dBov in ITU-T G.100.1 / P.56 terms: a
 * full-scale square wave is 0 dB, a full-scale sine -3.01 dB). Silence is -Infinity dB, never NaN.
 *
 * Active speech level follows ITU-T P.56 method B, approximated: envelope by two cascaded one-pole
 * smoothers of |x| with a 0.03 s time constant (run on 0.5 ms block means), 0.2 s hangover, thresholds
 * every 1 dB (P.56 uses 2:1 steps) and a 15.9 dB margin, interpolated linearly in dB between the two
 * thresholds around it.
 */
import { MetricsInputError } from './errors.js';

export const FRAME_SECONDS = 0.02;
const ENVELOPE_TIME_CONSTANT_S = 0.03;
const HANGOVER_S = 0.2;
const ENVELOPE_BLOCK_S = 0.0005;
const MARGIN_DB = 15.9;
/** Thresholds from 0 dB down to this, 1 dB apart. */
const LOWEST_THRESHOLD_DB = 160;
/** A speech frame must stand this far above the noise floor: steady noise never does. */
const ABOVE_FLOOR_DB = 6;
const NOISE_FLOOR_PERCENTILE = 0.1;
const HIGH_PASS_HZ = 200;
/** THRESHOLDS[j] = -j dB as an amplitude. */
const THRESHOLDS = Float64Array.from({ length: LOWEST_THRESHOLD_DB + 1 }, (_, j) => 10 ** (-j / 20));
const LSB = 1 / 32768;
/** Zero-filled gaps shorter than this are ordinary zero crossings, not dropped audio. */
const MIN_DROPOUT_S = 0.01;
const MIN_SPEECH_S = 1;

export interface SpeechActivity {
  /** P.56 active speech level, dB; -Infinity for digital silence. */
  activeLevelDb: number;
  /** P.56 activity factor: the share of the signal counted active (hangover included), 0..1. */
  activityFactor: number;
  /**
   * One flag per whole 20 ms frame: 1 where the frame is speech, i.e. its level is no lower than the
   * P.56 threshold (active level - 15.9 dB) and, measured above 200 Hz, at least 6 dB above the noise
   * floor (the 10th percentile of frame levels). Steady noise alone therefore has no speech frames.
   */
  speechFrames: Uint8Array;
  /** Samples per frame. */
  frameLength: number;
  /** Seconds of speech: speech frames x 20 ms. */
  speechSeconds: number;
}

export interface SpeechSegment {
  startS: number;
  endS: number;
}

export interface SignalLevels {
  rmsDb: number;
  peakDb: number;
  activeLevelDb: number;
  activityFactor: number;
}

export interface ClippingStats {
  /** Share of samples at or within 1 LSB (16-bit) of full scale. */
  clippedRatio: number;
  /** Runs of two or more consecutive clipped samples (a lone full-scale sample is no evidence of clipping). */
  clippedRuns: number;
  /** The longest run of consecutive clipped samples. */
  longestRunSamples: number;
  /**
   * Share of samples within 1 LSB of the signal's own positive or negative peak. Audio clipped and then
   * turned down has flat tops below full scale: this share stays high where clippedRatio reads 0.
   * Natural speech keeps it well under 0.1%.
   */
  plateauRatio: number;
}

export interface DropoutStats {
  /** Seconds of the reference's speech met by (near-)zero samples in the degraded signal. */
  droppedSeconds: number;
  /** droppedSeconds over the reference's speech seconds, 0..1. */
  droppedRatio: number;
  /** Zero runs (of 10 ms or more) that cut into the reference's speech. */
  dropouts: number;
  /** Share of the whole degraded signal inside zero runs of 10 ms or more (digital silence). */
  silenceRatio: number;
}

/** Where speech is, and its P.56 active level. */
export function speechActivity(signal: Float32Array, sampleRate: number): SpeechActivity {
  checkAudio(signal, sampleRate, 'signal');
  const n = signal.length;
  const frameLength = Math.max(1, Math.round(FRAME_SECONDS * sampleRate));
  const frameCount = Math.floor(n / frameLength);
  let sumSquares = 0;
  for (let i = 0; i < n; i++) sumSquares += signal[i] * signal[i];
  if (sumSquares === 0) return { activeLevelDb: -Infinity, activityFactor: 0, speechFrames: new Uint8Array(frameCount), frameLength, speechSeconds: 0 };

  // histogram[j]: samples whose highest threshold reached is -j dB (the last bin: none reached). The held
  // envelope moves slowly, so walking from the previous block's bin beats a logarithm per block.
  const { held, blockLength } = heldEnvelope(signal, sampleRate);
  const histogram = new Float64Array(LOWEST_THRESHOLD_DB + 2);
  let bin = LOWEST_THRESHOLD_DB + 1;
  for (let k = 0; k < held.length; k++) {
    const level = held[k];
    while (bin > 0 && level >= THRESHOLDS[bin - 1]) bin--;
    while (bin <= LOWEST_THRESHOLD_DB && level < THRESHOLDS[bin]) bin++;
    histogram[bin] += Math.min(blockLength, n - k * blockLength);
  }
  const { activeLevelDb, activeCount } = activeLevel(histogram, sumSquares, n);
  const thresholdDb = activeLevelDb - MARGIN_DB;

  // Frame levels, and the same above 200 Hz for the comparison with the noise floor: rumble and pink
  // noise swing by several dB from frame to frame below that, speech hardly lives there.
  const frameDb = new Float64Array(frameCount);
  const highDb = new Float64Array(frameCount);
  const a = 1 / (1 + 2 * Math.PI * (HIGH_PASS_HZ / sampleRate));
  let in1 = 0;
  let out1 = 0;
  let out2 = 0;
  for (let f = 0; f < frameCount; f++) {
    let energy = 0;
    let highEnergy = 0;
    for (let i = f * frameLength; i < (f + 1) * frameLength; i++) {
      const x = signal[i];
      energy += x * x;
      // Two first-order high-pass stages in cascade.
      const stage1 = a * (out1 + x - in1);
      out2 = a * (out2 + stage1 - out1);
      in1 = x;
      out1 = stage1;
      highEnergy += out2 * out2;
    }
    frameDb[f] = 10 * Math.log10(energy / frameLength);
    highDb[f] = 10 * Math.log10(highEnergy / frameLength);
  }
  const floorDb = percentile(highDb, NOISE_FLOOR_PERCENTILE);
  const speechFrames = new Uint8Array(frameCount);
  let speechCount = 0;
  for (let f = 0; f < frameCount; f++) {
    if (frameDb[f] >= thresholdDb && highDb[f] >= floorDb + ABOVE_FLOOR_DB) {
      speechFrames[f] = 1;
      speechCount++;
    }
  }
  return { activeLevelDb, activityFactor: activeCount / n, speechFrames, frameLength, speechSeconds: (speechCount * frameLength) / sampleRate };
}

/** Seconds of active speech: 0 for silence and for noise without speech. */
export function speechPresence(signal: Float32Array, sampleRate: number): number {
  return speechActivity(signal, sampleRate).speechSeconds;
}

/**
 * The reference's utterances: runs of speech frames, joined across pauses shorter than `minGapS`
 * (default 0.2 s).
 */
export function speechSegments(activity: SpeechActivity, sampleRate: number, minGapS = HANGOVER_S): SpeechSegment[] {
  const frameS = activity.frameLength / sampleRate;
  const minGapFrames = Math.round(minGapS / frameS);
  const segments: SpeechSegment[] = [];
  let start = -1;
  let lastSpeech = -1;
  const frames = activity.speechFrames;
  for (let f = 0; f <= frames.length; f++) {
    const speech = f < frames.length && frames[f] === 1;
    if (speech) {
      if (start >= 0 && f - lastSpeech - 1 >= minGapFrames) {
        segments.push({ startS: start * frameS, endS: (lastSpeech + 1) * frameS });
        start = f;
      }
      if (start < 0) start = f;
      lastSpeech = f;
    }
  }
  if (start >= 0) segments.push({ startS: start * frameS, endS: (lastSpeech + 1) * frameS });
  return segments;
}

/**
 * The reference's speech activity, or a MetricsInputError: 'invalid' for samples that are not finite
 * numbers or a bad sample rate, 'no-speech' for silence or steady noise, 'too-short' for less than 1 s of speech.
 */
export function requireSpeech(signal: Float32Array, sampleRate: number, role = 'reference'): SpeechActivity {
  checkAudio(signal, sampleRate, role);
  const activity = speechActivity(signal, sampleRate);
  if (activity.speechSeconds === 0) {
    const what = activity.activeLevelDb === -Infinity ? 'digital silence' : `steady noise at ${activity.activeLevelDb.toFixed(1)} dB`;
    throw new MetricsInputError(`the ${role} has no speech (${what})`, 'no-speech');
  }
  if (activity.speechSeconds < MIN_SPEECH_S) {
    throw new MetricsInputError(`the ${role} has only ${activity.speechSeconds.toFixed(2)} s of speech; at least ${MIN_SPEECH_S} s is needed`, 'too-short');
  }
  return activity;
}

/**
 * The reference's speech activity: `known` when the caller has it, else requireSpeech(). A known activity
 * came from speechActivity() of these samples, which checked them, so they are not checked again.
 */
export function referenceSpeech(reference: Float32Array, sampleRate: number, known?: SpeechActivity): SpeechActivity {
  if (!known) return requireSpeech(reference, sampleRate);
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) throw new MetricsInputError(`sample rate must be a positive number, got ${sampleRate}`, 'invalid');
  return known;
}

/** A MetricsInputError ('invalid') unless the rate is a positive number and every sample is finite. */
export function checkAudio(signal: Float32Array, sampleRate: number, role: string): void {
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) throw new MetricsInputError(`sample rate must be a positive number, got ${sampleRate}`, 'invalid');
  // x - x is 0 for a finite x and NaN otherwise: four branch-free sums, and a search only when one is not 0.
  const n = signal.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += signal[i] - signal[i];
    s1 += signal[i + 1] - signal[i + 1];
    s2 += signal[i + 2] - signal[i + 2];
    s3 += signal[i + 3] - signal[i + 3];
  }
  for (; i < n; i++) s0 += signal[i] - signal[i];
  if (s0 + s1 + s2 + s3 === 0) return;
  const bad = signal.findIndex((sample) => !Number.isFinite(sample));
  throw new MetricsInputError(`the ${role} has a sample that is not a finite number (${signal[bad]} at index ${bad})`, 'invalid');
}

/** RMS, peak and P.56 active level. */
export function signalLevels(signal: Float32Array, sampleRate: number): SignalLevels {
  const activity = speechActivity(signal, sampleRate);
  let sumSquares = 0;
  let peak = 0;
  for (let i = 0; i < signal.length; i++) {
    sumSquares += signal[i] * signal[i];
    peak = Math.max(peak, Math.abs(signal[i]));
  }
  return {
    rmsDb: signal.length ? 10 * Math.log10(sumSquares / signal.length) : -Infinity,
    peakDb: 20 * Math.log10(peak),
    activeLevelDb: activity.activeLevelDb,
    activityFactor: activity.activityFactor,
  };
}

/** Hard clipping: samples at full scale, their runs, and flat tops below full scale. */
export function clipping(signal: Float32Array): ClippingStats {
  const fullScale = 1 - 2 * LSB;
  let maxPositive = 0;
  let minNegative = 0;
  for (let i = 0; i < signal.length; i++) {
    const x = signal[i];
    if (x > maxPositive) maxPositive = x;
    if (x < minNegative) minNegative = x;
  }
  let clipped = 0;
  let runs = 0;
  let longest = 0;
  // Runs of full-scale samples, looked for only when the peaks reach full scale.
  if (maxPositive >= fullScale || minNegative <= -fullScale) {
    let run = 0;
    let runSign = 0;
    for (let i = 0; i < signal.length; i++) {
      const x = signal[i];
      const sign = x >= fullScale ? 1 : x <= -fullScale ? -1 : 0;
      if (sign !== 0) clipped++;
      if (sign !== 0 && sign === runSign) run++;
      else {
        if (run >= 2) runs++;
        run = sign === 0 ? 0 : 1;
        runSign = sign;
      }
      longest = Math.max(longest, run);
    }
    if (run >= 2) runs++;
  }
  let plateau = 0;
  for (let i = 0; i < signal.length; i++) {
    const x = signal[i];
    if ((maxPositive > 0 && x >= maxPositive - LSB) || (minNegative < 0 && x <= minNegative + LSB)) plateau++;
  }
  const n = Math.max(1, signal.length);
  return { clippedRatio: clipped / n, clippedRuns: runs, longestRunSamples: longest, plateauRatio: plateau / n };
}

/**
 * Zero-filled dropouts: runs of 10 ms or more of (near-)zero samples (within 1 LSB) in the degraded
 * signal where the reference has speech and is not itself silent. The degraded signal must be aligned
 * to the reference sample by sample (seg-snr.ts alignExact, local-align.ts realign).
 */
export function dropouts(reference: Float32Array, degraded: Float32Array, sampleRate: number, referenceActivity?: SpeechActivity): DropoutStats {
  checkAudio(degraded, sampleRate, 'degraded signal');
  const activity = referenceSpeech(reference, sampleRate, referenceActivity);
  const minRun = Math.max(1, Math.round(MIN_DROPOUT_S * sampleRate));
  const referenceZero = zeroRuns(reference, minRun);
  const { speechFrames, frameLength } = activity;
  let dropped = 0;
  let count = 0;
  let silent = 0;
  // Only samples inside the degraded signal's zero runs can be dropped; the reference's zero runs (sorted)
  // are walked alongside. A dropout ends where the degraded audio comes back, not where the speech pauses.
  let r = 0;
  for (const [start, end] of zeroRuns(degraded, minRun)) {
    silent += end - start;
    let inDropout = false;
    for (let i = start; i < Math.min(end, reference.length); i++) {
      const f = Math.floor(i / frameLength);
      if (f >= speechFrames.length || speechFrames[f] !== 1) continue;
      while (r < referenceZero.length && referenceZero[r][1] <= i) r++;
      if (r < referenceZero.length && referenceZero[r][0] <= i) continue;
      dropped++;
      if (!inDropout) count++;
      inDropout = true;
    }
  }
  const droppedSeconds = dropped / sampleRate;
  return {
    droppedSeconds,
    droppedRatio: activity.speechSeconds > 0 ? Math.min(1, droppedSeconds / activity.speechSeconds) : 0,
    dropouts: count,
    silenceRatio: degraded.length ? silent / degraded.length : 0,
  };
}

/** [start, end) of the runs of at least `minRun` samples within 1 LSB of zero, in order. */
function zeroRuns(signal: Float32Array, minRun: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let runStart = 0;
  for (let i = 0; i <= signal.length; i++) {
    if (i < signal.length && Math.abs(signal[i]) <= LSB) continue;
    if (i - runStart >= minRun) runs.push([runStart, i]);
    runStart = i + 1;
  }
  return runs;
}

/**
 * P.56's envelope (two cascaded one-pole smoothers of |x|), held for the hangover: the maximum over the
 * current and the previous 0.2 s, so that "held >= c" means "active at threshold c". Evaluated on blocks
 * of 0.5 ms (the mean of |x| over each block drives the smoothers), which changes the level by far less
 * than 0.1 dB and costs an eighth of a per-sample pass at 16 kHz.
 */
function heldEnvelope(signal: Float32Array, sampleRate: number): { held: Float64Array; blockLength: number } {
  const blockLength = Math.max(1, Math.floor(sampleRate * ENVELOPE_BLOCK_S));
  const g = Math.exp(-blockLength / (sampleRate * ENVELOPE_TIME_CONSTANT_S));
  const hangover = Math.round((HANGOVER_S * sampleRate) / blockLength);
  const blocks = Math.ceil(signal.length / blockLength);
  const envelope = new Float64Array(blocks);
  const held = new Float64Array(blocks);
  // Sliding-window maximum: a deque of block indices with decreasing envelope values.
  const deque = new Int32Array(blocks);
  let head = 0;
  let tail = 0;
  let q = 0;
  let p = 0;
  for (let k = 0; k < blocks; k++) {
    const end = Math.min(signal.length, (k + 1) * blockLength);
    let sum = 0;
    for (let i = k * blockLength; i < end; i++) sum += Math.abs(signal[i]);
    q = g * q + (1 - g) * (sum / (end - k * blockLength));
    p = g * p + (1 - g) * q;
    envelope[k] = p;
    while (tail > head && envelope[deque[tail - 1]] <= p) tail--;
    deque[tail++] = k;
    if (deque[head] < k - hangover) head++;
    held[k] = envelope[deque[head]];
  }
  return { held, blockLength };
}

/**
 * The level where the mean power over active samples stands MARGIN_DB above the threshold that made
 * them active. histogram[j] counts samples first active at -j dB; thresholds go down 1 dB at a time.
 */
function activeLevel(histogram: Float64Array, sumSquares: number, length: number): { activeLevelDb: number; activeCount: number } {
  let active = 0;
  let previous: { level: number; difference: number } | undefined;
  for (let j = 0; j <= LOWEST_THRESHOLD_DB; j++) {
    active += histogram[j];
    if (active === 0) continue;
    const level = 10 * Math.log10(sumSquares / active);
    const difference = level + j; // A_j - C_j with C_j = -j dB
    if (difference >= MARGIN_DB) {
      if (!previous) return { activeLevelDb: level, activeCount: active };
      const fraction = (MARGIN_DB - previous.difference) / (difference - previous.difference);
      const activeLevelDb = previous.level + fraction * (level - previous.level);
      return { activeLevelDb, activeCount: sumSquares / 10 ** (activeLevelDb / 10) };
    }
    previous = { level, difference };
  }
  // Quieter than every threshold: count it all as active.
  return { activeLevelDb: 10 * Math.log10(sumSquares / length), activeCount: length };
}

/** The value below which `share` of the finite-or-not values lie (nearest rank). */
function percentile(values: Float64Array, share: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return -Infinity;
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
}
