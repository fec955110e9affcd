// Mahimahi capacity traces: one line per 1500-byte delivery opportunity, a whole millisecond timestamp,
// non-decreasing (repeats mean several opportunities in the same ms). The trace loops; its period is the
// last timestamp.

export interface MahimahiTrace {
  deliveriesMs: number[];
  periodMs: number;
}

export const TRACE_OPPORTUNITY_BYTES = 1500;

/** Parses a trace; throws an Error naming the line for anything that is not a valid timestamp. Blank lines are skipped. */
export function parseMahimahiTrace(text: string): MahimahiTrace {
  const deliveriesMs: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const lineNumber = index + 1;
    if (!/^\d+$/.test(line)) {
      throw new Error(`Mahimahi trace line ${lineNumber}: "${line}" is not a whole number of milliseconds`);
    }
    const ms = Number(line);
    const previous = deliveriesMs.at(-1);
    if (previous !== undefined && ms < previous) {
      throw new Error(`Mahimahi trace line ${lineNumber}: ${ms} is earlier than the line before (${previous}); timestamps must not decrease`);
    }
    deliveriesMs.push(ms);
  });
  const periodMs = deliveriesMs.at(-1);
  if (periodMs === undefined) throw new Error('Mahimahi trace: no delivery opportunities (the trace is empty)');
  if (periodMs === 0) throw new Error('Mahimahi trace: the last timestamp (the loop period) must be above 0');
  return { deliveriesMs, periodMs };
}

/** Problems with a trace handed over as arrays (the model checks this before using one). */
export function checkTrace(trace: MahimahiTrace): string[] {
  const { deliveriesMs, periodMs } = trace;
  if (deliveriesMs.length === 0) return ['trace: no delivery opportunities'];
  if (!(Number.isFinite(periodMs) && periodMs > 0)) return [`trace: the period must be above 0 ms (${periodMs})`];
  for (let i = 0; i < deliveriesMs.length; i++) {
    const ms = deliveriesMs[i]!;
    if (!(Number.isFinite(ms) && ms >= 0 && ms <= periodMs)) return [`trace: opportunity ${i} at ${ms} ms is outside 0..${periodMs}`];
    if (i > 0 && ms < deliveriesMs[i - 1]!) return [`trace: opportunity ${i} at ${ms} ms is earlier than the one before`];
  }
  return [];
}
