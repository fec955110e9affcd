// NetworkModel: earshot's own network impairment for one direction of a call (this kernel has no netem).
// Like libwebrtc's SimulatedNetwork it has no timers: the caller passes the time in, enqueues each media
// packet as it is sent, asks nextDeliveryTime() when to come back and takes deliverable(now). The same
// model serves the live relay and simulated-time tests.
//
// Stages, in this order, for each enqueued packet:
//  1. outage: a packet sent inside an outage window is lost (fate 'outage'). Windows recur every `everyS`
//     from `firstAtS` (default everyS) after the phase start; packets already past this stage are unaffected.
//  2. loss: random, Gilbert-Elliott (L, B) or its four-parameter form (see loss-process.ts); fate 'lost'.
//  3. duplication: with duplicatePercent a copy is made; it runs through the stages below on its own and
//     comes out of deliverable() with duplicate: true. The original's fate says duplicated: true.
//  4. bottleneck: rate (serialization of sizeBytes + overheadBytes at kbps, FIFO, drop-tail queue) or a
//     Mahimahi capacity trace (see bottleneck.ts); a full queue gives fate 'dropped-queue'.
//  5. delay and jitter, added after the bottleneck: delayMs + a jitter draw (see jitter.ts: uniform +-J, or
//     J as the standard deviation of normal, pareto, paretonormal). The total is clipped at 0: a packet
//     never arrives before it left the bottleneck, so large jitter on a small delay raises the mean.
//     Order: by default (jitter.reorder false) a packet is never delivered before the one enqueued before
//     it; it is pushed later instead, as libwebrtc does. That raises the mean delay (uniform +-30 ms at one
//     packet per 20 ms: about +3 ms, see the tests) and narrows the spread. With jitter.reorder true each
//     packet keeps its own draw and may overtake. Explicit reordering (reorder.percent) lets that share of
//     packets leave gapMs sooner (default: the whole delayMs, netem's "sent at once"), free of the order rule.
//  6. slot: the packet waits for the next slot boundary, within the slot's packet/byte budget
//     (see slot-schedule.ts).
// Each stage draws from its own random stream derived from the seed, so adding jitter to a profile does not
// change which packets are lost. Same config, seed and inputs: the same fate log.
//
// reconfigure() starts a new phase at `nowMs`: packets already scheduled keep their times, the loss chain
// restarts, outage and slot schedules and any trace restart at nowMs, a rate link keeps its backlog.
// The fate log grows by one entry per packet (about 50 entries a second for one voice stream).
import type { ImpairmentConfig } from './config.js';
import { RateLink, TraceLink, type Bottleneck } from './bottleneck.js';
import { DeliveryQueue } from './delivery-queue.js';
import { drawJitter } from './jitter.js';
import { createLossProcess, type LossProcess, type LossState } from './loss-process.js';
import { checkTrace, type MahimahiTrace } from './mahimahi-trace.js';
import { SlotSchedule } from './slot-schedule.js';
import { validateImpairment } from './validate.js';
import { seededRandom } from '../util/random.js';

export type FateKind = 'delivered' | 'lost' | 'dropped-queue' | 'outage';

export interface PacketFate {
  id: number;
  sentAtMs: number;
  fate: FateKind;
  /** For delivered packets. */
  deliverAtMs?: number;
  /** deliverAtMs - sentAtMs. */
  delayMs?: number;
  /** A copy was made (its own delivery shows in deliverable()). */
  duplicated?: boolean;
  /** The Gilbert-Elliott state the packet met (Gilbert-Elliott loss only). */
  lossState?: LossState;
}

export interface NetworkPacket {
  id: number;
  sizeBytes: number;
}

export interface DeliveredPacket extends NetworkPacket {
  duplicate: boolean;
}

export interface NetworkModelOptions {
  seed: number;
  /** A parsed Mahimahi trace (parseMahimahiTrace), required when the config has `trace`. */
  traceDeliveriesMs?: number[];
  /** Default: the last timestamp. */
  tracePeriodMs?: number;
  /** When the first phase starts (outage, slot and trace schedules count from here). Default 0. */
  startMs?: number;
}

/** The config (or trace) cannot be run; `problems` lists each one with its field path. */
export class ImpairmentConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid impairment: ${problems.join('; ')}`);
    this.name = 'ImpairmentConfigError';
  }
}

interface RandomStreams {
  loss: () => number;
  duplicate: () => number;
  jitter: () => number;
  reorder: () => number;
  slot: () => number;
}

function randomStreams(seed: number): RandomStreams {
  const master = seededRandom(seed);
  const stream = (): (() => number) => seededRandom(Math.floor(master() * 4_294_967_296));
  return { loss: stream(), duplicate: stream(), jitter: stream(), reorder: stream(), slot: stream() };
}

export class NetworkModel {
  readonly fates: PacketFate[] = [];
  private readonly random: RandomStreams;
  private readonly pending = new DeliveryQueue<DeliveredPacket>();
  private config!: ImpairmentConfig;
  private trace: MahimahiTrace | undefined;
  private phaseStartMs = 0;
  private loss!: LossProcess;
  private bottleneck: Bottleneck | undefined;
  private slots: SlotSchedule | undefined;
  private lastDeliverAtMs = -Infinity;
  private lastEnqueueMs = -Infinity;

  constructor(config: ImpairmentConfig, options: NetworkModelOptions) {
    if (!Number.isFinite(options.seed)) throw new ImpairmentConfigError([`seed: must be a number (${options.seed})`]);
    this.random = randomStreams(options.seed);
    if (options.traceDeliveriesMs) {
      const deliveriesMs = options.traceDeliveriesMs;
      this.trace = { deliveriesMs, periodMs: options.tracePeriodMs ?? deliveriesMs.at(-1) ?? 0 };
    }
    this.reconfigure(config, options.startMs ?? 0);
  }

  /** Starts a new phase at nowMs (a handover); `trace` replaces the trace given so far. */
  reconfigure(config: ImpairmentConfig, nowMs: number, trace?: MahimahiTrace): void {
    const problems = validateImpairment(config);
    const nextTrace = trace ?? this.trace;
    if (config.trace) {
      if (!nextTrace) problems.push(`trace.file: ${config.trace.file} must be read (parseMahimahiTrace) and passed as traceDeliveriesMs`);
      else problems.push(...checkTrace(nextTrace));
    }
    if (!Number.isFinite(nowMs)) problems.push(`time: must be a number of ms (${nowMs})`);
    if (problems.length > 0) throw new ImpairmentConfigError(problems);

    this.config = config;
    this.trace = nextTrace;
    this.phaseStartMs = nowMs;
    this.loss = createLossProcess(config.loss, this.random.loss);
    const previous = this.bottleneck instanceof RateLink ? this.bottleneck : undefined;
    if (config.rate) this.bottleneck = new RateLink(config.rate, previous);
    else if (config.trace && nextTrace) this.bottleneck = new TraceLink(nextTrace, nowMs);
    else this.bottleneck = undefined;
    this.slots = config.slot ? new SlotSchedule(config.slot, this.random.slot, nowMs) : undefined;
  }

  /** Decides the packet's fate now and records it; a delivered packet comes out of deliverable() later. */
  enqueue(packet: NetworkPacket, nowMs: number): PacketFate {
    if (!Number.isFinite(nowMs)) throw new RangeError(`NetworkModel.enqueue: time must be a number of ms (${nowMs})`);
    if (nowMs < this.lastEnqueueMs) {
      throw new RangeError(`NetworkModel.enqueue: time went backwards (${nowMs} ms after ${this.lastEnqueueMs} ms)`);
    }
    if (!(Number.isFinite(packet.sizeBytes) && packet.sizeBytes >= 0)) {
      throw new RangeError(`NetworkModel.enqueue: packet ${packet.id} has an impossible size (${packet.sizeBytes} bytes)`);
    }
    this.lastEnqueueMs = nowMs;
    const fate: PacketFate = { id: packet.id, sentAtMs: nowMs, fate: 'delivered' };
    this.fates.push(fate);

    if (this.inOutage(nowMs)) {
      fate.fate = 'outage';
      return fate;
    }
    const loss = this.loss.next();
    if (loss.state) fate.lossState = loss.state;
    if (loss.lost) {
      fate.fate = 'lost';
      return fate;
    }
    const duplicatePercent = this.config.duplicatePercent ?? 0;
    const duplicated = duplicatePercent > 0 && this.random.duplicate() * 100 < duplicatePercent;
    if (duplicated) fate.duplicated = true;

    this.slots?.forgetBefore(nowMs);
    const deliverAtMs = this.schedule(packet, nowMs, false);
    if (deliverAtMs === undefined) {
      fate.fate = 'dropped-queue';
    } else {
      fate.deliverAtMs = deliverAtMs;
      fate.delayMs = deliverAtMs - nowMs;
    }
    if (duplicated) this.schedule(packet, nowMs, true);
    return fate;
  }

  /** Every packet due by nowMs, in delivery order (ties in the order they were scheduled). */
  deliverable(nowMs: number): DeliveredPacket[] {
    const due: DeliveredPacket[] = [];
    for (let at = this.pending.peekTime(); at !== undefined && at <= nowMs; at = this.pending.peekTime()) {
      due.push(this.pending.pop()!);
    }
    return due;
  }

  /** When the next packet is due, or undefined when nothing is in flight. */
  nextDeliveryTime(): number | undefined {
    return this.pending.peekTime();
  }

  private inOutage(nowMs: number): boolean {
    const outages = this.config.outages;
    if (!outages || outages.durationMs === 0) return false;
    const intervalMs = outages.everyS * 1000;
    const sinceFirst = nowMs - this.phaseStartMs - (outages.firstAtS ?? outages.everyS) * 1000;
    return sinceFirst >= 0 && sinceFirst % intervalMs < outages.durationMs;
  }

  /** Stages 4-6 for one packet (or its copy): the delivery time, or undefined when the queue dropped it. */
  private schedule(packet: NetworkPacket, nowMs: number, duplicate: boolean): number | undefined {
    const leavesAtMs = this.bottleneck ? this.bottleneck.admit(packet.sizeBytes, nowMs) : nowMs;
    if (leavesAtMs === undefined) return undefined;

    const { delayMs = 0, jitter, reorder } = this.config;
    let delay = delayMs;
    if (jitter && jitter.ms > 0) delay += drawJitter(jitter.ms, jitter.distribution ?? 'uniform', this.random.jitter);
    const overtakes = reorder !== undefined && reorder.percent > 0 && this.random.reorder() * 100 < reorder.percent;
    if (overtakes) delay -= reorder.gapMs ?? delayMs;
    let readyAtMs = leavesAtMs + Math.max(0, delay);
    if (!overtakes && !jitter?.reorder) readyAtMs = Math.max(readyAtMs, this.lastDeliverAtMs);

    const deliverAtMs = this.slots ? this.slots.assign(readyAtMs, packet.sizeBytes) : readyAtMs;
    this.lastDeliverAtMs = Math.max(this.lastDeliverAtMs, deliverAtMs);
    this.pending.push(deliverAtMs, { id: packet.id, sizeBytes: packet.sizeBytes, duplicate });
    return deliverAtMs;
  }
}
