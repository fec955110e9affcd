/**
 * Sends reference audio as RTP in real time: all frames are encoded up front, then paced at
 * 20 ms on an absolute schedule (frame n due at start + n * 20 ms). Sequence number, timestamp
 * and SSRC start random (RFC 3550 5.1, 8.1); the first packet carries the marker bit.
 *
 * In the same stream, RFC 4733 telephone events (DTMF) take the place of audio frames while a tone plays
 * (`sendTelephoneEvent`), `pause`/`resume` stop and restart sending (call hold), and `setMuted` sends
 * encoded digital silence instead of the audio (call mute).
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
  /** Which cued audio frame the packet carried; absent for telephone events and muted frames. */
  frame?: number;
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

/** A tone waiting to be sent, or being sent: one payload per 20 ms tick. */
interface PendingTone {
  payloadType: number;
  payloads: Uint8Array[];
  sent: number;
  /** The RTP timestamp of its first packet, shared by all of them (RFC 4733 §2.5.1.2). */
  timestamp?: number;
  resolve: () => void;
  reject: (error: Error) => void;
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
  /** The next packet starts a talkspurt: the first one, and the first after a pause (RFC 3551 §4.1). */
  private markNext = true;
  private timestamp: number;
  private frameIndex = 0;
  private packetsSent = 0;
  private bytesSent = 0;
  private sendErrors = 0;
  private ended = false;
  private readonly tones: PendingTone[] = [];
  private pausedAtMs: number | undefined;
  private muted = false;
  private silentFrame: Uint8Array | undefined;

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
    this.pausedAtMs = undefined;
    this.timer.start();
  }

  /** Stops sending; tones not yet sent are dropped and their promises rejected. */
  stop(): void {
    this.timer.stop();
    this.pausedAtMs = undefined;
    for (const tone of this.tones.splice(0)) tone.reject(new Error('the RTP sender stopped before the tone was sent'));
  }

  get isPaused(): boolean {
    return this.pausedAtMs !== undefined;
  }

  /** Sends nothing until `resume()`; tones not yet sent wait. Does nothing unless running. */
  pause(): void {
    if (!this.timer.isRunning) return;
    this.timer.stop();
    this.pausedAtMs = this.clock.now();
  }

  /**
   * Sends again from where the audio stopped. The RTP timestamp jumps by the whole frames paused, as if they
   * had been sampled and not sent (RFC 3550 §5.1), and the first packet carries the marker bit.
   */
  resume(): void {
    if (this.pausedAtMs === undefined) return;
    const pausedFrames = Math.round((this.clock.now() - this.pausedAtMs) / FRAME_MS);
    this.timestamp = (this.timestamp + pausedFrames * this.samplesPerFrame) >>> 0;
    this.pausedAtMs = undefined;
    this.markNext = true;
    if (!this.ended) this.timer.start();
  }

  /** While muted, each audio frame is replaced by encoded digital silence (the audio goes on unheard). */
  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  /**
   * Queues one RFC 4733 tone (the payloads of `dtmfPackets`, telephone-event.ts): from the next tick on, one
   * payload goes out per 20 ms tick instead of an audio frame, with `payloadType`, the marker bit on the first,
   * and all with the RTP timestamp of the tick the tone started on. Sequence numbers and the audio timestamp go
   * on counting through the tone, so the audio after it has the timestamp it would have had; the audio itself
   * is delayed, not cut (it resumes at the frame where the tone began). Tones queued together are sent back
   * to back, each with its own timestamp. Resolves once the last payload was handed to `send`; rejects if
   * the sender stops first.
   */
  sendTelephoneEvent(payloadType: number, payloads: Uint8Array[]): Promise<void> {
    if (payloads.length === 0) return Promise.reject(new RangeError('a tone needs at least one telephone-event payload'));
    if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) {
      return Promise.reject(new RangeError(`RTP payload type must be 0-127, got ${payloadType}`));
    }
    if (!this.timer.isRunning && !this.isPaused) return Promise.reject(new Error('the RTP sender is not sending (not started, stopped, or its audio ended)'));
    return new Promise((resolve, reject) => this.tones.push({ payloadType, payloads, sent: 0, resolve, reject }));
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

  private get samplesPerFrame(): number {
    return (this.options.codec.rtpClockRate * FRAME_MS) / 1000;
  }

  private sendNext(): void {
    const tone = this.tones[0];
    if (tone) this.sendTonePacket(tone);
    else this.sendAudioFrame();
  }

  private sendTonePacket(tone: PendingTone): void {
    tone.timestamp ??= this.timestamp;
    this.transmit({
      payloadType: tone.payloadType,
      sequenceNumber: this.sequenceNumber,
      timestamp: tone.timestamp,
      ssrc: this.ssrc,
      marker: tone.sent === 0,
      payload: tone.payloads[tone.sent],
    });
    this.markNext = false;
    tone.sent++;
    if (tone.sent === tone.payloads.length) {
      this.tones.shift();
      tone.resolve();
    }
  }

  private sendAudioFrame(): void {
    const payload = this.muted ? (this.silentFrame ??= this.options.codec.encode(new Int16Array(this.options.codec.frameSamples))) : this.frames[this.frameIndex];
    this.transmit(
      {
        payloadType: this.options.payloadType,
        sequenceNumber: this.sequenceNumber,
        timestamp: this.timestamp,
        ssrc: this.ssrc,
        marker: this.markNext,
        payload,
      },
      this.muted ? undefined : this.frameIndex,
    );
    this.markNext = false;
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

  /** Sends one packet and counts it; the sequence number and the audio timestamp advance by one frame either way. */
  private transmit(packet: RtpPacketFields, frame?: number): void {
    const payload = packet.payload;
    const sentAtMs = this.clock.now();
    try {
      this.options.send(packet);
      this.log.push({ seq: packet.sequenceNumber, timestamp: packet.timestamp, sentAtMs, size: payload.length, ...(frame === undefined ? {} : { frame }) });
      this.packetsSent++;
      this.bytesSent += payload.length;
    } catch (error) {
      this.sendErrors++;
      this.onSendError.emit(error);
    }
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    this.timestamp = (this.timestamp + this.samplesPerFrame) >>> 0;
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
