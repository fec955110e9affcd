// The media of a connected call leg: what it sends (silence until the peer is heard, then the reference speech;
// DTMF, hold and mute act on the sender), what it receives (jitter buffer, concealment, the recording), and the
// watchdog that ends a call whose peer has gone quiet. Made by Call once ICE and DTLS are up.
import type { PayloadType } from '../jingle/index.js';
import { Playout, RtpSender, createCodec, dtmfDigit, parseCodecName, type CodecName, type TelephoneEvent } from '../media/index.js';
import type { MediaTransport, RtpTransportStats } from '../media/media-transport.js';
import type { CallMediaOptions } from './call-options.js';
import type { ReceivedStream, SentStream } from './direction-scores.js';
import { encodedFrames } from './encoded-reference.js';

/** Speech starts this long after media connects at the latest, even if the peer sends nothing. */
const SPEECH_CUE_TIMEOUT_MS = 1000;
const DEFAULT_MEDIA_TIMEOUT_MS = 5000;

/** What the media tells its call. */
export interface CallMediaEvents {
  mark(event: string): void;
  /** No RTP for `timeoutMs` while the peer has not put the call on hold. */
  peerSilent(timeoutMs: number): void;
  /** A received packet could not be played out or recorded. */
  playoutFailed(error: Error): void;
  telephoneEvent(event: TelephoneEvent): void;
  /** Whether the peer has put the call on hold (then it may send nothing). */
  peerHolds(): boolean;
}

export class CallMedia {
  readonly sender: RtpSender;
  readonly playout: Playout;
  readonly connectedAt = performance.now();
  firstMediaAt?: number;
  private lastMediaAt = performance.now();
  private readonly watchdog: NodeJS.Timeout;
  private speechCue: NodeJS.Timeout;
  /** Index in the sender's log of the first packet of speech (silence goes before it). */
  private speechStartIndex?: number;
  /** RTP timestamp of the last tone whose end was marked on the timeline, so the repeated end packets mark once. */
  private lastEndedToneTimestamp?: number;

  /** Starts sending and receiving at once. Throws, having started nothing, when the recording cannot be opened. */
  constructor(
    transport: MediaTransport,
    private readonly codec: PayloadType,
    telephoneEvent: PayloadType | undefined,
    ssrc: number,
    private readonly options: CallMediaOptions,
    private readonly events: CallMediaEvents,
  ) {
    const name = parseCodecName(codec.name);
    this.playout = new Playout({ codec: createCodec(name), payloadType: codec.id, telephoneEventPayloadType: telephoneEvent?.id, recordPath: options.recordPath });
    this.playout.onTelephoneEvent.subscribe((event) => this.telephoneEventReceived(event));
    transport.onRtp.subscribe((packet, arrivalMs) => {
      if (this.firstMediaAt === undefined) {
        this.firstMediaAt = arrivalMs;
        events.mark('first media received');
        const leadInMs = options.speechLeadInMs ?? 0;
        if (leadInMs > 0) {
          clearTimeout(this.speechCue);
          this.speechCue = setTimeout(() => this.cueSpeech(), leadInMs);
        } else {
          this.cueSpeech();
        }
      }
      this.lastMediaAt = arrivalMs;
      try {
        this.playout.receive(packet);
      } catch (error) {
        events.playoutFailed(error as Error);
      }
    });
    // Silence until the peer is heard: its first packet proves its end of DTLS-SRTP is up, so none of the
    // speech is lost to a peer still finishing its handshake (which takes hundreds of ms on a busy machine).
    this.sender = new RtpSender({
      codec: createCodec(name),
      frames: [silentFrame(name)],
      payloadType: codec.id,
      audio: options.play.samples,
      audioRate: options.play.sampleRate,
      ssrc,
      loop: true,
      send: (packet) => transport.sendRtp(packet),
    });
    this.speechCue = setTimeout(() => this.cueSpeech(), SPEECH_CUE_TIMEOUT_MS + (options.speechLeadInMs ?? 0));
    this.playout.start();
    this.sender.start();
    const timeoutMs = options.mediaTimeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS;
    this.watchdog = setInterval(() => {
      if (!events.peerHolds() && performance.now() - this.lastMediaAt > timeoutMs) events.peerSilent(timeoutMs);
    }, 250);
  }

  /** When the first packet of speech was sent (silence went before it). */
  get speechStartedAt(): number | undefined {
    return this.sender.log[this.speechStartIndex ?? Infinity]?.sentAtMs;
  }

  /** The peer took the call off hold: the watchdog's wait starts again. */
  peerResumed(): void {
    this.lastMediaAt = performance.now();
  }

  stop(): void {
    clearTimeout(this.speechCue);
    clearInterval(this.watchdog);
    this.sender.stop();
    this.playout.stop();
  }

  /** What this leg sent and received, for scoring (direction-scores.ts). */
  streams(transport: RtpTransportStats): { sent: SentStream; received: ReceivedStream } {
    const { sender, playout } = this;
    return {
      sent: {
        reference: this.options.play,
        startedAt: this.speechStartedAt,
        log: sender.log,
        speechFrames: this.speechStartIndex === undefined ? 0 : sender.log.length - this.speechStartIndex,
      },
      received: {
        recordingPath: this.options.recordPath,
        recordingStartedAt: playout.startedAtMs,
        stoppedAt: playout.stoppedAtMs,
        log: playout.log.entries,
        codec: { name: this.codec.name, clockRate: this.codec.clockrate ?? 8000 },
        rttMs: transport.rttMs,
        meanBufferDelayMs: playout.stats.meanBufferDelayMs,
      },
    };
  }

  /**
   * Starts the speech from its first frame, once: the lead-in after the peer is first heard, or
   * SPEECH_CUE_TIMEOUT_MS plus the lead-in after media connected when the peer sends nothing.
   */
  private cueSpeech(): void {
    if (this.speechStartIndex !== undefined) return;
    clearTimeout(this.speechCue);
    this.speechStartIndex = this.sender.log.length;
    this.sender.cue(encodedFrames(this.options.play, parseCodecName(this.codec.name)), { loop: this.options.loop });
    this.events.mark('speech started');
  }

  private telephoneEventReceived(event: TelephoneEvent): void {
    if (event.end && event.timestamp !== this.lastEndedToneTimestamp) {
      this.lastEndedToneTimestamp = event.timestamp;
      this.events.mark(`DTMF ${dtmfDigit(event.event) ?? `event ${event.event}`} received`);
    }
    this.events.telephoneEvent(event);
  }
}

/** One 20 ms frame of digital silence in the codec: what is sent until the peer is heard. */
function silentFrame(name: CodecName): Uint8Array {
  const codec = createCodec(name);
  try {
    return codec.encode(new Int16Array(codec.frameSamples));
  } finally {
    codec.close();
  }
}
