// The HTML page of an impairment sweep: mean mosLqo and E-model MOS against configured loss (one line per
// codec, and per burst length when there are several; every measurement as a dot), then the table of results.
// One self-contained file: inline SVG and CSS, no scripts, fonts or network.
import { escapeMarkup } from './escape.js';
import { pageOpening } from './page.js';
import { lineChart, type ChartSeries } from './line-chart.js';
import type { SweepRow } from './sweep-rows.js';

export interface SweepPageInput {
  rows: readonly SweepRow[];
  title?: string;
  /** Free-form facts shown under the title, in order (command, profile, duration, wall time ...). */
  facts?: ReadonlyArray<readonly [label: string, value: string]>;
}

type Metric = 'mosLqo' | 'emodelMos';

const STYLE = [
  'body{font-family:sans-serif;margin:24px;color:#222}',
  'table{border-collapse:collapse;font-size:13px}',
  'th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}',
  'th{background:#f3f3f3}',
  'td.text{text-align:left}',
  'tr.failed td{background:#fdecea}',
  'dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}',
  'dt{font-weight:bold}',
  '.charts{display:flex;flex-wrap:wrap;gap:24px}',
].join('');

export function sweepPage(input: SweepPageInput): string {
  const title = input.title ?? 'earshot sweep';
  const facts = input.facts ?? [];
  const failed = input.rows.filter((row) => row.error !== null).length;
  return [
    ...pageOpening(title, STYLE, facts),
    `<p>${input.rows.length} call directions, ${failed} failed. Lines: the mean over seeds and both directions; dots: each direction of each call.</p>`,
    '<div class="charts">',
    chart(input.rows, 'mosLqo', 'Speech quality (mosLqo) against loss', 'mosLqo (PESQ-WB scale)'),
    chart(input.rows, 'emodelMos', 'E-model MOS against loss', 'E-model MOS'),
    '</div>',
    '<h2>Results</h2>',
    table(input.rows),
    '</body></html>',
    '',
  ].join('\n');
}

/** One series per codec (and burst length, when the rows have several) of the metric's mean against configured loss. */
export function sweepSeries(rows: readonly SweepRow[], metric: Metric): ChartSeries[] {
  const manyBursts = new Set(rows.map((row) => row.meanBurst)).size > 1;
  const groups = new Map<string, SweepRow[]>();
  for (const row of rows) {
    const name = manyBursts ? `${row.codec}, burst ${row.meanBurst}` : row.codec;
    groups.set(name, [...(groups.get(name) ?? []), row]);
  }
  return [...groups].map(([name, group]) => {
    const samples = group.flatMap((row) => (row[metric] === null ? [] : [{ x: row.lossPercent, y: row[metric] }]));
    const byLoss = new Map<number, number[]>();
    for (const sample of samples) byLoss.set(sample.x, [...(byLoss.get(sample.x) ?? []), sample.y]);
    const points = [...byLoss].map(([x, ys]) => ({ x, y: round(ys.reduce((a, b) => a + b, 0) / ys.length, 3) })).sort((a, b) => a.x - b.x);
    return { name, points, samples };
  });
}

function chart(rows: readonly SweepRow[], metric: Metric, title: string, yLabel: string): string {
  const svg = lineChart(sweepSeries(rows, metric), { title, xLabel: 'configured packet loss (%)', yLabel, yDomain: [1, 5] });
  return `<figure>${svg}</figure>`;
}

function table(rows: readonly SweepRow[]): string {
  const head = ['loss %', 'burst', 'codec', 'seed', 'direction', 'mosLqo', 'E-model MOS', 'measured loss %', 'delay ms', 'error'];
  const body = rows.map((row) => {
    const cells = [
      cell(row.lossPercent),
      cell(row.meanBurst),
      cell(row.codec, true),
      cell(row.seed),
      cell(row.direction, true),
      cell(row.mosLqo),
      cell(row.emodelMos),
      cell(row.measuredLossPercent),
      cell(row.delayMs),
      cell(row.error ?? '', true),
    ];
    return `<tr${row.error !== null ? ' class="failed"' : ''}>${cells.join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${escapeMarkup(h)}</th>`).join('')}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table>`;
}

function cell(value: string | number | null, isText = false): string {
  return `<td${isText ? ' class="text"' : ''}>${value === null ? '' : escapeMarkup(value)}</td>`;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
