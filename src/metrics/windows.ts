/**
 * Network figures per time window of a call, to set beside per-window audio scores.
 *
 * Window convention: windows follow media time, the packets' RTP timestamps, not their arrival. Time 0 is the
 * timestamp of the first expected packet (the first sent, with `sent`; else the lowest sequence number
 * received), and window k holds the packets stamped in [k windowS, (k + 1) windowS). A lost packet thus falls
 * in the window of the audio it carried (its timestamp from `sent`, else interpolated between its received
 * neighbours), and when the sender started at the reference's first frame, window k is the reference's audio
 * from k windowS to (k + 1) windowS. Timestamps before time 0 count in window 0. Windows with no packets (a
 * sender pause) are listed with zeros, so the array index is the window number.
 */
import { burstRatio } from './emodel.js';
import { slotOutcome, streamSlots, type ReceivedPacket, type StreamOptions } from './rtp-stats.js';

export interface NetworkWindowOptions extends StreamOptions {
  /** Window length, seconds; default 2. */
  windowS?: number;
}

export interface NetworkWindow {
  startS: number;
  endS: number;
  expected: number;
  /** Distinct expected packets received. */
  received: number;
  lost: number;
  lossPercent: number;
  /** Discarded unplayed by the jitter buffer: too late, or to cut delay. */
  late: number;
  dropped: number;
  discardPercent: number;
  /** Mean RFC 3550 |D| (transit-time difference to the previous arrival) of the window's packets, ms: the quantity RFC 3550's running jitter estimates. */
  jitterMs: number;
  /** G.107 BurstR of the window's lost-or-discarded pattern. */
  burstRatio: number;
}

const DEFAULT_WINDOW_S = 2;
const MAX_WINDOWS = 1_000_000;

/** Per-window loss, discards, jitter and burst ratio of one received stream (see the file header for windows). */
export function networkWindows(received: readonly ReceivedPacket[], options: NetworkWindowOptions): NetworkWindow[] {
  const windowS = options.windowS ?? DEFAULT_WINDOW_S;
  if (!(Number.isFinite(windowS) && windowS > 0)) throw new RangeError(`windowS must be a positive number, got ${windowS}`);
  const slots = streamSlots(received, options);
  const windowTicks = windowS * options.clockRate;
  const windowOf = (ticks: number) => (ticks > 0 ? Math.floor(ticks / windowTicks) : 0);

  let lastWindow = -1;
  for (const ticks of slots.slotTicks) lastWindow = Math.max(lastWindow, windowOf(ticks));
  for (const ticks of slots.arrivalMediaTicks) lastWindow = Math.max(lastWindow, windowOf(ticks));
  const count = lastWindow + 1;
  if (count > MAX_WINDOWS) throw new RangeError(`timestamps span ${count} windows of ${windowS} s: not one call`);

  const windows = Array.from({ length: count }, (_, k) => ({ k, expected: 0, received: 0, late: 0, dropped: 0, missed: [] as number[], jitterSum: 0, jitterPairs: 0 }));
  slots.state.forEach((state, slot) => {
    const window = windows[windowOf(slots.slotTicks[slot])];
    const outcome = slotOutcome(state);
    window.expected++;
    window.missed.push(outcome === 'kept' ? 0 : 1);
    if (outcome !== 'lost') window.received++;
    if (outcome === 'late') window.late++;
    if (outcome === 'dropped') window.dropped++;
  });

  let previousTransit = NaN;
  slots.transitTicks.forEach((transit, i) => {
    if (Number.isNaN(transit)) return;
    if (!Number.isNaN(previousTransit)) {
      const window = windows[windowOf(slots.arrivalMediaTicks[i])];
      window.jitterSum += Math.abs(transit - previousTransit);
      window.jitterPairs++;
    }
    previousTransit = transit;
  });

  return windows.map((window) => {
    const lost = window.expected - window.received;
    return {
      startS: window.k * windowS,
      endS: (window.k + 1) * windowS,
      expected: window.expected,
      received: window.received,
      lost,
      lossPercent: percent(lost, window.expected),
      late: window.late,
      dropped: window.dropped,
      discardPercent: percent(window.late + window.dropped, window.expected),
      jitterMs: window.jitterPairs ? (window.jitterSum / window.jitterPairs / options.clockRate) * 1000 : 0,
      burstRatio: burstRatio(window.missed),
    };
  });
}

function percent(part: number, whole: number): number {
  return whole ? (part * 100) / whole : 0;
}
