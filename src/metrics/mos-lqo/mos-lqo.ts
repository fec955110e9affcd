/**
 * mosLqo: earshot's full-reference listening-quality score, 1 to 5, on the scale of wideband PESQ
 * (ITU-T P.862.2), built from public auditory-modelling knowledge. No PESQ code or text was used.
 *
 * Method (each stage in its own file):
 * 1. Input (analysis.ts): both signals converted to 16 kHz (resample-16k.ts); the reference's speech
 *    frames are those within 40 dB of its loud frames and 12 dB above its quiet floor, so stationary
 *    noise is not speech. Less than 1 s of speech is refused (MetricsInputError, verdict 'no-speech' or 'too-short').
 * 2. Alignment (frame-align.ts, analysis.ts): a global delay by FFT cross-correlation, each utterance's
 *    delay followed along the call (steps of up to +-600 ms between utterances: a handover, a new network
 *    path), one delay per 0.5 s block within +-80 ms of its utterances' (clock drift, time-stretching),
 *    then whole 20/40 ms steps inside a block
 *    (a jitter buffer pausing or dropping a frame), taken only when 4 speech frames in a row (64 ms) fit the
 *    step clearly better, so a 20 ms dropout is not explained away; then each speech frame may move +-5 ms if
 *    that fits the reference's spectral shape clearly better without a large level change.
 * 3. Level (analysis.ts): the degraded signal gets the median over speech frames of the 300-3400 Hz
 *    level difference, so gain changes are not impairments and dropouts do not skew the match. The
 *    reference's active speech is heard at 79 dB SPL (the usual listening-test level).
 * 4. Auditory representation (loudness.ts): 32 ms Hann frames every 16 ms, 41 half-Bark bands from 100 Hz
 *    to 8 kHz, Terhardt's threshold in quiet, Zwicker's specific loudness (exponent 0.23): equal steps in
 *    this domain are roughly equally audible, and sounds below threshold count for nothing.
 * 5. Disturbances (disturbance.ts), with a 10% dead zone around the softer loudness (the loudness JND):
 *    - addedDistortion: loudness the degraded frame has and the reference lacks, summed over bands
 *      (total loudness of the intrusion), RMS over ALL frames: noise in pauses is heard as much as in
 *      speech; codec noise, clipping harmonics and concealment artefacts add loudness too.
 *    - missingSpeech: reference loudness absent from the degraded frame, RMS over speech frames. It is
 *      measured against the reference as the channel's steady frequency response would pass it, so it
 *      holds what comes and goes: zeroed frames, loss bursts, poor concealment, muting. The RMS (an L2
 *      norm over time) weights the worst frames more than a mean: 3% zeroed frames already cost ~1.6 MOS.
 *    - bandLimitation: the loudness-weighted share of bands whose long-term loudness fell more than the
 *      telephone band's (0..1): a narrowband channel in a wideband call, low-pass filters, muffling.
 *      A voice with much 4-8 kHz energy loses more, as in PESQ-WB.
 * 6. Mapping: Q = wAdded * addedDistortion + wMissing * missingSpeech + wBand * bandLimitation;
 *    mosLqo = 1 + (MAX - 1) / (1 + Q^gamma). Monotone (more disturbance never scores higher), MAX for
 *    no disturbance, 1 as Q grows. MAX = 4.644 is PESQ-WB's score for identical signals.
 *
 * Derivation of the constants: the dead zone (0.1 of 0/0.05/0.1/0.2), the norms (L2 over time for both
 * terms, of L1/L1.5/L2/L4), the silence weight (1) and the +-5 ms frame nudge were chosen among a few
 * physically sensible values by leave-one-voice-out cross-validation on the calibration set (3 voices x 25
 * conditions, ../shared/data/calibration). The four mapping parameters were then fitted by least squares
 * against PESQ-WB (bench/calibrate-mos-lqo.ts; node dist/bench/calibrate-mos-lqo.js): in-sample Pearson
 * 0.977 (Spearman 0.973, RMSE 0.24 MOS); leave-one-voice-out Pearson 0.970, Spearman 0.966, RMSE 0.28.
 * Held-out voices (bench/heldout-mos-lqo.ts: espeak-ng en/fr/es, other Asterisk en prompts, conditions
 * remade with sox/ffmpeg): Spearman 0.979 of the per-condition means against the calibration set's mean
 * PESQ-WB over 19 conditions; loss, noise, bitrate, band-limit and warp series all fall monotonically.
 * Known weak spots: hard clipping of loud synthetic speech (~0.3-0.6 too high), sox tempo of synthetic
 * speech (~0.7 too low), and 10% zeroed frames on a voice with a strong 4-8 kHz band (~0.6 too high).
 */
import { analyze, type AnalysisOptions } from './analysis.js';
import { MetricsInputError } from '../errors.js';
import { components, frameDisturbances, type FrameDisturbances, type MosLqoComponents } from './disturbance.js';

export type { MosLqoComponents } from './disturbance.js';

/** The score for identical signals (PESQ-WB's ceiling). */
export const MOS_LQO_MAX = 4.644;

export interface MosLqoParameters {
  addedWeight: number;
  missingWeight: number;
  bandWeight: number;
  exponent: number;
}

/** Fitted on the calibration set by bench/calibrate-mos-lqo.ts (all 75 pairs). */
export const MOS_LQO_PARAMETERS: Readonly<MosLqoParameters> = {
  addedWeight: 0.655,
  missingWeight: 0.575,
  bandWeight: 4.86,
  exponent: 1.820,
};

export interface MosLqoOptions extends AnalysisOptions {
  /** Include per-frame disturbances (for plots and diagnosis). Default false. */
  perFrame?: boolean;
  /** Also score consecutive windows of this many seconds (as mosLqoWindows, from the same analysis). */
  windowS?: number;
}

export interface MosLqoFrames {
  /** Start of each 32 ms reference frame, s (frames every 16 ms). */
  startS: Float64Array;
  /** Whether the reference frame holds speech. */
  speech: Uint8Array;
  added: Float64Array;
  missing: Float64Array;
  /** Delay the degraded frame was taken at, ms. */
  delayMs: Float64Array;
}

export interface MosLqoResult {
  /** 1 (bad) to 4.644 (no audible difference), on the PESQ-WB scale. */
  mosLqo: number;
  /** Global delay of the degraded signal against the reference, ms (positive: later). */
  delayMs: number;
  /** Gain applied to the degraded signal to match the reference's level, dB. */
  levelGainDb: number;
  /** Reference speech that was scored, s. */
  speechSeconds: number;
  components: MosLqoComponents;
  perFrame?: MosLqoFrames;
  /** With options.windowS. */
  windows?: MosLqoWindow[];
}

export interface MosLqoWindow {
  startS: number;
  durationS: number;
  /** null when the window holds no reference speech (nothing to judge). */
  mosLqo: number | null;
  components: MosLqoComponents | null;
  /** Median delay of the window's speech frames, ms: the delay over time when it changes mid-call. null without speech. */
  delayMs: number | null;
}

export interface MosLqoWindowOptions extends AnalysisOptions {
  /** Window length, s. Default 2. */
  windowS?: number;
}

/** The disturbance terms mapped to the 1..MAX scale. */
export function componentsToMos(terms: MosLqoComponents, parameters: MosLqoParameters = MOS_LQO_PARAMETERS): number {
  const q = parameters.addedWeight * terms.addedDistortion + parameters.missingWeight * terms.missingSpeech + parameters.bandWeight * terms.bandLimitation;
  return 1 + (MOS_LQO_MAX - 1) / (1 + q ** parameters.exponent);
}

/**
 * Scores `degraded` against `reference` (mono, same rate, 8-48 kHz). Throws MetricsInputError when the
 * reference holds less than 1 s of speech ('no-speech', 'too-short') or the input is malformed.
 */
export function mosLqo(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: MosLqoOptions = {}): MosLqoResult {
  const disturbances = disturbancesOf(reference, degraded, sampleRate, options);
  const { frames } = disturbances;
  const terms = components(disturbances, 0, disturbances.frameCount);
  if (terms === null) throw new MetricsInputError('the reference holds no speech', 'no-speech');
  const result: MosLqoResult = {
    mosLqo: componentsToMos(terms),
    delayMs: frames.globalDelayMs,
    levelGainDb: frames.levelGainDb,
    speechSeconds: frames.speechSeconds,
    components: terms,
  };
  if (options.perFrame) {
    result.perFrame = {
      startS: Float64Array.from({ length: disturbances.frameCount }, (_, f) => (f * disturbances.hopMs) / 1000),
      speech: disturbances.speech,
      added: disturbances.added,
      missing: disturbances.missing,
      delayMs: frames.frameDelayMs,
    };
  }
  if (options.windowS !== undefined) result.windows = windowsOf(disturbances, options.windowS);
  return result;
}

/**
 * Scores over time: consecutive windows of `windowS` seconds (the last one may be shorter, but at least
 * half a window). Windows without reference speech have `mosLqo: null`. The whole reference must still
 * hold 1 s of speech (alignment and level matching use all of it).
 */
export function mosLqoWindows(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: MosLqoWindowOptions = {}): MosLqoWindow[] {
  return windowsOf(disturbancesOf(reference, degraded, sampleRate, options), options.windowS ?? 2);
}

function checkWindow(windowS: number): void {
  if (!(Number.isFinite(windowS) && windowS >= 0.5)) throw new MetricsInputError(`windowS must be at least 0.5 s, got ${windowS}`, 'invalid');
}

function windowsOf(disturbances: FrameDisturbances, windowS: number): MosLqoWindow[] {
  checkWindow(windowS);
  const framesPerWindow = Math.round((windowS * 1000) / disturbances.hopMs);
  const windows: MosLqoWindow[] = [];
  for (let from = 0; from < disturbances.frameCount; from += framesPerWindow) {
    const to = Math.min(disturbances.frameCount, from + framesPerWindow);
    if (to - from < framesPerWindow / 2 && windows.length > 0) break;
    const terms = components(disturbances, from, to);
    windows.push({
      startS: (from * disturbances.hopMs) / 1000,
      durationS: ((to - from) * disturbances.hopMs) / 1000,
      mosLqo: terms === null ? null : componentsToMos(terms),
      components: terms,
      delayMs: medianSpeechDelay(disturbances, from, to),
    });
  }
  return windows;
}

function medianSpeechDelay(disturbances: FrameDisturbances, from: number, to: number): number | null {
  const delays: number[] = [];
  for (let f = from; f < to; f++) if (disturbances.speech[f]) delays.push(disturbances.frames.frameDelayMs[f]);
  if (delays.length === 0) return null;
  delays.sort((a, b) => a - b);
  return delays[Math.floor(delays.length / 2)];
}

/** The per-frame disturbances behind a score (what the calibration script fits on). */
export function disturbancesOf(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: AnalysisOptions = {}): FrameDisturbances {
  return frameDisturbances(analyze(reference, degraded, sampleRate, options));
}
