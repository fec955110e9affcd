// Everything earshot says about how one direction of a call sounds, from the reference and the recording:
// the headline mosLqo (with the delay it found), ViSQOL, STOI, segmental SNR, scores over time, and the
// diagnostics that explain a low score (levels, clipping, dropouts). Pure: PCM in, numbers out.
import { resample } from '../util/index.js';
import { clipping, dropouts, requireSpeech, signalLevels } from './levels.js';
import { mosLqo, type MosLqoComponents } from './mos-lqo/index.js';
import { localAlign, realign } from './local-align.js';
import { segmentalSnr } from './seg-snr.js';
import { stoi } from './stoi.js';
import { visqolSpeechAligned } from './visqol/visqol-speech.js';

/** All measures run at 16 kHz: wideband speech, ViSQOL's speech mode and the PESQ-WB scale mosLqo follows. */
export const SCORING_RATE = 16_000;

export interface SpeechQualityOptions {
  /** Length of the windows of `windows`; default 2 s. */
  windowS?: number;
  /** Run ViSQOL (about 0.2 s of CPU per 10 s of speech, most of the scoring time); default true. */
  visqol?: boolean;
  /** Longest delay searched between reference and recording; default 1000 ms. */
  maxDelayMs?: number;
}

export interface SpeechQuality {
  /** Listening quality on the PESQ-WB scale, 1 to 4.64 (mos-lqo/README.md). */
  mosLqo: number;
  /** How late the recording runs against the reference: the mouth-to-ear delay when both share a time line. */
  delayMs: number;
  visqol: { mos: number; nsim: number } | null;
  stoi: number;
  segSnrDb: number;
  /** mosLqo per window of the reference's time line; null where the reference is silent. */
  windows: Array<{ startS: number; mosLqo: number | null }>;
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
  const ref = resample(reference, referenceRate, SCORING_RATE);
  const rec = resample(recording, recordingRate, SCORING_RATE);
  const activity = requireSpeech(ref, SCORING_RATE);
  const headline = mosLqo(ref, rec, SCORING_RATE, { maxDelayMs: options.maxDelayMs, windowS: options.windowS ?? 2 });
  // Per utterance, so that a jitter buffer's delay steps do not read as distortion to the waveform measures.
  const local = localAlign(ref, rec, SCORING_RATE, { globalDelayMs: headline.delayMs, referenceActivity: activity });
  const aligned = realign(ref, rec, SCORING_RATE, local.segments);
  const visqol = options.visqol === false ? null : visqolSpeechAligned(ref, aligned, SCORING_RATE);
  const recordingLevels = signalLevels(aligned, SCORING_RATE);
  return {
    mosLqo: round(headline.mosLqo, 3),
    delayMs: round(headline.delayMs, 1),
    visqol: visqol && { mos: round(visqol.mos, 4), nsim: round(visqol.nsim, 4) },
    stoi: round(stoi(ref, aligned, SCORING_RATE, { referenceActivity: activity }), 4),
    segSnrDb: round(segmentalSnr(ref, aligned, SCORING_RATE, { referenceActivity: activity }).segSnrDb, 2),
    windows: (headline.windows ?? []).map((w) => ({
      startS: w.startS,
      mosLqo: w.mosLqo === null ? null : round(w.mosLqo, 3),
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

function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
