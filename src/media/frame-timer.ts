/** Time for media shells: an injectable clock, and a drift-free periodic timer on top of it. */

export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds; monotonic. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Wall-clock epoch milliseconds from the monotonic high-resolution timer. */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Calls `onTick(index, dueMs)` for tick n at start + n * period, re-arming a one-shot timer on the
 * absolute schedule so timer lateness never accumulates. A late wake-up runs every tick that
 * became due, in order. Lateness (wake-up time minus due time) is recorded per tick.
 */
export class FrameTimer {
  private startMs = 0;
  private nextTick = 0;
  private handle: TimerHandle | undefined;
  private running = false;
  private readonly lateness: number[] = [];

  constructor(
    private readonly clock: Clock,
    readonly periodMs: number,
    private readonly onTick: (index: number, dueMs: number) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts with tick 0 due at `startMs` (default: now). */
  start(startMs = this.clock.now()): void {
    if (this.running) return;
    this.running = true;
    this.startMs = startMs;
    this.nextTick = 0;
    this.run();
  }

  stop(): void {
    this.running = false;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  /** Lateness of each tick so far, in milliseconds. */
  latenessMs(): readonly number[] {
    return this.lateness;
  }

  private run(): void {
    this.handle = undefined;
    let now = this.clock.now();
    while (this.running && this.dueOf(this.nextTick) <= now) {
      const due = this.dueOf(this.nextTick);
      this.lateness.push(now - due);
      this.onTick(this.nextTick++, due);
      now = this.clock.now();
    }
    if (this.running) {
      this.handle = this.clock.setTimeout(() => this.run(), this.dueOf(this.nextTick) - now);
    }
  }

  private dueOf(tick: number): number {
    return this.startMs + tick * this.periodMs;
  }
}

/** The p-th percentile (0-100) by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
