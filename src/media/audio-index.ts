// The audio half of media/: files, resampling, codecs, RTP framing, pacing, jitter buffer, playout.
export { readAudio, loadMono, decodeWav, downmix, WavWriter, finalizeOnExit, recordingPathProblem, AudioFileError } from './wav.js';
export type { DecodedAudio, WavWriterOptions } from './wav.js';
export { Resampler, resample } from '../util/resample.js';
export {
  linearToMulaw,
  mulawToLinear,
  linearToAlaw,
  alawToLinear,
  encodeMulaw,
  decodeMulaw,
  encodeAlaw,
  decodeAlaw,
  WaveformRepetitionConcealer,
} from './g711.js';
export { OpusCodec, twentyMsToc } from './opus-codec.js';
export type { OpusOptions } from './opus-codec.js';
export { createCodec, parseCodecName, G711Codec, STATIC_PAYLOAD_TYPES } from './codec.js';
export type { AudioCodec, CodecName, CodecOptions } from './codec.js';
export { parseRtp, serializeRtp, sequenceDistance, timestampDistance, RtpParseError } from './rtp-packet.js';
export type { RtpPacketFields, RtpPacket, RtpHeaderExtension, RtpSerializeExtras } from './rtp-packet.js';
export { FrameTimer, systemClock, percentile } from './frame-timer.js';
export type { Clock, TimerHandle } from './frame-timer.js';
export { RtpSender, encodeAll, FRAME_MS } from './rtp-sender.js';
export type { RtpSenderOptions, RtpSenderStats, SentPacketEntry } from './rtp-sender.js';
export { JitterBuffer } from './jitter-buffer.js';
export type { JitterBufferOptions, JitterBufferStats, PullResult, PushVerdict } from './jitter-buffer.js';
export { PacketLog, rfc3550Jitter } from './packet-log.js';
export type { PacketLogEntry, PacketFate } from './packet-log.js';
export { Playout } from './playout.js';
export type { PlayoutOptions, PlayoutStats, TelephoneEvent } from './playout.js';
export * from './telephone-event.js';
