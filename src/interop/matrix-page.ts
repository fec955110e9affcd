// The HTML page of an interop run, laid out like the 2010 interop event's report: one grid per server and
// transport variant, callers as rows and callees as columns; a cell is green with its mosLqo, red with its reason,
// grey when it was not run, and marked when its media was not encrypted. One self-contained file, no scripts.
import { escapeMarkup } from '../report/escape.js';
import { pageOpening } from '../report/page.js';
import { variantName, type InteropCell, type InteropMatrix, type PeerKind } from './matrix.js';

export interface MatrixPageInput {
  matrix: InteropMatrix;
  title?: string;
  /** Free-form facts shown under the title, in order (command, duration, wall time ...). */
  facts?: ReadonlyArray<readonly [label: string, value: string]>;
}

// The look of the sweep page (src/report/sweep-page.ts), plus the cell colours.
const STYLE = [
  'body{font-family:sans-serif;margin:24px;color:#222}',
  'table{border-collapse:collapse;font-size:13px;margin-bottom:24px}',
  'th,td{border:1px solid #ccc;padding:3px 8px;vertical-align:top}',
  'th{background:#f3f3f3}',
  'td.ok{background:#dff0d8}',
  'td.failed{background:#fdecea}',
  'td.not-run{background:#eeeeee;color:#666}',
  'td.none{background:#fafafa}',
  '.mos{font-weight:bold;font-size:15px}',
  '.reason{max-width:28em;font-size:12px}',
  '.unencrypted{display:inline-block;margin-left:6px;padding:0 4px;border:1px solid #a94442;color:#a94442;font-size:11px}',
  '.notes{font-size:11px;color:#555;max-width:28em}',
  'dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}',
  'dt{font-weight:bold}',
].join('');

export function matrixPage(input: MatrixPageInput): string {
  const title = input.title ?? 'earshot interop matrix';
  const cells = input.matrix.cells;
  const run = cells.filter((cell) => cell.run);
  const ok = run.filter((cell) => cell.ok).length;
  return [
    ...pageOpening(title, STYLE, input.facts),
    `<p>${cells.length} cells: ${ok} ok, ${run.length - ok} failed, ${cells.length - run.length} not run. Rows: caller; columns: callee. ` +
      'A green cell shows the mosLqo of the worse direction (PESQ-WB scale); a red cell the reason it failed.</p>',
    ...variants(cells).map(([name, group]) => grid(name, group)),
    '</body></html>',
    '',
  ].join('\n');
}

/** The cells grouped per server, TURN and IP variant, in the order they first appear. */
export function variants(cells: readonly InteropCell[]): Array<[name: string, cells: InteropCell[]]> {
  const groups = new Map<string, InteropCell[]>();
  for (const cell of cells) {
    const name = variantName(cell);
    groups.set(name, [...(groups.get(name) ?? []), cell]);
  }
  return [...groups];
}

function grid(name: string, cells: readonly InteropCell[]): string {
  const callers = unique(cells.map((cell) => cell.caller));
  const callees = unique(cells.map((cell) => cell.callee));
  const head = `<tr><th>caller \\ callee</th>${callees.map((callee) => `<th>${escapeMarkup(callee)}</th>`).join('')}</tr>`;
  const rows = callers.map((caller) => {
    const tds = callees.map((callee) => gridCell(cells.find((cell) => cell.caller === caller && cell.callee === callee)));
    return `<tr><th>${escapeMarkup(caller)}</th>${tds.join('')}</tr>`;
  });
  return `<h2>${escapeMarkup(name)}</h2>\n<table><thead>${head}</thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function gridCell(cell: InteropCell | undefined): string {
  if (!cell) return '<td class="none"></td>';
  const unencrypted = cell.media?.encrypted === false ? '<span class="unencrypted">unencrypted</span>' : '';
  const notes = [...(cell.media?.selectedPair ? [cell.media.selectedPair] : []), ...(cell.media?.notes ?? [])];
  const notesHtml = notes.length > 0 ? `<div class="notes">${notes.map(escapeMarkup).join('<br>')}</div>` : '';
  if (!cell.run) return `<td class="not-run"><div class="reason">${escapeMarkup(cell.reason ?? 'not run')}</div></td>`;
  const mos = cell.mosLqo === null ? '' : `<span class="mos">${cell.mosLqo.toFixed(2)}</span>`;
  if (cell.ok) return `<td class="ok">${mos}${unencrypted}${notesHtml}</td>`;
  return `<td class="failed">${mos}${unencrypted}<div class="reason">${escapeMarkup(cell.reason ?? 'failed')}</div>${notesHtml}</td>`;
}

function unique(kinds: readonly PeerKind[]): PeerKind[] {
  return [...new Set(kinds)];
}
