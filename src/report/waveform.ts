// Waveforms as a self-contained SVG: one lane per track, all on one time axis, each drawn as its min/max
// envelope per pixel column (the shape of speech at any length, at a fixed size).
import { escapeMarkup } from './escape.js';
import { axisTicks } from './line-chart.js';

export interface WaveformTrack {
  name: string;
  /** Mono samples in [-1, 1], of which the first is drawn at `startS` on the axis. */
  samples: Float32Array;
  sampleRate: number;
  startS?: number;
  colour: string;
}

export interface WaveformOptions {
  /** Seconds on the axis, shared by every lane. */
  span: readonly [startS: number, endS: number];
  /** Pixels of plot per lane; the whole picture adds margins. Default 600 x 70. */
  plotWidth?: number;
  laneHeight?: number;
  title?: string;
}

export interface Envelope {
  min: Float32Array;
  max: Float32Array;
  /** Columns with at least one sample. */
  covered: Uint8Array;
}

const MARGIN = { top: 22, right: 12, bottom: 34, left: 56 } as const;
const LANE_GAP = 8;

/** The smallest and largest sample falling in each of `columns` equal slices of `span` (seconds). */
export function envelope(track: Pick<WaveformTrack, 'samples' | 'sampleRate' | 'startS'>, span: readonly [number, number], columns: number): Envelope {
  const min = new Float32Array(columns);
  const max = new Float32Array(columns);
  const covered = new Uint8Array(columns);
  const secondsPerColumn = (span[1] - span[0]) / columns;
  const start = track.startS ?? 0;
  for (let column = 0; column < columns; column++) {
    const from = Math.max(0, Math.floor((span[0] + column * secondsPerColumn - start) * track.sampleRate));
    const to = Math.min(track.samples.length, Math.floor((span[0] + (column + 1) * secondsPerColumn - start) * track.sampleRate));
    if (to <= from) continue;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = from; i < to; i++) {
      const sample = track.samples[i]!;
      if (sample < lo) lo = sample;
      if (sample > hi) hi = sample;
    }
    min[column] = lo;
    max[column] = hi;
    covered[column] = 1;
  }
  return { min, max, covered };
}

export function waveformSvg(tracks: readonly WaveformTrack[], options: WaveformOptions): string {
  const plotWidth = options.plotWidth ?? 600;
  const laneHeight = options.laneHeight ?? 70;
  const { top, left, bottom, right } = MARGIN;
  const width = left + plotWidth + right;
  const height = top + tracks.length * (laneHeight + LANE_GAP) - LANE_GAP + bottom;
  const envelopes = tracks.map((track) => envelope(track, options.span, plotWidth));
  const peak = Math.max(1e-6, ...envelopes.flatMap((e) => [maxAbs(e.min), maxAbs(e.max)]));
  const fullScale = niceCeiling(peak);
  const parts: string[] = [];
  if (options.title) parts.push(`<text x="${left}" y="14" font-weight="bold">${escapeMarkup(options.title)}</text>`);

  tracks.forEach((track, lane) => {
    const laneTop = top + lane * (laneHeight + LANE_GAP);
    const middle = laneTop + laneHeight / 2;
    const y = (value: number) => middle - (value / fullScale) * (laneHeight / 2);
    parts.push(`<rect x="${left}" y="${laneTop}" width="${plotWidth}" height="${laneHeight}" fill="#fafafa" stroke="#ccc"/>`);
    parts.push(`<line x1="${left}" y1="${middle}" x2="${left + plotWidth}" y2="${middle}" stroke="#ddd"/>`);
    for (const value of [fullScale, -fullScale]) parts.push(label(left - 4, y(value) + (value > 0 ? 9 : -2), formatAmplitude(value), 'end'));
    parts.push(label(left - 4, middle + 4, '0', 'end'));
    parts.push(`<g class="lane" data-track="${escapeMarkup(track.name)}">`);
    parts.push(`<path d="${envelopePath(envelopes[lane]!, left, y)}" fill="${track.colour}" stroke="${track.colour}" stroke-width="0.6"/>`);
    parts.push(`<text x="${left + 6}" y="${laneTop + 13}" fill="#333">${escapeMarkup(track.name)}</text>`);
    parts.push('</g>');
  });

  const axisY = top + tracks.length * (laneHeight + LANE_GAP) - LANE_GAP;
  const ticks = axisTicks(options.span, 8).filter((t) => t >= options.span[0] - 1e-9 && t <= options.span[1] + 1e-9);
  const x = (seconds: number) => left + ((seconds - options.span[0]) / (options.span[1] - options.span[0])) * plotWidth;
  for (const tick of ticks) {
    parts.push(`<line x1="${round(x(tick))}" y1="${axisY}" x2="${round(x(tick))}" y2="${axisY + 4}" stroke="#333"/>`);
    parts.push(label(x(tick), axisY + 16, formatSeconds(tick, ticks), 'middle'));
  }
  parts.push(label(left + plotWidth / 2, axisY + 30, 'time (s)', 'middle'));
  parts.push(label(12, top + (axisY - top) / 2, 'amplitude', 'middle', true));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="waveform" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="11" role="img" aria-label="${escapeMarkup(options.title ?? 'waveforms')}">${parts.join('')}</svg>`
  );
}

/** The outline of the envelope: along the maxima, back along the minima; gaps (no samples) break it. */
function envelopePath(envelope: Envelope, left: number, y: (value: number) => number): string {
  const runs: string[] = [];
  let column = 0;
  while (column < envelope.covered.length) {
    if (!envelope.covered[column]) {
      column++;
      continue;
    }
    const first = column;
    while (column < envelope.covered.length && envelope.covered[column]) column++;
    const upper: string[] = [];
    const lower: string[] = [];
    for (let c = first; c < column; c++) {
      // Whole pixels: finer coordinates would not show, and a long call has thousands of them.
      upper.push(`${left + c} ${Math.floor(y(envelope.max[c]!))}`);
      lower.push(`${left + c} ${Math.ceil(y(envelope.min[c]!))}`);
    }
    runs.push(`M${upper.join('L')}L${lower.reverse().join('L')}Z`);
  }
  return runs.join('');
}

function maxAbs(values: Float32Array): number {
  let peak = 0;
  for (const value of values) peak = Math.max(peak, Math.abs(value));
  return peak;
}

/** The smallest of 1, 2 or 5 times a power of ten at or above `value`, at most 1 (full scale). */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  const nice = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= value * 0.999)!;
  return Math.min(1, nice);
}

function formatAmplitude(value: number): string {
  return String(Number(value.toPrecision(2)));
}

function formatSeconds(value: number, ticks: number[]): string {
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  return value.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
}

function label(x: number, y: number, content: string, anchor: 'start' | 'middle' | 'end', rotate = false): string {
  const transform = rotate ? ` transform="rotate(-90 ${round(x)} ${round(y)})"` : '';
  return `<text x="${round(x)}" y="${round(y)}" text-anchor="${anchor}"${transform}>${escapeMarkup(content)}</text>`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
