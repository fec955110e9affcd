// The scores of one direction of a call: what the receiver recorded against what the sender played (on the
// sender's time line, so the delay found is the mouth-to-ear delay), the RTP statistics of the received
// stream against the sender's log, and the E-model from both.
import { downmix, readAudio, type PacketLogEntry, type SentPacketEntry } from '../media/index.js';
import { resample } from '../util/index.js';
import {
  MetricsInputError,
  estimateDelay,
  eModel,
  findEModelCodec,
  networkWindows,
  rtpStatistics,
  scoreSpeech,
  type NetworkWindow,
  type RtpStatistics,
  type SpeechQuality,
} from '../metrics/index.js';
import type { ReferenceAudio } from './call-options.js';

const FRAME_MS = 20;

/**
 * What the sending leg knows of its stream. For a far end that is not earshot, only the reference it plays
 * (`earshot call --far-reference`): no start time (the delay found then also holds the difference between the
 * two ends' start of media) and no log (losses are judged by sequence numbers alone).
 */
export interface SentStream {
  reference: ReferenceAudio;
  /** Epoch ms of the first packet of speech. */
  startedAt?: number;
  /** Every packet sent: silence until the peer was heard, then the speech. */
  log: readonly SentPacketEntry[];
  /** Frames of speech among them (the last ones); unknown (0) for a far end that is not earshot. */
  speechFrames: number;
}

/** What the receiving leg knows of the same stream. */
export interface ReceivedStream {
  recordingPath?: string;
  /** Epoch ms of the recording's first sample, and of the moment the receiver stopped listening. */
  recordingStartedAt?: number;
  stoppedAt?: number;
  log: readonly PacketLogEntry[];
  codec: { name: string; clockRate: number };
  /** For the E-model when the recording cannot tell the delay: RTT and jitter-buffer delay. */
  rttMs?: number;
  meanBufferDelayMs?: number;
}

export type QualityVerdict = SpeechQuality | { verdict: 'no-speech' | 'too-short' | 'invalid' | 'not-recorded'; reason: string };

export interface DirectionScores {
  quality: QualityVerdict;
  emodel: { r: number; mos: number; band: string; scale: string; mouthToEarDelayMs: number; delayFrom: 'recording' | 'estimate'; codecSource: string };
  network: Pick<
    RtpStatistics,
    'expected' | 'received' | 'lost' | 'lossPercent' | 'duplicated' | 'reordered' | 'late' | 'dropped' | 'jitterMs' | 'burstDensity' | 'gapDensity' | 'meanBurstLengthPackets' | 'burstRatio' | 'maxConsecutiveLost'
  >;
  networkWindows: Array<Pick<NetworkWindow, 'startS' | 'lossPercent' | 'jitterMs' | 'late' | 'received'>>;
}

export interface ScoreOptions {
  visqol?: boolean;
  windowS?: number;
}

export async function scoreDirection(sent: SentStream | undefined, received: ReceivedStream, options: ScoreOptions = {}): Promise<DirectionScores> {
  const { clockRate } = received.codec;
  const sentLog = sent && heardBeforeStop(sent.log, received);
  const stats = rtpStatistics(received.log, { clockRate, sent: sentLog });
  const quality = await recordingQuality(sent, received, options);
  // The recording's delay is the mouth-to-ear delay only when the sender's start is known (earshot at both ends).
  // A negative delay is a misalignment, not a measurement: the estimate below is used then.
  const measuredDelay = 'mosLqo' in quality && sent?.startedAt !== undefined && quality.delayMs >= 0 ? quality.delayMs : undefined;
  // Without a recording on the sender's time line: half the RTT, the jitter buffer, one frame of packetization.
  const mouthToEarDelayMs = measuredDelay ?? (received.rttMs ?? 0) / 2 + (received.meanBufferDelayMs ?? 0) + FRAME_MS;
  const codec = findEModelCodec(received.codec.name);
  if (!codec) throw new Error(`no E-model values for codec ${received.codec.name}`);
  const model = eModel({
    codec,
    lossPercent: stats.lossPercent,
    burstRatio: stats.burstRatio,
    jitterBufferDiscardPercent: stats.discardPercent,
    mouthToEarDelayMs,
  });
  return {
    quality,
    emodel: {
      r: round(model.r, 2),
      mos: round(model.mos, 3),
      band: model.band,
      scale: model.scale,
      mouthToEarDelayMs: round(mouthToEarDelayMs, 1),
      delayFrom: measuredDelay === undefined ? 'estimate' : 'recording',
      codecSource: model.codecSource,
    },
    network: {
      expected: stats.expected,
      received: stats.received,
      lost: stats.lost,
      lossPercent: round(stats.lossPercent, 3),
      duplicated: stats.duplicated,
      reordered: stats.reordered,
      late: stats.late,
      dropped: stats.dropped,
      jitterMs: round(stats.jitterMs, 3),
      burstDensity: round(stats.burstDensity, 4),
      gapDensity: round(stats.gapDensity, 4),
      meanBurstLengthPackets: round(stats.meanBurstLengthPackets, 2),
      burstRatio: round(stats.burstRatio, 3),
      maxConsecutiveLost: stats.maxConsecutiveLost,
    },
    networkWindows: networkWindows(received.log, { clockRate, windowS: options.windowS ?? 2, sent: sentLog }).map((w) => ({
      startS: w.startS,
      lossPercent: round(w.lossPercent, 2),
      jitterMs: round(w.jitterMs, 3),
      late: w.late,
      received: w.received,
    })),
  };
}

async function recordingQuality(sent: SentStream | undefined, received: ReceivedStream, options: ScoreOptions): Promise<QualityVerdict> {
  if (!received.recordingPath) return { verdict: 'not-recorded', reason: 'the receiving side kept no recording' };
  if (!sent || sent.reference.samples.length === 0) return { verdict: 'not-recorded', reason: 'what the sender played is unknown' };
  const audio = await readAudio(received.recordingPath);
  const recording = onSenderTimeline(downmix(audio.samples), audio.sampleRate, sent.startedAt, received.recordingStartedAt);
  const speech = sent.log.slice(sent.log.length - sent.speechFrames);
  const played =
    sent.speechFrames > 0
      ? playedFromLog(sent.reference, speech, received.codec.clockRate)
      : playedSignal(sent.reference, Math.ceil((recording.length / audio.sampleRate) * (1000 / FRAME_MS)));
  try {
    // The audio still on its way, or in the jitter buffer, when the receiver stopped was never heard: score
    // only what had time to reach the recording.
    const { delayMs } = estimateDelay(resample(played, sent.reference.sampleRate, audio.sampleRate), recording, audio.sampleRate);
    const heardS = Math.max(0, recording.length / audio.sampleRate - Math.max(0, delayMs) / 1000 - FRAME_MS / 1000);
    const heard = played.subarray(0, Math.min(played.length, Math.round(heardS * sent.reference.sampleRate)));
    return scoreSpeech(heard, sent.reference.sampleRate, recording, audio.sampleRate, options);
  } catch (error) {
    if (error instanceof MetricsInputError && error.verdict) return { verdict: error.verdict, reason: error.message };
    throw error;
  }
}

/**
 * The sender's log without the packets the receiver could not have had: those that would have arrived (even
 * with the longest transit seen) before its end of the call was connected, and those sent later than its stop
 * minus that transit. Otherwise packets sent while the peer finished its handshake, or in flight at hang-up,
 * would count as network loss.
 */
function heardBeforeStop(sent: readonly SentPacketEntry[], received: ReceivedStream): SentPacketEntry[] | undefined {
  if (sent.length === 0) return undefined;
  const sentAt = new Map(sent.map((entry) => [entry.seq, entry.sentAtMs]));
  let longestTransitMs = 0;
  for (const entry of received.log) {
    const departed = sentAt.get(entry.seq);
    if (departed !== undefined) longestTransitMs = Math.max(longestTransitMs, entry.arrivalMs - departed);
  }
  const from = (received.recordingStartedAt ?? -Infinity) - longestTransitMs;
  const until = (received.stoppedAt ?? Infinity) - longestTransitMs;
  return sent.filter((entry) => entry.sentAtMs >= from && entry.sentAtMs <= until);
}

/**
 * What the sender played: its reference looped in whole 20 ms frames (the last frame padded with silence, as
 * the sender encodes it), for as many frames as it sent.
 */
export function playedSignal(reference: ReferenceAudio, framesSent: number): Float32Array {
  const frame = (reference.sampleRate * FRAME_MS) / 1000;
  const period = Math.ceil(reference.samples.length / frame) * frame;
  const out = new Float32Array(Math.round(framesSent * frame));
  for (let start = 0; start < out.length; start += period) out.set(reference.samples.subarray(0, Math.min(reference.samples.length, out.length - start)), start);
  return out;
}

/**
 * What the sender played, from its log: each packet's reference frame placed at its RTP timestamp, so that a
 * hold (timestamps jump), DTMF tones and muted frames (silence) sit where a listener heard them.
 */
export function playedFromLog(reference: ReferenceAudio, speech: readonly SentPacketEntry[], clockRate: number): Float32Array {
  if (speech.length === 0) return new Float32Array(0);
  const frame = (reference.sampleRate * FRAME_MS) / 1000;
  const first = speech[0]!.timestamp;
  const position = (timestamp: number) => Math.round((((timestamp - first) >>> 0) / clockRate) * reference.sampleRate);
  const out = new Float32Array(position(speech[speech.length - 1]!.timestamp) + frame);
  for (const entry of speech) {
    if (entry.frame === undefined) continue;
    const start = entry.frame * frame;
    out.set(reference.samples.subarray(start, Math.min(start + frame, reference.samples.length)), position(entry.timestamp));
  }
  return out;
}

/** The recording moved onto the sender's time line: silence before it started, or its head cut if it began first. */
export function onSenderTimeline(recording: Float32Array, rate: number, sentAt: number | undefined, recordedAt: number | undefined): Float32Array {
  if (sentAt === undefined || recordedAt === undefined) return recording;
  const offset = Math.round(((recordedAt - sentAt) / 1000) * rate);
  if (offset <= 0) return recording.subarray(Math.min(recording.length, -offset));
  const out = new Float32Array(offset + recording.length);
  out.set(recording, offset);
  return out;
}

function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
