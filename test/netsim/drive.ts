// Simulated-time driving for NetworkModel tests: a constant packet stream, deliveries taken exactly when due.
import type { NetworkModel, PacketFate } from '../../src/netsim/model.js';

export interface Delivery {
  id: number;
  sizeBytes: number;
  duplicate: boolean;
  atMs: number;
}

export interface Run {
  fates: PacketFate[];
  deliveries: Delivery[];
}

function takeDue(model: NetworkModel, untilMs: number, into: Delivery[]): void {
  for (let at = model.nextDeliveryTime(); at !== undefined && at <= untilMs; at = model.nextDeliveryTime()) {
    for (const packet of model.deliverable(at)) into.push({ ...packet, atMs: at });
  }
}

/** Sends `packets` packets one every `intervalMs` from `startMs`, then drains the model. */
export function drive(model: NetworkModel, packets: number, intervalMs = 20, sizeBytes = 100, startMs = 0): Run {
  const deliveries: Delivery[] = [];
  for (let id = 0; id < packets; id++) {
    const nowMs = startMs + id * intervalMs;
    takeDue(model, nowMs, deliveries);
    model.enqueue({ id, sizeBytes }, nowMs);
  }
  takeDue(model, Infinity, deliveries);
  return { fates: model.fates, deliveries };
}

export function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function standardDeviation(values: number[]): number {
  const average = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / values.length);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Lengths of the runs of consecutive lost packets. */
export function burstLengths(fates: PacketFate[]): number[] {
  const bursts: number[] = [];
  let run = 0;
  for (const fate of fates) {
    if (fate.fate === 'lost') run++;
    else if (run > 0) {
      bursts.push(run);
      run = 0;
    }
  }
  if (run > 0) bursts.push(run);
  return bursts;
}

export function delays(fates: PacketFate[]): number[] {
  return fates.flatMap((fate) => (fate.delayMs === undefined ? [] : [fate.delayMs]));
}

/** assert-style check that `measured` is within `relative` of `expected`, with both in the message. */
export function within(measured: number, expected: number, relative: number, what: string): void {
  if (!(Math.abs(measured - expected) <= Math.abs(expected) * relative)) {
    throw new Error(`${what}: measured ${measured.toFixed(4)}, expected ${expected} +-${relative * 100}%`);
  }
}
