// When to try again after the server connection was lost: at once, then with growing pauses, and not forever.

export interface ReconnectPolicy {
  /** Pause before each attempt, in order; the last one repeats. Default [0, 500, 1000, 2000, 4000]. */
  delaysMs?: readonly number[];
  /** No attempt starts this long after the loss or later; default 60000. */
  giveUpAfterMs?: number;
}

const DEFAULT_DELAYS_MS = [0, 500, 1000, 2000, 4000];
const DEFAULT_GIVE_UP_AFTER_MS = 60_000;

/** The pause before attempt `attempt` (0 for the first), or undefined when it is time to give up. Pure. */
export function reconnectDelayMs(policy: ReconnectPolicy, attempt: number, elapsedMs: number): number | undefined {
  const delays = policy.delaysMs?.length ? policy.delaysMs : DEFAULT_DELAYS_MS;
  const delay = delays[Math.min(attempt, delays.length - 1)]!;
  return elapsedMs + delay < (policy.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS) ? delay : undefined;
}
