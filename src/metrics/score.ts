// Everything earshot says about how one direction of a call sounds, from the reference and the recording:
// the headline mosLqo (with the delay it found), ViSQOL, STOI, segmental SNR, scores over time, and the
// diagnostics that explain a low score (levels, clipping, dropouts). Pure: PCM in, numbers out.
import { resample } from '../util/index.js';
import { clipping, dropouts, requireSpeech, signalLevels } from './levels.js';
import { mosLqo, type MosLqoComponents } from './mos-lqo/index.js';
import { localAlign, realign, type AlignedSegment } from './local-align.js';
import { segmentalSnr } from './seg-snr.js';
import { stoi } from './stoi.js';
import { visqolSpeechAligned } from './visqol/visqol-speech.js';

/** All measures run at 16 kHz: wideband speech, ViSQOL's speech mode and the PESQ-WB scale mosLqo follows. */
export const SCORING_RATE = 16_000;

const MIN_UNHEARD_TAIL_MS = 20;

export interface SpeechQualityOptions {
  /** Length of the windows of `windows`; default 2 s. */
  windowS?: number;
  /** Run ViSQOL (some 60% of the scoring time: about 55 ms of CPU per 10 s of speech); default true. */
  visqol?: boolean;
  /** Longest delay searched between reference and recording; default 1000 ms. */
  maxDelayMs?: number;
}

export interface SpeechQuality {
  /** Listening quality on the PESQ-WB scale, 1 to 4.64 (mos-lqo/README.md). */
  mosLqo: number;
  /** How late the recording runs against the reference: the mouth-to-ear delay when both share a time line. */
  delayMs: number;
  /**
   * The least and the most delay of the reference's utterances, ms: apart when the delay changed mid-call
   * (a handover, a new network path), which the scores follow. [delayMs, delayMs] when no utterance matched.
   */
  delayRangeMs: [number, number];
  visqol: { mos: number; nsim: number } | null;
  stoi: number;
  segSnrDb: number;
  /** mosLqo per window of the reference's time line, and the window's median delay; null where the reference is silent. */
  windows: Array<{ startS: number; mosLqo: number | null; delayMs: number | null }>;
  /** What lowers mosLqo: added distortion and noise, missing speech, lost bandwidth. */
  components: MosLqoComponents;
  levels: { referenceActiveDb: number; recordingActiveDb: number; recordingPeakDb: number };
  /** Share of the recording's samples at full scale. */
  clippingRatio: number;
  /** Share of the reference's speech met by (near-)zero samples in the recording: zero-filled dropouts. */
  droppedRatio: number;
  speechSeconds: number;
}

/**
 * Scores `recording` against `reference` (mono, any rates). Throws MetricsInputError (verdict 'no-speech',
 * 'too-short' or 'invalid') when the reference cannot be scored; a silent or noise-only recording scores low.
 */
export function scoreSpeech(
  reference: Float32Array,
  referenceRate: number,
  recording: Float32Array,
  recordingRate: number,
  options: SpeechQualityOptions = {},
): SpeechQuality {
  const rec = atScoringRate(recording, recordingRate);
  let ref = atScoringRate(reference, referenceRate);
  let { activity, headline, local } = alignment(ref, rec, options);
  const inFlight = unheardTail(ref.length, rec.length, headline.delayMs, local.segments);
  if (inFlight > 0) {
    ref = ref.subarray(0, ref.length - inFlight);
    ({ activity, headline, local } = alignment(ref, rec, options));
  }
  const aligned = realign(ref, rec, SCORING_RATE, local.segments);
  const matchedDelays = local.segments.filter((segment) => segment.matched).map((segment) => segment.delayMs);
  const visqol = options.visqol === false ? null : visqolSpeechAligned(ref, aligned, SCORING_RATE);
  const recordingLevels = signalLevels(aligned, SCORING_RATE);
  return {
    mosLqo: round(headline.mosLqo, 3),
    delayMs: round(headline.delayMs, 1),
    delayRangeMs: matchedDelays.length > 0 ? [round(Math.min(...matchedDelays), 1), round(Math.max(...matchedDelays), 1)] : [round(headline.delayMs, 1), round(headline.delayMs, 1)],
    visqol: visqol && { mos: round(visqol.mos, 4), nsim: round(visqol.nsim, 4) },
    stoi: round(stoi(ref, aligned, SCORING_RATE, { referenceActivity: activity }), 4),
    segSnrDb: round(segmentalSnr(ref, aligned, SCORING_RATE, { referenceActivity: activity }).segSnrDb, 2),
    windows: (headline.windows ?? []).map((w) => ({
      startS: w.startS,
      mosLqo: w.mosLqo === null ? null : round(w.mosLqo, 3),
      delayMs: w.delayMs === null ? null : round(w.delayMs, 1),
    })),
    components: {
      addedDistortion: round(headline.components.addedDistortion, 3),
      missingSpeech: round(headline.components.missingSpeech, 3),
      bandLimitation: round(headline.components.bandLimitation, 3),
    },
    levels: {
      referenceActiveDb: round(activity.activeLevelDb, 1),
      recordingActiveDb: round(recordingLevels.activeLevelDb, 1),
      recordingPeakDb: round(recordingLevels.peakDb, 1),
    },
    clippingRatio: round(clipping(rec).clippedRatio, 5),
    droppedRatio: round(dropouts(ref, aligned, SCORING_RATE, activity).droppedRatio, 4),
    speechSeconds: round(activity.speechSeconds, 2),
  };
}

function alignment(ref: Float32Array, rec: Float32Array, options: SpeechQualityOptions) {
  const activity = requireSpeech(ref, SCORING_RATE);
  const headline = mosLqo(ref, rec, SCORING_RATE, { maxDelayMs: options.maxDelayMs, windowS: options.windowS ?? 2 });
  // Per utterance, so that a jitter buffer's delay steps do not read as distortion to the waveform measures.
  const local = localAlign(ref, rec, SCORING_RATE, { globalDelayMs: headline.delayMs, referenceActivity: activity });
  return { activity, headline, local };
}

/**
 * Reference samples at the end that cannot be in the recording because the delay grew during the call: a
 * caller that stops the reference where the recording ends less the global delay still leaves the last
 * (end delay - global delay) of it in flight. Those are not scored; a recording that stops earlier still
 * misses the rest.
 */
function unheardTail(referenceLength: number, recordingLength: number, globalDelayMs: number, segments: readonly AlignedSegment[]): number {
  const last = segments.filter((segment) => segment.matched).at(-1);
  if (!last || last.delayMs <= globalDelayMs) return 0;
  const toSamples = (ms: number) => Math.round((ms * SCORING_RATE) / 1000);
  const beyondEnd = referenceLength + toSamples(last.delayMs) - recordingLength;
  const tail = Math.min(beyondEnd, toSamples(last.delayMs - globalDelayMs));
  // Less than a frame is not worth scoring again.
  return tail >= toSamples(MIN_UNHEARD_TAIL_MS) ? tail : 0;
}

/** The signal at 16 kHz: itself when it is at that rate already (nothing here writes to its input). */
function atScoringRate(signal: Float32Array, sampleRate: number): Float32Array {
  return sampleRate === SCORING_RATE ? signal : resample(signal, sampleRate, SCORING_RATE);
}

function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
