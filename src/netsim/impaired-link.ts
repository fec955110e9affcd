// A profile run on a live call: one NetworkModel per direction, driven by real timers, with the profile's
// phases switched on time (counted from the first packet). It has the shape of media's PacketGate, so an
// RtpTransport passes every RTP and RTCP packet through it, in both directions, at earshot's own endpoint.
import { readFileSync } from 'node:fs';
import type { ImpairmentConfig, Profile } from './config.js';
import { parseMahimahiTrace, type MahimahiTrace } from './mahimahi-trace.js';
import { NetworkModel, type PacketFate } from './model.js';

export type Direction = 'up' | 'down';

export interface LinkFate extends PacketFate {
  kind: 'rtp' | 'rtcp';
}

/** One direction: the pure model, the packets waiting in it, and one timer armed for the next delivery. */
class DirectionShell {
  readonly model: NetworkModel;
  readonly kinds = new Map<number, 'rtp' | 'rtcp'>();
  private readonly waiting = new Map<number, () => void>();
  private timer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private stopped = false;

  constructor(
    config: ImpairmentConfig,
    seed: number,
    startMs: number,
    private readonly now: () => number,
  ) {
    const trace = config.trace && readTrace(config.trace.file);
    this.model = new NetworkModel(config, { seed, startMs, traceDeliveriesMs: trace?.deliveriesMs, tracePeriodMs: trace?.periodMs });
  }

  pass(kind: 'rtp' | 'rtcp', sizeBytes: number, deliver: () => void): void {
    if (this.stopped) return;
    const id = this.nextId++;
    this.kinds.set(id, kind);
    const fate = this.model.enqueue({ id, sizeBytes }, this.now());
    if (fate.fate !== 'delivered') return;
    this.waiting.set(id, deliver);
    this.arm();
  }

  reconfigure(config: ImpairmentConfig, nowMs: number): void {
    const trace = config.trace && readTrace(config.trace.file);
    this.model.reconfigure(config, nowMs, trace);
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.waiting.clear();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const next = this.model.nextDeliveryTime();
    if (next === undefined || this.stopped) return;
    this.timer = setTimeout(() => this.release(), Math.max(0, next - this.now()));
  }

  private release(): void {
    for (const packet of this.model.deliverable(this.now())) {
      const deliver = this.waiting.get(packet.id);
      if (!packet.duplicate) this.waiting.delete(packet.id);
      deliver?.();
    }
    this.arm();
  }
}

export class ImpairedLink {
  private readonly directions: Record<Direction, DirectionShell>;
  private readonly phaseTimers: NodeJS.Timeout[] = [];
  private startedAt: number | undefined;
  private currentProfile: Profile;
  /** Names of the profiles applied, in order. */
  readonly applied: string[] = [];

  /** `seed` makes the run replayable: the same seed and the same packets give the same fates. */
  constructor(
    profile: Profile,
    readonly seed: number,
    /** Epoch ms, as in the packet logs, so fates and arrivals share one time line. */
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
  ) {
    this.currentProfile = profile;
    this.applied.push(profile.name);
    const first = profile.phases[0];
    const start = now();
    this.directions = {
      up: new DirectionShell(first.up, seed, start, now),
      down: new DirectionShell(first.down, seed + 1, start, now),
    };
  }

  /** Packets earshot sends to the peer. */
  outbound(kind: 'rtp' | 'rtcp', sizeBytes: number, pass: () => void): void {
    this.begin();
    this.directions.up.pass(kind, sizeBytes, pass);
  }

  /** Packets from the peer, before earshot sees them. */
  inbound(kind: 'rtp' | 'rtcp', sizeBytes: number, pass: () => void): void {
    this.begin();
    this.directions.down.pass(kind, sizeBytes, pass);
  }

  /** The profile in force: the one given, or the last one switched to. */
  get profile(): Profile {
    return this.currentProfile;
  }

  /**
   * Applies another profile from now on, both directions, its phases counted from now. Packets already in
   * flight keep the fate they were given; the fate log goes on.
   */
  switchProfile(profile: Profile): void {
    this.currentProfile = profile;
    this.applied.push(profile.name);
    for (const timer of this.phaseTimers.splice(0)) clearTimeout(timer);
    if (this.startedAt === undefined) return; // no packet yet: begin() applies it at the first one
    this.applyPhases(profile, this.now());
  }

  /** Every packet's fate so far, per direction, for checking the call's measured statistics against. */
  fates(direction: Direction): LinkFate[] {
    const shell = this.directions[direction];
    return shell.model.fates.map((fate) => ({ ...fate, kind: shell.kinds.get(fate.id) ?? 'rtp' }));
  }

  stop(): void {
    for (const timer of this.phaseTimers) clearTimeout(timer);
    this.directions.up.stop();
    this.directions.down.stop();
  }

  /** Phases count from the first packet (media start), not from when the call was placed. */
  private begin(): void {
    if (this.startedAt !== undefined) return;
    this.startedAt = this.now();
    this.applyPhases(this.currentProfile, this.startedAt);
  }

  private applyPhases(profile: Profile, startMs: number): void {
    const [first, ...later] = profile.phases;
    this.directions.up.reconfigure(first.up, startMs);
    this.directions.down.reconfigure(first.down, startMs);
    for (const phase of later) {
      this.phaseTimers.push(
        setTimeout(() => {
          const at = this.now();
          this.directions.up.reconfigure(phase.up, at);
          this.directions.down.reconfigure(phase.down, at);
        }, phase.atS * 1000),
      );
    }
  }
}

function readTrace(file: string): MahimahiTrace {
  return parseMahimahiTrace(readFileSync(file, 'utf8'));
}
