/**
 * Sends reference audio as RTP in real time: all frames are encoded up front, then paced at
 * 20 ms on an absolute schedule (frame n due at start + n * 20 ms). Sequence number, timestamp
 * and SSRC start random (RFC 3550 5.1, 8.1); the first packet carries the marker bit.
 */
import { randomInt } from 'node:crypto';
import { Event } from '../util/event.js';
import type { AudioCodec } from './codec.js';
import { FrameTimer, percentile, systemClock, type Clock } from './frame-timer.js';
import { resample } from '../util/resample.js';
import type { RtpPacketFields } from './rtp-packet.js';

export const FRAME_MS = 20;

export interface RtpSenderOptions {
  codec: AudioCodec;
  payloadType: number;
  /** Mono audio in [-1, 1] at `audioRate`; resampled to the codec rate. */
  audio: Float32Array;
  audioRate: number;
  send: (packet: RtpPacketFields) => void;
  /** The audio already cut and encoded with `encodeAll` for this codec: encoding 10 s of Opus takes ~0.1 s. */
  frames?: Uint8Array[];
  /** Start again from the first frame at the end instead of stopping; default false. */
  loop?: boolean;
  /** Default: the system clock. */
  clock?: Clock;
  /** Random integer in [0, max); default crypto.randomInt. Seed it to replay a run. */
  randomInt?: (max: number) => number;
  /** Fixed values instead of random ones. */
  ssrc?: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
}

export interface SentPacketEntry {
  seq: number;
  timestamp: number;
  sentAtMs: number;
  size: number;
}

export interface RtpSenderStats {
  packetsSent: number;
  /** Payload bytes. */
  bytesSent: number;
  /** Packets whose `send` threw. */
  sendErrors: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
}

export class RtpSender {
  /** Fired once when the last frame was sent (never with `loop`). */
  readonly onEnded = new Event<[]>();
  /** `send` threw; the packet counts as not sent and pacing goes on. */
  readonly onSendError = new Event<[unknown]>();
  readonly ssrc: number;
  readonly log: SentPacketEntry[] = [];
  private frames: Uint8Array[];
  private loop: boolean;
  private readonly timer: FrameTimer;
  private readonly clock: Clock;
  private sequenceNumber: number;
  private isFirstPacket = true;
  private timestamp: number;
  private frameIndex = 0;
  private packetsSent = 0;
  private bytesSent = 0;
  private sendErrors = 0;
  private ended = false;

  constructor(private readonly options: RtpSenderOptions) {
    const random = options.randomInt ?? randomInt;
    this.clock = options.clock ?? systemClock;
    this.ssrc = options.ssrc ?? random(2 ** 32);
    this.sequenceNumber = options.initialSequenceNumber ?? random(2 ** 16);
    this.timestamp = options.initialTimestamp ?? random(2 ** 32);
    this.frames = options.frames ?? encodeAll(options.codec, options.audio, options.audioRate);
    if (this.frames.length === 0) throw new RangeError('RtpSender needs at least one sample of audio');
    this.loop = options.loop ?? false;
    this.timer = new FrameTimer(this.clock, FRAME_MS, () => this.sendNext());
  }

  /** Number of 20 ms frames in the audio. */
  get frameCount(): number {
    return this.frames.length;
  }

  get isRunning(): boolean {
    return this.timer.isRunning;
  }

  /** Starts (or resumes after stop) sending; the first frame goes out at once. */
  start(): void {
    if (this.ended) return;
    this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }

  /**
   * From the next frame on, sends `frames` from their start instead (same stream: SSRC, sequence numbers and
   * timestamps go on). A call sends silence until the peer is heard, then cues its speech.
   */
  cue(frames: Uint8Array[], options: { loop?: boolean } = {}): void {
    if (frames.length === 0) throw new RangeError('cue needs at least one frame');
    this.frames = frames;
    this.frameIndex = 0;
    this.loop = options.loop ?? false;
    this.ended = false;
  }

  get stats(): RtpSenderStats {
    const lateness = this.timer.latenessMs();
    return {
      packetsSent: this.packetsSent,
      bytesSent: this.bytesSent,
      sendErrors: this.sendErrors,
      latenessP50Ms: percentile(lateness, 50),
      latenessP99Ms: percentile(lateness, 99),
      latenessMaxMs: lateness.length ? lateness.reduce((max, value) => Math.max(max, value)) : NaN,
    };
  }

  private sendNext(): void {
    const payload = this.frames[this.frameIndex];
    const packet: RtpPacketFields = {
      payloadType: this.options.payloadType,
      sequenceNumber: this.sequenceNumber,
      timestamp: this.timestamp,
      ssrc: this.ssrc,
      marker: this.isFirstPacket,
      payload,
    };
    const sentAtMs = this.clock.now();
    try {
      this.options.send(packet);
      this.log.push({ seq: packet.sequenceNumber, timestamp: packet.timestamp, sentAtMs, size: payload.length });
      this.packetsSent++;
      this.bytesSent += payload.length;
    } catch (error) {
      this.sendErrors++;
      this.onSendError.emit(error);
    }
    this.isFirstPacket = false;
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    this.timestamp = (this.timestamp + (this.options.codec.rtpClockRate * FRAME_MS) / 1000) >>> 0;
    this.frameIndex++;
    if (this.frameIndex === this.frames.length) {
      if (this.loop) {
        this.frameIndex = 0;
      } else {
        this.ended = true;
        this.timer.stop();
      }
    }
    if (this.ended) this.onEnded.emit();
  }
}

/** Resamples to the codec rate, cuts into frames (the last one padded with silence) and encodes them. */
export function encodeAll(codec: AudioCodec, audio: Float32Array, audioRate: number): Uint8Array[] {
  const pcm = resample(audio, audioRate, codec.sampleRate);
  const frames: Uint8Array[] = [];
  for (let start = 0; start < pcm.length; start += codec.frameSamples) {
    const frame = new Int16Array(codec.frameSamples);
    const end = Math.min(pcm.length, start + codec.frameSamples);
    for (let i = start; i < end; i++) {
      const scaled = Math.round(pcm[i] * 32768);
      frame[i - start] = scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled;
    }
    frames.push(codec.encode(frame));
  }
  return frames;
}
