import type { Clock, TimerHandle } from '../../src/media/frame-timer.js';

interface PendingTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** A clock that only moves when told to; timers fire in due order, optionally `lagMs` late. */
export class FakeClock implements Clock {
  private time: number;
  private timers: PendingTimer[] = [];
  private nextId = 1;
  /** Added to every timer's due time, to simulate a busy event loop. */
  lagMs = 0;

  constructor(startMs = 1000) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, delayMs) + this.lagMs, callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = end;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }
}
