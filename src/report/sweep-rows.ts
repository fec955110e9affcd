// The rows of an impairment sweep (one per call direction) and their CSV form.

export interface SweepRow {
  /** Configured: the impairment applied at the caller's end to both directions. */
  lossPercent: number;
  /** Mean loss burst in packets; 1 is independent (random) loss. */
  meanBurst: number;
  codec: string;
  seed: number;
  /** Which way the audio went. */
  direction: 'caller-to-callee' | 'callee-to-caller';
  /** Measured; null when the call or its scoring failed. */
  mosLqo: number | null;
  emodelMos: number | null;
  measuredLossPercent: number | null;
  /** Mouth-to-ear delay. */
  delayMs: number | null;
  error: string | null;
}

export const SWEEP_CSV_COLUMNS = ['loss', 'burst', 'codec', 'seed', 'direction', 'mosLqo', 'emodelMos', 'measuredLossPct', 'delayMs', 'error'] as const;

export function sweepCsv(rows: readonly SweepRow[]): string {
  const lines = rows.map((row) =>
    [row.lossPercent, row.meanBurst, row.codec, row.seed, row.direction, row.mosLqo, row.emodelMos, row.measuredLossPercent, row.delayMs, row.error]
      .map(csvField)
      .join(','),
  );
  return [SWEEP_CSV_COLUMNS.join(','), ...lines].join('\n') + '\n';
}

/** RFC 4180: quoted when it holds a comma, quote or line break; null is an empty field. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
