/**
 * Adaptive audio jitter buffer, pure: packets go in with their arrival time, and the playout
 * clock pulls one 20 ms slot per tick with the current time. No timers, no decoding.
 *
 * Policy
 * - Order: packets play in timestamp order (32-bit timestamps and 16-bit sequence numbers are
 *   unwrapped); a packet already received is a duplicate (dropped); a packet whose slot has
 *   already been played or concealed is late (dropped).
 * - Start: playout begins `initialDelayMs` after the first packet's arrival (and again after a
 *   reset: SSRC change, or timestamps jumping backwards while sequence numbers move on).
 * - Target delay: clamp(jitterFactor * J + frame, minDelayMs, maxDelayMs) with J the RFC 3550
 *   interarrival jitter estimate.
 * - Growing (fast): when nothing is buffered at a tick (underrun), the slot is concealed but not
 *   consumed, so playout pauses and every packet of a delay spike still plays, later. When
 *   packets resume, slots that turn out to be lost (sequence gap) are skipped up to the number
 *   of ticks already concealed in the pause, so a loss burst does not add delay. A packet that
 *   follows the last played one in sequence but jumps ahead in timestamp (the sender paused:
 *   DTX, talkspurts) plays at once; this needs no marker bit, so it also works for senders that
 *   do not set it. After `stallAfterMs` of continuous underrun the stream counts as stalled:
 *   ticks return `empty` (silence) instead of concealment.
 * - Assumes 20 ms packets (`frameMs`), which is what WebRTC and earshot send.
 * - Shrinking (slow): once per `shrinkWindowMs`, if the buffered audio never fell below
 *   max(target, initialDelayMs) + two frames during the window, one frame is due to be dropped; it is dropped at the
 *   next pull whose caller says the audio is quiet (`mayDrop`), so speech is never cut: a clean
 *   call keeps every frame. If the buffered audio exceeds `maxDelayMs`, the oldest frames are
 *   dropped at once down to the target (overflow).
 */
import type { RtpPacketFields } from './rtp-packet.js';
import { sequenceDistance, timestampDistance } from './rtp-packet.js';

export interface JitterBufferOptions {
  /** RTP clock rate of the stream (48000 for Opus, 8000 for G.711). */
  clockRate: number;
  /** Default 20. */
  frameMs?: number;
  /** Delay before the first playout; default 40. */
  initialDelayMs?: number;
  /** Bounds of the target delay; defaults 20 and 300. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** k in target = k * jitter + frame; default 4. */
  jitterFactor?: number;
  /** Default 1000. */
  shrinkWindowMs?: number;
  /** Default 500. */
  stallAfterMs?: number;
}

export type PullResult = (
  | { kind: 'frame'; packet: RtpPacketFields }
  | { kind: 'missing'; timestamp: number }
  | { kind: 'empty' }
) & {
  /** Packets the buffer discarded since the last pull to reduce delay, or on a reset. */
  dropped?: RtpPacketFields[];
};

/** What happened to a pushed packet. */
export type PushVerdict = 'buffered' | 'duplicate' | 'late';

export interface JitterBufferStats {
  /** Every packet pushed, duplicates and late ones included. */
  received: number;
  duplicates: number;
  late: number;
  played: number;
  /**
   * Ticks answered with `missing`. Those of an underrun count only once the stream resumes, so
   * the ticks after the far end stopped sending are not counted.
   */
  concealed: number;
  /** Ticks answered with `empty` because the stream stalled (counted like `concealed`). */
  stalled: number;
  /** Packets dropped to shrink the delay or on a reset. */
  dropped: number;
  resets: number;
  /** Packets that never arrived: sequence numbers expected minus distinct ones received. */
  lost: number;
  /** RFC 3550 interarrival jitter, ms. */
  jitterMs: number;
  targetDelayMs: number;
  /** Time the last played packet spent in the buffer, and the mean over all played ones. */
  bufferDelayMs: number;
  meanBufferDelayMs: number;
  /** Audio buffered ahead of the playout point, ms. */
  bufferedMs: number;
}

interface Entry {
  packet: RtpPacketFields;
  extSeq: number;
  extTs: number;
  arrivalMs: number;
}

/** Sequence numbers remembered for duplicate detection. */
const SEEN_WINDOW = 2048;

export class JitterBuffer {
  private readonly clockRate: number;
  private readonly frameMs: number;
  private readonly step: number;
  private readonly initialDelayMs: number;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitterFactor: number;
  private readonly shrinkWindowTicks: number;
  private readonly stallAfterTicks: number;

  private counters = { received: 0, duplicates: 0, late: 0, played: 0, concealed: 0, stalled: 0, dropped: 0, resets: 0 };
  private lostInEarlierStreams = 0;
  private totalBufferDelayMs = 0;
  private lastBufferDelayMs = NaN;

  // Per stream (reset on SSRC change).
  private ssrc: number | undefined;
  private entries: Entry[] = []; // sorted by extTs
  private seen = new Set<number>();
  private highestExtSeq = 0;
  private lowestExtSeq = 0;
  private distinctReceived = 0;
  private lastTs = 0;
  private lastExtTs = 0;
  private firstArrivalMs = 0;
  private jitterMs = 0;
  private previousTransitMs: number | undefined;
  private nextPlayTs: number | undefined; // undefined while filling
  private lastPlayedExtSeq: number | undefined;
  private pausedTicks = 0;
  /** Concealed and stalled ticks of the current underrun, counted when it ends. */
  private underrunConcealed = 0;
  private underrunStalled = 0;
  private windowTicks = 0;
  private windowMinBufferedMs = Infinity;
  private shrinkDue = false;
  private pendingDropped: RtpPacketFields[] = [];

  constructor(options: JitterBufferOptions) {
    if (!(options.clockRate > 0)) throw new RangeError(`clock rate must be positive, got ${options.clockRate}`);
    this.clockRate = options.clockRate;
    this.frameMs = options.frameMs ?? 20;
    this.step = (this.clockRate * this.frameMs) / 1000;
    this.initialDelayMs = options.initialDelayMs ?? 40;
    this.minDelayMs = options.minDelayMs ?? 20;
    this.maxDelayMs = options.maxDelayMs ?? 300;
    this.jitterFactor = options.jitterFactor ?? 4;
    this.shrinkWindowTicks = Math.max(1, Math.round((options.shrinkWindowMs ?? 1000) / this.frameMs));
    this.stallAfterTicks = Math.max(1, Math.round((options.stallAfterMs ?? 500) / this.frameMs));
  }

  push(packet: RtpPacketFields, arrivalMs: number): PushVerdict {
    this.counters.received++;
    if (this.ssrc !== packet.ssrc) {
      if (this.ssrc !== undefined) this.reset();
      this.beginStream(packet, arrivalMs);
    }
    let extSeq = this.highestExtSeq + sequenceDistance(this.highestExtSeq & 0xffff, packet.sequenceNumber);
    let extTs = this.lastExtTs + timestampDistance(this.lastTs, packet.timestamp);
    if (this.seen.has(extSeq)) {
      this.counters.duplicates++;
      return 'duplicate';
    }
    if (this.nextPlayTs !== undefined && extTs < this.nextPlayTs && extSeq > this.highestExtSeq) {
      // Newer by sequence yet older than what already played: the sender's timeline restarted.
      this.reset();
      this.beginStream(packet, arrivalMs);
      extSeq = this.highestExtSeq;
      extTs = this.lastExtTs;
    }
    this.lastTs = packet.timestamp;
    this.lastExtTs = extTs;
    this.remember(extSeq);
    this.updateJitter(extTs, arrivalMs);
    if (this.nextPlayTs !== undefined && extTs < this.nextPlayTs) {
      this.counters.late++;
      return 'late';
    }
    const entry: Entry = { packet, extSeq, extTs, arrivalMs };
    let index = this.entries.length;
    while (index > 0 && this.entries[index - 1].extTs > extTs) index--;
    this.entries.splice(index, 0, entry);
    return 'buffered';
  }

  /**
   * A packet of the same stream that carries no audio (RFC 4733 events share the sequence
   * numbers): it counts for loss and duplicate accounting only.
   */
  pushNonAudio(packet: RtpPacketFields): 'counted' | 'duplicate' {
    if (this.ssrc !== packet.ssrc) return 'counted';
    const extSeq = this.highestExtSeq + sequenceDistance(this.highestExtSeq & 0xffff, packet.sequenceNumber);
    if (this.seen.has(extSeq)) return 'duplicate';
    this.remember(extSeq);
    return 'counted';
  }

  /**
   * The playout clock's tick: what to play for the next 20 ms. `mayDrop` says whether a frame may
   * be dropped now to cut delay unnoticed (the caller knows the audio: true in a pause); default true.
   */
  pull(nowMs: number, mayDrop = true): PullResult {
    const result = this.decide(nowMs, mayDrop);
    if (this.pendingDropped.length > 0) {
      result.dropped = this.pendingDropped;
      this.pendingDropped = [];
    }
    return result;
  }

  get stats(): JitterBufferStats {
    return {
      ...this.counters,
      lost: this.lostInEarlierStreams + this.lostInStream(),
      jitterMs: this.jitterMs,
      targetDelayMs: this.targetDelayMs(),
      bufferDelayMs: this.lastBufferDelayMs,
      meanBufferDelayMs: this.counters.played ? this.totalBufferDelayMs / this.counters.played : NaN,
      bufferedMs: this.bufferedMs(),
    };
  }

  targetDelayMs(): number {
    return Math.min(this.maxDelayMs, Math.max(this.minDelayMs, this.jitterFactor * this.jitterMs + this.frameMs));
  }

  private decide(nowMs: number, mayDrop: boolean): PullResult {
    if (this.nextPlayTs === undefined) {
      if (this.entries.length === 0 || nowMs < this.firstArrivalMs + this.initialDelayMs) return { kind: 'empty' };
      this.nextPlayTs = this.entries[0].extTs;
    }
    this.limitDelay();
    this.shrinkIfAhead(mayDrop);

    const first = this.entries[0] as Entry | undefined;
    if (!first) {
      this.pausedTicks++;
      if (this.pausedTicks > this.stallAfterTicks) {
        this.underrunStalled++;
        return { kind: 'empty' };
      }
      this.underrunConcealed++;
      return { kind: 'missing', timestamp: this.nextPlayTs >>> 0 };
    }
    if (first.extTs < this.nextPlayTs + this.step) return this.play(first, nowMs);
    if (this.lastPlayedExtSeq !== undefined && first.extSeq === this.lastPlayedExtSeq + 1) {
      return this.play(first, nowMs); // nothing lost: the sender paused
    }
    // Slots before `first` are lost (or still on their way); those already concealed while
    // paused need no second concealment.
    const slotsAhead = Math.floor((first.extTs - this.nextPlayTs) / this.step);
    const skip = Math.min(this.pausedTicks, slotsAhead);
    this.pausedTicks -= skip;
    this.nextPlayTs += skip * this.step;
    if (first.extTs < this.nextPlayTs + this.step) return this.play(first, nowMs);
    this.counters.concealed++;
    const slot = this.nextPlayTs;
    this.nextPlayTs += this.step;
    return { kind: 'missing', timestamp: slot >>> 0 };
  }

  private play(entry: Entry, nowMs: number): PullResult {
    this.entries.shift();
    this.nextPlayTs = entry.extTs + this.step;
    this.lastPlayedExtSeq = entry.extSeq;
    this.pausedTicks = 0;
    this.counters.concealed += this.underrunConcealed;
    this.counters.stalled += this.underrunStalled;
    this.underrunConcealed = 0;
    this.underrunStalled = 0;
    this.counters.played++;
    this.lastBufferDelayMs = nowMs - entry.arrivalMs;
    this.totalBufferDelayMs += this.lastBufferDelayMs;
    return { kind: 'frame', packet: entry.packet };
  }

  /** Overflow: more than maxDelayMs buffered drops the oldest audio down to the target. */
  private limitDelay(): void {
    if (this.bufferedMs() <= this.maxDelayMs) return;
    const target = this.targetDelayMs();
    while (this.entries.length > 0 && this.bufferedMs() > target) {
      const first = this.entries[0];
      if (first.extTs > (this.nextPlayTs as number)) {
        this.nextPlayTs = first.extTs;
      } else {
        this.drop(first);
        this.nextPlayTs = first.extTs + this.step;
        this.lastPlayedExtSeq = first.extSeq;
      }
    }
  }

  private shrinkIfAhead(mayDrop: boolean): void {
    this.windowMinBufferedMs = Math.min(this.windowMinBufferedMs, this.bufferedMs());
    if (++this.windowTicks >= this.shrinkWindowTicks) {
      // Never below the start-up delay, and with two frames of slack: a clean stream, or one whose sender
      // once sent two packets together after a late timer, keeps every frame.
      const floor = Math.max(this.targetDelayMs(), this.initialDelayMs);
      if (this.windowMinBufferedMs > floor + 2 * this.frameMs) this.shrinkDue = true;
      this.windowTicks = 0;
      this.windowMinBufferedMs = Infinity;
    }
    const first = this.entries[0];
    if (this.shrinkDue && mayDrop && first && first.extTs < (this.nextPlayTs as number) + this.step) {
      this.shrinkDue = false;
      this.drop(first);
      this.nextPlayTs = first.extTs + this.step;
      this.lastPlayedExtSeq = first.extSeq;
    }
  }

  private drop(entry: Entry): void {
    this.entries.shift();
    this.counters.dropped++;
    this.pendingDropped.push(entry.packet);
  }

  /** Media buffered from the playout point to the end of the newest packet, ms. */
  private bufferedMs(): number {
    if (this.nextPlayTs === undefined || this.entries.length === 0) return 0;
    const newest = this.entries[this.entries.length - 1];
    return ((newest.extTs + this.step - this.nextPlayTs) * 1000) / this.clockRate;
  }

  private updateJitter(extTs: number, arrivalMs: number): void {
    const transitMs = arrivalMs - (extTs * 1000) / this.clockRate;
    if (this.previousTransitMs !== undefined) {
      this.jitterMs += (Math.abs(transitMs - this.previousTransitMs) - this.jitterMs) / 16;
    }
    this.previousTransitMs = transitMs;
  }

  private remember(extSeq: number): void {
    this.seen.add(extSeq);
    this.distinctReceived++;
    if (extSeq > this.highestExtSeq) this.highestExtSeq = extSeq;
    if (extSeq < this.lowestExtSeq) this.lowestExtSeq = extSeq;
    if (this.seen.size > SEEN_WINDOW) {
      for (const old of this.seen) {
        if (old > this.highestExtSeq - SEEN_WINDOW) break;
        this.seen.delete(old);
      }
    }
  }

  private lostInStream(): number {
    if (this.ssrc === undefined) return 0;
    return this.highestExtSeq - this.lowestExtSeq + 1 - this.distinctReceived;
  }

  private beginStream(packet: RtpPacketFields, arrivalMs: number): void {
    this.ssrc = packet.ssrc;
    this.highestExtSeq = packet.sequenceNumber;
    this.lowestExtSeq = packet.sequenceNumber;
    this.lastTs = packet.timestamp;
    this.lastExtTs = packet.timestamp;
    this.firstArrivalMs = arrivalMs;
  }

  /** Ends the current stream: buffered packets are dropped, playout refills from the next one. */
  private reset(): void {
    this.counters.resets++;
    this.lostInEarlierStreams += this.lostInStream();
    for (const entry of this.entries) {
      this.counters.dropped++;
      this.pendingDropped.push(entry.packet);
    }
    this.entries = [];
    this.seen = new Set();
    this.distinctReceived = 0;
    this.ssrc = undefined;
    this.jitterMs = 0;
    this.previousTransitMs = undefined;
    this.nextPlayTs = undefined;
    this.lastPlayedExtSeq = undefined;
    this.pausedTicks = 0;
    this.underrunConcealed = 0;
    this.underrunStalled = 0;
    this.windowTicks = 0;
    this.windowMinBufferedMs = Infinity;
    this.shrinkDue = false;
  }
}
