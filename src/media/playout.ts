/**
 * The receive side of a call: RTP packets go into a jitter buffer; a 20 ms playout clock pulls
 * one frame per tick and decodes it, conceals a missing one, or plays silence while the buffer
 * fills or the stream stalls; and exactly that audio is recorded to a WAV file. Recording starts
 * with the first packet, so the file is what a listener would have heard from then on.
 */
import { Event } from '../util/event.js';
import type { AudioCodec } from './codec.js';
import { FrameTimer, systemClock, type Clock } from './frame-timer.js';
import { JitterBuffer, type JitterBufferOptions, type PullResult } from './jitter-buffer.js';
import { PacketLog, rfc3550Jitter, type PacketLogEntry } from './packet-log.js';
import { Resampler } from '../util/resample.js';
import type { RtpPacketFields } from './rtp-packet.js';
import { finalizeOnExit, WavWriter } from './wav.js';

export interface PlayoutOptions {
  /** Decodes the audio; the Playout owns it and closes it on stop(). */
  codec: AudioCodec;
  /** The negotiated audio payload type. Default: every payload type except telephone events is audio. */
  payloadType?: number;
  /** RFC 4733 telephone-event payload type: such packets are logged, not played. */
  telephoneEventPayloadType?: number;
  /** Where to record (created at once, empty until the first packet); nothing is recorded without it. */
  recordPath?: string;
  /** Recording sample rate; default the codec's PCM rate (48 kHz Opus, 8 kHz G.711). */
  recordRate?: number;
  /** Close the recording properly if the process exits or is interrupted; default true. */
  finalizeOnExit?: boolean;
  jitterBuffer?: Omit<JitterBufferOptions, 'clockRate'>;
  /** Default: the system clock. */
  clock?: Clock;
}

/** An RFC 4733 section 2.3 named event (DTMF digits are events 0-15). */
export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  /** In RTP timestamp units, since `timestamp`. */
  duration: number;
  timestamp: number;
  arrivalMs: number;
}

export interface PlayoutStats {
  /** Audio packets received, duplicates and late ones included. */
  received: number;
  /** Audio packets that never arrived. */
  lost: number;
  late: number;
  duplicates: number;
  played: number;
  /** Frames replaced by concealment: lost, late, or not there in time. */
  concealed: number;
  /** Ticks of silence because the stream stalled. */
  stalled: number;
  /** Packets the jitter buffer dropped to cut its delay. */
  dropped: number;
  decodeErrors: number;
  telephoneEvents: number;
  /** Packets of other payload types, and telephone events too short to parse. */
  ignored: number;
  /** RFC 3550 interarrival jitter of the audio packets, ms. */
  jitterMs: number;
  bufferDelayMs: number;
  meanBufferDelayMs: number;
  targetDelayMs: number;
  /** Audio recorded (played out) so far, ms. */
  playedOutMs: number;
}

export class Playout {
  readonly log = new PacketLog();
  readonly telephoneEvents: TelephoneEvent[] = [];
  readonly onTelephoneEvent = new Event<[TelephoneEvent]>();
  /** Each tick's audio as played out, at the codec's PCM rate. */
  readonly onAudio = new Event<[Int16Array]>();
  /** Writing the recording failed (e.g. disk full): recording stops, playout and stats go on. */
  readonly onRecordingError = new Event<[Error]>();
  private readonly buffer: JitterBuffer;
  private readonly clock: Clock;
  private readonly timer: FrameTimer;
  private readonly logEntries = new WeakMap<RtpPacketFields, PacketLogEntry>();
  private writer: WavWriter | undefined;
  private resampler: Resampler | undefined;
  private unregisterExit: (() => void) | undefined;
  private decodeErrors = 0;
  private ignored = 0;
  private playedOutSamples = 0;
  private stopped = false;
  private playoutStartedAtMs: number | undefined;
  private playoutStoppedAtMs: number | undefined;
  /** Whether the last 20 ms played were a pause: only then may the jitter buffer drop a frame to cut delay. */
  private lastFrameQuiet = true;

  constructor(private readonly options: PlayoutOptions) {
    this.clock = options.clock ?? systemClock;
    this.buffer = new JitterBuffer({ ...options.jitterBuffer, clockRate: options.codec.rtpClockRate });
    this.timer = new FrameTimer(this.clock, 20, () => this.tick());
    // Opened now so that a bad path fails here; audio is written from the first packet on.
    if (options.recordPath !== undefined) {
      const recordRate = options.recordRate ?? options.codec.sampleRate;
      this.writer = new WavWriter(options.recordPath, recordRate);
      if (options.finalizeOnExit ?? true) this.unregisterExit = finalizeOnExit(this.writer);
      if (recordRate !== options.codec.sampleRate) this.resampler = new Resampler(options.codec.sampleRate, recordRate);
    }
  }

  /**
   * Starts the playout clock, and so the recording, now: silence until the first packet arrives, so that the
   * recording's time line starts at a known instant (`startedAtMs`). Without it, playout starts at the first packet.
   */
  start(): void {
    if (this.stopped || this.timer.isRunning) return;
    this.playoutStartedAtMs = this.clock.now();
    this.timer.start(this.playoutStartedAtMs);
  }

  /** When playout (and the recording) ended, on the playout's clock; undefined before. */
  get stoppedAtMs(): number | undefined {
    return this.playoutStoppedAtMs;
  }

  /** When playout (and the recording) began, on the playout's clock; undefined before. */
  get startedAtMs(): number | undefined {
    return this.playoutStartedAtMs;
  }

  /** Hands a received packet over; `arrivalMs` must come from the same clock (default: now). */
  receive(packet: RtpPacketFields, arrivalMs = this.clock.now()): void {
    if (this.stopped) return;
    const entry = this.log.add({
      arrivalMs,
      seq: packet.sequenceNumber,
      timestamp: packet.timestamp,
      ssrc: packet.ssrc,
      payloadType: packet.payloadType,
      size: packet.payload.length,
    });
    if (!this.timer.isRunning) this.start();
    if (packet.payloadType === this.options.telephoneEventPayloadType) {
      if (this.buffer.pushNonAudio(packet) === 'duplicate') entry.fate = 'duplicate';
      else this.telephoneEvent(packet, arrivalMs);
      return;
    }
    if (this.options.payloadType !== undefined && packet.payloadType !== this.options.payloadType) {
      this.ignored++;
      return;
    }
    const verdict = this.buffer.push(packet, arrivalMs);
    if (verdict === 'buffered') this.logEntries.set(packet, entry);
    else entry.fate = verdict;
  }

  /** Stops playout, finalizes the recording and closes the codec; safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.playoutStoppedAtMs = this.clock.now();
    this.timer.stop();
    this.record(() => this.resampler?.flush());
    this.closeRecording();
    this.options.codec.close();
  }

  get stats(): PlayoutStats {
    const buffer = this.buffer.stats;
    const audioEntries = this.log.entries.filter((entry) => this.isAudio(entry.payloadType));
    return {
      received: buffer.received,
      lost: buffer.lost,
      late: buffer.late,
      duplicates: buffer.duplicates,
      played: buffer.played,
      concealed: buffer.concealed,
      stalled: buffer.stalled,
      dropped: buffer.dropped,
      decodeErrors: this.decodeErrors,
      telephoneEvents: this.telephoneEvents.length,
      ignored: this.ignored,
      jitterMs: rfc3550Jitter(audioEntries, this.options.codec.rtpClockRate),
      bufferDelayMs: buffer.bufferDelayMs,
      meanBufferDelayMs: buffer.meanBufferDelayMs,
      targetDelayMs: buffer.targetDelayMs,
      playedOutMs: (this.playedOutSamples * 1000) / this.options.codec.sampleRate,
    };
  }

  private tick(): void {
    const result = this.buffer.pull(this.clock.now(), this.lastFrameQuiet);
    for (const packet of result.dropped ?? []) this.setFate(packet, 'dropped');
    const audio = this.render(result);
    this.lastFrameQuiet = isQuiet(audio);
    this.playedOutSamples += audio.length;
    this.onAudio.emit(audio);
    this.record(() => {
      if (!this.resampler) return audio;
      const floats = new Float32Array(audio.length);
      for (let i = 0; i < audio.length; i++) floats[i] = audio[i] / 32768;
      return this.resampler.process(floats);
    });
  }

  private record(samples: () => Float32Array | Int16Array | undefined): void {
    if (!this.writer) return;
    try {
      const chunk = samples();
      if (chunk) this.writer.write(chunk);
    } catch (error) {
      this.closeRecording();
      this.onRecordingError.emit(error as Error);
    }
  }

  private closeRecording(): void {
    if (!this.writer) return;
    try {
      this.writer.close();
    } catch (error) {
      this.onRecordingError.emit(error as Error);
    }
    this.writer = undefined;
    this.unregisterExit?.();
  }

  private render(result: PullResult): Int16Array {
    const codec = this.options.codec;
    switch (result.kind) {
      case 'frame':
        this.setFate(result.packet, 'played');
        try {
          return codec.decode(result.packet.payload);
        } catch {
          this.decodeErrors++;
          return codec.conceal();
        }
      case 'missing':
        return codec.conceal();
      case 'empty':
        return new Int16Array(codec.frameSamples);
    }
  }

  private setFate(packet: RtpPacketFields, fate: 'played' | 'dropped'): void {
    const entry = this.logEntries.get(packet);
    if (entry) entry.fate = fate;
  }

  private isAudio(payloadType: number): boolean {
    if (payloadType === this.options.telephoneEventPayloadType) return false;
    return this.options.payloadType === undefined || payloadType === this.options.payloadType;
  }

  private telephoneEvent(packet: RtpPacketFields, arrivalMs: number): void {
    const payload = packet.payload;
    if (payload.length < 4) {
      this.ignored++;
      return;
    }
    const event: TelephoneEvent = {
      event: payload[0],
      end: (payload[1] & 0x80) !== 0,
      volume: payload[1] & 0x3f,
      duration: (payload[2] << 8) | payload[3],
      timestamp: packet.timestamp,
      arrivalMs,
    };
    this.telephoneEvents.push(event);
    this.onTelephoneEvent.emit(event);
  }
}

/** Below -50 dBFS RMS: a pause in speech, where dropping 20 ms goes unheard. */
const QUIET_RMS = 32768 * 10 ** (-50 / 20);

function isQuiet(frame: Int16Array): boolean {
  let energy = 0;
  for (let i = 0; i < frame.length; i++) energy += frame[i] * frame[i];
  return Math.sqrt(energy / Math.max(1, frame.length)) < QUIET_RMS;
}
