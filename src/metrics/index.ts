// The metrics layer: pure functions on PCM and packet logs that score a call. Imports only util/.
export { estimateDelay, normalizedCorrelation, type DelayEstimate, type DelayOptions } from './align.js';
export { eModel, burstRatio, mosFromR, findEModelCodec, EMODEL_CODECS, type EModelCodec, type EModelInput, type EModelResult } from './emodel.js';
export { rtpStatistics, type RtpStatistics, type RtpStatisticsOptions, type ReceivedPacket, type SentPacket } from './rtp-stats.js';
export { networkWindows, type NetworkWindow, type NetworkWindowOptions } from './windows.js';
export { visqolSpeech, type VisqolOptions, type VisqolPatch, type VisqolResult } from './visqol/index.js';
export * from './mos-lqo/index.js';
export { scoreSpeech, SCORING_RATE, type SpeechQuality, type SpeechQualityOptions } from './score.js';
export { MetricsInputError, type MetricsInputVerdict } from './errors.js';
export { stoi, type StoiOptions } from './stoi.js';
export { alignExact, segmentalSnr, type SegmentalSnr, type SegmentalSnrOptions } from './seg-snr.js';
export {
  speechActivity,
  speechPresence,
  speechSegments,
  requireSpeech,
  referenceSpeech,
  signalLevels,
  clipping,
  dropouts,
  FRAME_SECONDS,
  type SpeechActivity,
  type SpeechSegment,
  type SignalLevels,
  type ClippingStats,
  type DropoutStats,
} from './levels.js';
export { localAlign, realign, type LocalAlignOptions, type AlignedSegment, type LocalAlignment } from './local-align.js';
export { followSegmentDelays, type SegmentSpan, type SegmentDelay, type FollowOptions } from './local-align.js';
