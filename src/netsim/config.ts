// What an impairment profile says about one direction of a call, and a profile as a whole. Pure data: the
// model (model.ts) runs it, profile files (profile-file.ts) are read into it.

export type JitterDistribution = 'uniform' | 'normal' | 'pareto' | 'paretonormal';

export type LossConfig =
  /** Independent losses. */
  | { model: 'random'; percent: number }
  /** Gilbert-Elliott with everything lost in Bad: mean loss and mean burst length (r = 1/B, p = L / (B (1 - L))). */
  | { model: 'gilbert-elliott'; percent: number; meanBurst: number }
  /** The general four-parameter form: transition probabilities and the loss probability in each state. */
  | { model: 'gilbert-elliott-4'; p: number; r: number; lossInBad: number; lossInGood: number };

export interface ImpairmentConfig {
  /** Fixed one-way delay, ms. */
  delayMs?: number;
  /** Random extra delay: uniform in +-ms, or standard deviation ms for the other distributions. */
  jitter?: { ms: number; distribution?: JitterDistribution; /** Default false: packets keep their order. */ reorder?: boolean };
  loss?: LossConfig;
  /** Bottleneck link: serialization at kbps with a drop-tail queue. */
  rate?: { kbps: number; overheadBytes?: number; queuePackets?: number; queueBytes?: number };
  duplicatePercent?: number;
  /** Some packets overtake: sent `gapMs` earlier than their turn. */
  reorder?: { percent: number; gapMs?: number };
  /** Bursty delivery (Wi-Fi, cellular): packets are held and released together at slot boundaries. */
  slot?: { minMs: number; maxMs: number; maxPackets?: number; maxBytes?: number };
  /** Nothing gets through for `durationMs` every `everyS` seconds (first one at `firstAtS`, default everyS). */
  outages?: { everyS: number; durationMs: number; firstAtS?: number };
  /** Trace-driven capacity (Mahimahi format: one ms timestamp per 1500-byte delivery opportunity, looping). */
  trace?: { file: string };
}

export interface ProfilePhase {
  /** Seconds from the start of media when this phase begins. */
  atS: number;
  name?: string;
  /** earshot to the peer. */
  up: ImpairmentConfig;
  /** The peer to earshot. */
  down: ImpairmentConfig;
}

export interface Profile {
  name: string;
  /** Where the figures come from (a vendor's preset, a standard, a trace). */
  source: string;
  description?: string;
  /** One phase for a steady network; several for a timed sequence (handover: LTE, an outage, then 3G). */
  phases: ProfilePhase[];
}
