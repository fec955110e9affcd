// A line chart as a self-contained SVG string (no scripts, fonts or external references): axes with ticks,
// axis labels, a legend, one path per series through its points, and optional loose samples drawn as dots.
import { escapeMarkup } from './escape.js';

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartSeries {
  name: string;
  /** Joined by the series' line, in x order. */
  points: readonly ChartPoint[];
  /** Single observations behind the line (one per run, say), drawn as dots in the series' colour. */
  samples?: readonly ChartPoint[];
}

export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  title?: string;
  /** Pixels; default 640 x 360. */
  width?: number;
  height?: number;
  /** Fixed axis ranges; default: the data's range widened to round ticks. */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
}

/** Colour-blind-safe (Okabe-Ito), cycled when there are more series. */
export const SERIES_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#f0e442'] as const;

const MARGIN = { top: 36, right: 16, bottom: 48, left: 56 };
const LEGEND_ROW_PX = 18;

export function lineChart(series: readonly ChartSeries[], options: LineChartOptions): string {
  const width = options.width ?? 640;
  const legendHeight = series.length * LEGEND_ROW_PX;
  const height = (options.height ?? 360) + legendHeight;
  const plot = { left: MARGIN.left, top: MARGIN.top, right: width - MARGIN.right, bottom: height - MARGIN.bottom - legendHeight };
  const all = series.flatMap((s) => [...s.points, ...(s.samples ?? [])]).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xTicks = axisTicks(options.xDomain ?? extent(all.map((p) => p.x)));
  const yTicks = axisTicks(options.yDomain ?? extent(all.map((p) => p.y)));
  const xScale = scale(xTicks, plot.left, plot.right);
  const yScale = scale(yTicks, plot.bottom, plot.top);

  const parts: string[] = [];
  if (options.title) parts.push(text(width / 2, 20, options.title, { anchor: 'middle', weight: 'bold' }));
  for (const tick of yTicks) {
    const y = yScale(tick);
    parts.push(`<line class="grid" x1="${plot.left}" y1="${px(y)}" x2="${plot.right}" y2="${px(y)}" stroke="#e4e4e4"/>`);
    parts.push(text(plot.left - 6, y + 4, formatTick(tick, yTicks), { anchor: 'end' }));
  }
  for (const tick of xTicks) {
    const x = xScale(tick);
    parts.push(`<line class="tick" x1="${px(x)}" y1="${plot.bottom}" x2="${px(x)}" y2="${plot.bottom + 5}" stroke="#333"/>`);
    parts.push(text(x, plot.bottom + 18, formatTick(tick, xTicks), { anchor: 'middle' }));
  }
  parts.push(`<line class="axis" x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}" stroke="#333"/>`);
  parts.push(`<line class="axis" x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}" stroke="#333"/>`);
  parts.push(text((plot.left + plot.right) / 2, plot.bottom + 36, options.xLabel, { anchor: 'middle' }));
  const yMid = (plot.top + plot.bottom) / 2;
  parts.push(text(16, yMid, options.yLabel, { anchor: 'middle', rotate: true }));
  if (all.length === 0) parts.push(text((plot.left + plot.right) / 2, yMid, 'no data', { anchor: 'middle' }));

  series.forEach((s, index) => {
    const colour = SERIES_COLOURS[index % SERIES_COLOURS.length]!;
    const points = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(xScale(p.x))} ${px(yScale(p.y))}`).join(' ');
    parts.push(`<g class="series" data-series="${escapeMarkup(s.name)}">`);
    parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"><title>${escapeMarkup(s.name)}</title></path>`);
    for (const p of points) parts.push(dot(xScale(p.x), yScale(p.y), 3.5, colour, true, `${s.name}: ${p.y} at ${p.x}`));
    for (const p of s.samples ?? []) {
      if (Number.isFinite(p.x) && Number.isFinite(p.y)) parts.push(dot(xScale(p.x), yScale(p.y), 2.5, colour, false, `${s.name}: ${p.y} at ${p.x}`));
    }
    parts.push('</g>');
    const legendY = height - legendHeight + index * LEGEND_ROW_PX;
    parts.push(`<line class="legend" x1="${plot.left}" y1="${legendY}" x2="${plot.left + 24}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>`);
    parts.push(text(plot.left + 30, legendY + 4, s.name, {}));
  });

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="12" role="img" aria-label="${escapeMarkup(options.title ?? `${options.yLabel} against ${options.xLabel}`)}">` +
    parts.join('') +
    '</svg>'
  );
}

/**
 * Round tick values (steps of 1, 2 or 5 times a power of ten, about `count` of them) whose first and last
 * enclose [min, max]. A single value gets a range around it.
 */
export function axisTicks([min, max]: readonly [number, number], count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`axis range [${min}, ${max}] is not finite`);
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    [min, max] = [min - pad, max + pad];
  }
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

function extent(values: number[]): [number, number] {
  return values.length === 0 ? [0, 1] : [Math.min(...values), Math.max(...values)];
}

function scale(ticks: number[], from: number, to: number): (value: number) => number {
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  return (value) => from + ((value - lo) / (hi - lo)) * (to - from);
}

function formatTick(value: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}

function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function text(x: number, y: number, content: string, style: { anchor?: 'middle' | 'end'; weight?: 'bold'; rotate?: boolean }): string {
  const attributes = [
    `x="${px(x)}"`,
    `y="${px(y)}"`,
    style.anchor ? `text-anchor="${style.anchor}"` : '',
    style.weight ? `font-weight="${style.weight}"` : '',
    style.rotate ? `transform="rotate(-90 ${px(x)} ${px(y)})"` : '',
  ].filter(Boolean);
  return `<text ${attributes.join(' ')}>${escapeMarkup(content)}</text>`;
}

function dot(x: number, y: number, radius: number, colour: string, filled: boolean, label: string): string {
  const fill = filled ? colour : 'white';
  return `<circle cx="${px(x)}" cy="${px(y)}" r="${radius}" fill="${fill}" stroke="${colour}"><title>${escapeMarkup(label)}</title></circle>`;
}
