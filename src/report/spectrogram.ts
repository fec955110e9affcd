// Spectrograms: a short-time Fourier transform (Hann window) of mono audio onto a grid of pixels (one column
// per slice of the time axis, one row per band of a linear frequency axis), levels in dBFS (a full-scale sine
// reads 0), painted with a perceptually ordered colour map into a PNG, and framed by an SVG with labelled axes.
import { fftOfSize } from '../metrics/fft.js';
import { escapeMarkup } from './escape.js';
import { indexedPng } from './indexed-png.js';
import { axisTicks } from './line-chart.js';

export interface SpectrogramGrid {
  columns: number;
  rows: number;
  /** Level in dBFS of row r (0: lowest frequencies) in column c at [r * columns + c]; -Infinity where silent or outside the audio. */
  levels: Float32Array;
  maxFrequencyHz: number;
}

export interface SpectrogramOptions {
  /** Seconds on the time axis; `startS` is where the audio's first sample falls on it (default 0). */
  span: readonly [startS: number, endS: number];
  startS?: number;
  columns?: number;
  rows?: number;
  /** Samples per transform (a power of two); default 512 (32 ms at 16 kHz). */
  windowSize?: number;
}

/** A level range to paint, in dBFS: `top` and anything louder at the top of the map. */
export interface LevelRange {
  top: number;
  rangeDb: number;
}

const DEFAULT_COLUMNS = 600;
const DEFAULT_ROWS = 160;
const DEFAULT_WINDOW = 512;

/** Samples of matplotlib's "inferno" map at 0, 0.1 ... 1: dark for quiet, bright for loud, readable in grey. */
const INFERNO: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 4],
  [22, 11, 57],
  [66, 10, 104],
  [106, 23, 110],
  [147, 38, 103],
  [188, 55, 84],
  [221, 81, 58],
  [243, 120, 25],
  [252, 165, 10],
  [246, 215, 70],
  [252, 255, 164],
];

export function spectrogramGrid(samples: Float32Array, sampleRate: number, options: SpectrogramOptions): SpectrogramGrid {
  const columns = options.columns ?? DEFAULT_COLUMNS;
  const rows = options.rows ?? DEFAULT_ROWS;
  const size = options.windowSize ?? DEFAULT_WINDOW;
  const fft = fftOfSize(size);
  const window = new Float32Array(size);
  let windowSum = 0;
  for (let i = 0; i < size; i++) windowSum += window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
  const amplitudeScale = 2 / windowSum;
  const bins = size / 2;
  const binsPerRow = bins / rows;
  const levels = new Float32Array(rows * columns).fill(-Infinity);
  const frame = new Array<number>(size);
  const spectrum = fft.createComplexArray() as number[];
  const secondsPerColumn = (options.span[1] - options.span[0]) / columns;

  for (let column = 0; column < columns; column++) {
    const centre = Math.round((options.span[0] + (column + 0.5) * secondsPerColumn - (options.startS ?? 0)) * sampleRate);
    const first = centre - size / 2;
    if (first + size <= 0 || first >= samples.length) continue;
    for (let i = 0; i < size; i++) frame[i] = (samples[first + i] ?? 0) * window[i]!;
    fft.realTransform(spectrum, frame);
    for (let row = 0; row < rows; row++) {
      // The loudest bin in the row's band, so that a harmonic narrower than a row still shows.
      let power = 0;
      const to = Math.min(bins, Math.ceil((row + 1) * binsPerRow));
      for (let bin = Math.floor(row * binsPerRow); bin < to; bin++) {
        power = Math.max(power, spectrum[2 * bin]! ** 2 + spectrum[2 * bin + 1]! ** 2);
      }
      levels[row * columns + column] = 20 * Math.log10(Math.sqrt(power) * amplitudeScale);
    }
  }
  return { columns, rows, levels, maxFrequencyHz: sampleRate / 2 };
}

/** The loudest level in the grids, rounded up to 10 dB: a common top for grids to be compared. */
export function loudestLevel(grids: readonly SpectrogramGrid[]): number {
  let loudest = -Infinity;
  for (const grid of grids) for (const level of grid.levels) if (level > loudest) loudest = level;
  return Number.isFinite(loudest) ? Math.ceil(loudest / 10) * 10 : 0;
}

/** Colours the map is painted with: finer steps are invisible on screen and would only cost PNG bytes. */
const COLOUR_STEPS = 32;

/** The colour map sampled at COLOUR_STEPS evenly spaced points, quietest first. */
export const SPECTROGRAM_PALETTE: ReadonlyArray<readonly [number, number, number]> = Array.from({ length: COLOUR_STEPS }, (_, step) => {
  const position = (step / (COLOUR_STEPS - 1)) * (INFERNO.length - 1);
  const index = Math.min(INFERNO.length - 2, Math.floor(position));
  const t = position - index;
  const [a, b] = [INFERNO[index]!, INFERNO[index + 1]!];
  const mix = (channel: 0 | 1 | 2) => Math.round(a[channel] + (b[channel] - a[channel]) * t);
  return [mix(0), mix(1), mix(2)] as const;
});

/** The palette index of a level: `range.top` and louder the brightest, `rangeDb` below it and quieter the darkest. */
export function paletteIndex(levelDb: number, range: LevelRange): number {
  const fraction = (levelDb - (range.top - range.rangeDb)) / range.rangeDb;
  if (!(fraction > 0)) return 0;
  return Math.round(Math.min(1, fraction) * (COLOUR_STEPS - 1));
}

/** The grid painted as an indexed-colour PNG, highest frequencies at the top. */
export function spectrogramPng(grid: SpectrogramGrid, range: LevelRange): Buffer {
  const pixels = new Uint8Array(grid.columns * grid.rows);
  for (let row = 0; row < grid.rows; row++) {
    const y = grid.rows - 1 - row;
    for (let column = 0; column < grid.columns; column++) pixels[y * grid.columns + column] = paletteIndex(grid.levels[row * grid.columns + column]!, range);
  }
  return indexedPng({ width: grid.columns, height: grid.rows, pixels, palette: SPECTROGRAM_PALETTE });
}

export interface SpectrogramFigureOptions {
  span: readonly [number, number];
  range: LevelRange;
  title?: string;
}

const MARGIN = { top: 22, right: 60, bottom: 34, left: 56 } as const;

/** The grid's PNG inside an SVG with a time axis (s), a frequency axis (kHz) and a colour bar (dBFS). */
export function spectrogramSvg(grid: SpectrogramGrid, options: SpectrogramFigureOptions): string {
  const { columns: plotWidth, rows: plotHeight } = grid;
  const width = MARGIN.left + plotWidth + MARGIN.right;
  const height = MARGIN.top + plotHeight + MARGIN.bottom;
  const bottom = MARGIN.top + plotHeight;
  const image = spectrogramPng(grid, options.range).toString('base64');
  const parts: string[] = [];
  if (options.title) parts.push(`<text x="${MARGIN.left}" y="14" font-weight="bold">${escapeMarkup(options.title)}</text>`);
  parts.push(
    `<image class="spectrogram" x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" ` +
      `preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,${image}"/>`,
  );
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);

  const maxKHz = grid.maxFrequencyHz / 1000;
  for (const tick of axisTicks([0, maxKHz], 4).filter((t) => t <= maxKHz + 1e-9)) {
    const y = bottom - (tick / maxKHz) * plotHeight;
    parts.push(`<line x1="${MARGIN.left - 4}" y1="${round(y)}" x2="${MARGIN.left}" y2="${round(y)}" stroke="#333"/>`);
    parts.push(text(MARGIN.left - 6, y + 4, String(tick), 'end'));
  }
  parts.push(text(14, MARGIN.top + plotHeight / 2, 'frequency (kHz)', 'middle', true));

  const [start, end] = options.span;
  const ticks = axisTicks(options.span, 8).filter((t) => t >= start - 1e-9 && t <= end + 1e-9);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  for (const tick of ticks) {
    const x = MARGIN.left + ((tick - start) / (end - start)) * plotWidth;
    parts.push(`<line x1="${round(x)}" y1="${bottom}" x2="${round(x)}" y2="${bottom + 4}" stroke="#333"/>`);
    parts.push(text(x, bottom + 16, tick.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9))), 'middle'));
  }
  parts.push(text(MARGIN.left + plotWidth / 2, bottom + 30, 'time (s)', 'middle'));
  parts.push(colourBar(MARGIN.left + plotWidth + 12, MARGIN.top, plotHeight, options.range));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="spectrogram" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="11" role="img" aria-label="${escapeMarkup(options.title ?? 'spectrogram')}">${parts.join('')}</svg>`
  );
}

function colourBar(x: number, top: number, height: number, range: LevelRange): string {
  const steps = SPECTROGRAM_PALETTE.length;
  const parts: string[] = [];
  for (let i = 0; i < steps; i++) {
    const [r, g, b] = SPECTROGRAM_PALETTE[steps - 1 - i]!;
    parts.push(`<rect x="${x}" y="${round(top + (i * height) / steps)}" width="10" height="${round(height / steps + 0.5)}" fill="rgb(${r},${g},${b})"/>`);
  }
  for (const level of [range.top, range.top - range.rangeDb / 2, range.top - range.rangeDb]) {
    const y = top + ((range.top - level) / range.rangeDb) * height;
    parts.push(text(x + 14, y + 4, String(level), 'start'));
  }
  parts.push(text(x + 14, top + height + 16, 'dBFS', 'start'));
  return parts.join('');
}

function text(x: number, y: number, content: string, anchor: 'start' | 'middle' | 'end', rotate = false): string {
  const transform = rotate ? ` transform="rotate(-90 ${round(x)} ${round(y)})"` : '';
  return `<text x="${round(x)}" y="${round(y)}" text-anchor="${anchor}"${transform}>${escapeMarkup(content)}</text>`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
