// The bottleneck stage: when a packet leaves the narrowest link, or that it found the queue full.
// - RateLink: FIFO serialization at kbps of sizeBytes + overheadBytes, with a drop-tail queue counted in
//   packets and/or bytes (sizeBytes) over everything not yet fully serialized, the packet on the wire
//   included. Without a limit the queue holds 1000 packets (netem's default limit).
// - TraceLink: Mahimahi's rule. Each opportunity carries up to 1500 bytes taken from the head of the FIFO;
//   a packet may share an opportunity with the one before it, or need several; bytes of an opportunity
//   that nobody was waiting for are lost. The queue is unlimited (Mahimahi's default).
import type { ImpairmentConfig } from './config.js';
import { TRACE_OPPORTUNITY_BYTES, type MahimahiTrace } from './mahimahi-trace.js';

export interface Bottleneck {
  /** The time the packet leaves the link, or undefined when the queue is full and it is dropped. */
  admit(sizeBytes: number, nowMs: number): number | undefined;
}

export const DEFAULT_QUEUE_PACKETS = 1000;

interface InLink {
  leavesAtMs: number;
  sizeBytes: number;
}

export class RateLink implements Bottleneck {
  private readonly inLink: InLink[] = [];
  private head = 0;
  private queuedBytes = 0;
  private busyUntilMs = -Infinity;

  constructor(
    private readonly config: NonNullable<ImpairmentConfig['rate']>,
    /** The link this one replaces (a new phase): its backlog still occupies the wire and the queue. */
    previous?: RateLink,
  ) {
    if (previous) {
      this.inLink = previous.inLink.slice(previous.head);
      this.queuedBytes = previous.queuedBytes;
      this.busyUntilMs = previous.busyUntilMs;
    }
  }

  admit(sizeBytes: number, nowMs: number): number | undefined {
    this.release(nowMs);
    const queued = this.inLink.length - this.head;
    const { queuePackets, queueBytes } = this.config;
    const packetLimit = queuePackets ?? (queueBytes === undefined ? DEFAULT_QUEUE_PACKETS : Infinity);
    if (queued >= packetLimit) return undefined;
    if (queueBytes !== undefined && this.queuedBytes + sizeBytes > queueBytes) return undefined;
    const serializationMs = ((sizeBytes + (this.config.overheadBytes ?? 0)) * 8) / this.config.kbps;
    const leavesAtMs = Math.max(nowMs, this.busyUntilMs) + serializationMs;
    this.busyUntilMs = leavesAtMs;
    this.inLink.push({ leavesAtMs, sizeBytes });
    this.queuedBytes += sizeBytes;
    return leavesAtMs;
  }

  private release(nowMs: number): void {
    while (this.head < this.inLink.length && this.inLink[this.head]!.leavesAtMs <= nowMs) {
      this.queuedBytes -= this.inLink[this.head]!.sizeBytes;
      this.head++;
    }
    if (this.head > 1024) {
      this.inLink.splice(0, this.head);
      this.head = 0;
    }
  }
}

export class TraceLink implements Bottleneck {
  /** Global index (loop * opportunities per loop + index) of the opportunity last used, -1 before the first. */
  private opportunity = -1;
  private bytesLeft = 0;

  constructor(
    private readonly trace: MahimahiTrace,
    /** When the trace's time 0 is. */
    private readonly originMs: number,
  ) {}

  admit(sizeBytes: number, nowMs: number): number | undefined {
    const stillOpen = this.opportunity >= 0 && this.bytesLeft > 0 && this.timeOf(this.opportunity) >= nowMs;
    if (!stillOpen) {
      this.opportunity = Math.max(this.opportunity + 1, this.firstAtOrAfter(nowMs));
      this.bytesLeft = TRACE_OPPORTUNITY_BYTES;
    }
    let remaining = sizeBytes;
    for (;;) {
      const taken = Math.min(remaining, this.bytesLeft);
      remaining -= taken;
      this.bytesLeft -= taken;
      if (remaining === 0) break;
      this.opportunity++;
      this.bytesLeft = TRACE_OPPORTUNITY_BYTES;
    }
    return this.timeOf(this.opportunity);
  }

  private timeOf(opportunity: number): number {
    const count = this.trace.deliveriesMs.length;
    const loop = Math.floor(opportunity / count);
    return this.originMs + loop * this.trace.periodMs + this.trace.deliveriesMs[opportunity - loop * count]!;
  }

  private firstAtOrAfter(timeMs: number): number {
    const { deliveriesMs, periodMs } = this.trace;
    const sinceOrigin = timeMs - this.originMs;
    let loop = Math.max(0, Math.floor(sinceOrigin / periodMs));
    const withinLoop = sinceOrigin - loop * periodMs;
    let low = 0;
    let high = deliveriesMs.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (deliveriesMs[middle]! < withinLoop) low = middle + 1;
      else high = middle;
    }
    if (low === deliveriesMs.length) {
      loop++;
      low = 0;
    }
    return loop * deliveriesMs.length + low;
  }
}
