// The run page's markup, from its model: the run's verdict, a summary of the calls, then per call its
// expectations, scores, setup and timeline, figures over time, and per direction the waveforms and
// spectrograms of what was played against what was heard. Inline CSS, SVG and PNG; no scripts, no fetches.
import type { CallReport, DirectionReport } from '../call/result.js';
import type { ExpectationResult } from '../scenario/expectations.js';
import type { RunCallResult } from '../scenario/run-report.js';
import { escapeMarkup } from './escape.js';
import { lineChart, SERIES_COLOURS, type ChartSeries } from './line-chart.js';
import type { DirectionAudio, FileLink, Missing, RunPageModel, Track } from './run-page.js';
import { setupBarSvg, setupPhases, timelineTable } from './signalling-timeline.js';
import { loudestLevel, spectrogramGrid, spectrogramSvg } from './spectrogram.js';
import { waveformSvg } from './waveform.js';

const FIGURE_WIDTH = 440;
const SPECTROGRAM_ROWS = 128;
const SETUP_BAR_WIDTH = 420;
const SPECTROGRAM_RANGE_DB = 80;
const REFERENCE_COLOUR = '#7f7f7f';
const RECORDING_COLOUR = SERIES_COLOURS[0];

const STYLE = [
  'body{font:13px/1.4 system-ui,sans-serif;margin:20px 24px;color:#1f2328;max-width:1400px}',
  'h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0}h3{font-size:14px;margin:14px 0 6px}',
  'a{color:#0550ae}',
  '.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:bold;letter-spacing:.04em}',
  '.pass .verdict,.verdict.pass{background:#1a7f37}.fail .verdict,.verdict.fail{background:#cf222e}',
  '.banner{font-size:20px;margin:10px 0;padding:10px 14px;border-radius:6px;border:2px solid}',
  '.banner.pass{border-color:#1a7f37;background:#dafbe1}.banner.fail{border-color:#cf222e;background:#ffebe9}',
  'table{border-collapse:collapse;font-size:12px;margin:2px 0}',
  'th,td{border:1px solid #d0d7de;padding:2px 7px;vertical-align:top}',
  'th{background:#f6f8fa;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}',
  'tr.failed td{background:#ffebe9}tr.passed td.verdict-cell{color:#1a7f37}tr.failed td.verdict-cell{color:#cf222e;font-weight:bold}',
  'table.timeline tr:not(.key) td{color:#6e7781}',
  'section.call{border:1px solid #d0d7de;border-left:6px solid;border-radius:6px;padding:12px 16px;margin:18px 0}',
  'section.call.pass{border-left-color:#1a7f37}section.call.fail{border-left-color:#cf222e}',
  '.facts{display:flex;flex-wrap:wrap;gap:2px 18px;margin:6px 0;color:#424a53}.facts b{color:#1f2328}',
  '.error{background:#ffebe9;border:1px solid #cf222e;border-radius:4px;padding:6px 10px;margin:8px 0;white-space:pre-wrap;font-family:ui-monospace,monospace}',
  '.row{display:flex;flex-wrap:wrap;gap:12px 28px;align-items:flex-start}',
  '.directions{display:flex;flex-wrap:wrap;gap:12px 28px}.direction{min-width:0}',
  '.missing{color:#cf222e;border:1px dashed #cf222e;padding:6px 10px;margin:4px 0;max-width:560px}',
  '.note{color:#6e7781;font-size:12px}',
  'figure{margin:0}svg{display:block}',
  'details>summary{cursor:pointer;color:#424a53}',
].join('');

export function renderRunPage(model: RunPageModel): string {
  const { report } = model;
  const title = `earshot run: ${report.scenario}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeMarkup(title)} (${report.passed ? 'passed' : 'failed'})</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<h1>${escapeMarkup(title)}</h1>`,
    report.description ? `<p>${escapeMarkup(report.description)}</p>` : '',
    runBanner(model),
    facts([
      ['script', report.file],
      ['started', report.startedAt],
      ['took', seconds(report.durationMs)],
      ['output', report.outDir],
    ]),
    stanzaLogLinks(model),
    callSummary(report.calls),
    ...report.calls.map((call, index) => callSection(model, call, index)),
    `<p class="note">Made by earshot at ${escapeMarkup(model.generatedAt)}. mosLqo is on the PESQ-WB scale (1 to 4.64); the E-model MOS comes from the RTP statistics (ITU-T G.107/G.107.1).</p>`,
    '</body></html>',
    '',
  ].join('\n');
}

function runBanner({ report }: RunPageModel): string {
  const failedCalls = report.calls.filter((call) => !call.passed).length;
  const expectations = report.calls.flatMap((call) => call.expectations);
  const failedExpectations = expectations.filter((e) => !e.passed).length;
  const verdict = report.passed ? 'PASSED' : 'FAILED';
  const detail =
    `${report.calls.length - failedCalls} of ${report.calls.length} calls passed; ` +
    `${expectations.length - failedExpectations} of ${expectations.length} expectations held`;
  return `<div class="banner ${report.passed ? 'pass' : 'fail'}" id="run-verdict"><span class="verdict ${report.passed ? 'pass' : 'fail'}">${verdict}</span> ${escapeMarkup(detail)}</div>`;
}

function stanzaLogLinks(model: RunPageModel): string {
  const logs = Object.entries(model.report.stanzaLogs ?? {});
  if (logs.length === 0) return '';
  return `<div class="facts">XMPP stanza logs: ${logs.map(([account, path]) => fileAnchor(model, path, account)).join(' ')}</div>`;
}

function callSummary(calls: readonly RunCallResult[]): string {
  const rows = calls.map((call, index) => {
    const directions = call.report?.directions ?? [];
    const mos = directions.map((d) => `${escapeMarkup(directionName(d))} ${format(speech(d)?.mosLqo, 2)}`).join('<br>');
    const failed = call.expectations.filter((e) => !e.passed).map((e) => e.message);
    const problem = call.error ?? failed.join('; ');
    return (
      `<tr class="${call.passed ? 'passed' : 'failed'}"><td class="verdict-cell">${call.passed ? 'PASS' : 'FAIL'}</td>` +
      `<td><a href="#call-${index + 1}">${escapeMarkup(call.name)}</a></td>` +
      `<td class="num">${format(call.report?.setupMs, 0)}</td><td>${mos || '–'}</td><td class="num">${seconds(call.elapsedMs)}</td>` +
      `<td>${escapeMarkup(problem)}</td></tr>`
    );
  });
  return (
    '<h3>Calls</h3><table class="summary"><thead><tr><th>verdict</th><th>call</th><th>setup ms</th><th>mosLqo</th><th>took</th><th>what failed</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function callSection(model: RunPageModel, call: RunCallResult, index: number): string {
  const report = call.report;
  const verdict = call.passed ? 'pass' : 'fail';
  const parts = [
    `<section class="call ${verdict}" id="call-${index + 1}">`,
    `<h2><span class="verdict">${call.passed ? 'PASS' : 'FAIL'}</span> ${escapeMarkup(call.name)}</h2>`,
    callFacts(call, report, model),
  ];
  if (call.error) parts.push(`<div class="error"><b>Error:</b> ${escapeMarkup(call.error)}</div>`);
  parts.push('<div class="row">', `<div>${expectationTable(call.expectations)}</div>`);
  if (report) {
    parts.push(
      `<div>${scoreTable(report)}</div>`,
      `<div><h3>Signalling</h3>${setupBarSvg(setupPhases(report.timeline), SETUP_BAR_WIDTH)}${timelineTable(report.timeline)}</div>`,
      '</div>',
      `<h3>Over time</h3><div class="row">${overTimeCharts(report)}</div>`,
      `<div class="directions">${report.directions.map((d, i) => directionPanel(model, d, model.audio[index]?.[i])).join('')}</div>`,
    );
  } else {
    parts.push('</div>');
  }
  parts.push(stepsTable(call), '</section>');
  return parts.join('\n');
}

function callFacts(call: RunCallResult, report: CallReport | null, model: RunPageModel): string {
  const items: Array<[string, string]> = [
    ['caller', report?.caller ?? call.caller],
    ['callee', report?.callee ?? call.callee],
  ];
  if (report) {
    items.push(
      ['signalling', report.signalling === 'jmi' ? 'JMI (XEP-0353)' : 'direct session-initiate'],
      ['codec', report.codec ? `${report.codec.name}/${report.codec.clockRate} PT ${report.codec.payloadType}` : 'none'],
      ['setup', report.setupMs === null ? 'not connected' : `${report.setupMs} ms`],
      ['media', seconds(report.durationMs)],
      ['ended', `${report.end.condition}${report.end.text ? ` (${report.end.text})` : ''} by ${report.end.by === 'local' ? 'this end' : 'the peer'}`],
    );
    if (report.impairment) items.push(['network', `${report.impairment.profile} (seed ${report.impairment.seed})`]);
  }
  items.push(['started', new Date(call.startedAt).toISOString()], ['took', seconds(call.elapsedMs)]);
  const files = [fileAnchor(model, call.files.pcap, 'pcap'), fileAnchor(model, call.files.stanzaLog, 'stanza log')].filter(Boolean);
  return facts(items) + (files.length > 0 ? `<div class="facts">${files.join(' ')}</div>` : '');
}

function expectationTable(expectations: readonly ExpectationResult[]): string {
  if (expectations.length === 0) return '<h3>Expectations</h3><p class="note">none written for this call</p>';
  const rows = expectations.map(
    (e) =>
      `<tr class="${e.passed ? 'passed' : 'failed'}"><td>${escapeMarkup(e.name)}</td><td>${escapeMarkup(e.expected.trim())}</td>` +
      `<td class="num">${e.actual === null ? 'not measured' : escapeMarkup(e.actual)}</td><td class="verdict-cell">${e.passed ? 'pass' : 'FAIL'}</td></tr>`,
  );
  return (
    '<h3>Expectations</h3><table class="expectations"><thead><tr><th>figure</th><th>expected</th><th>actual</th><th>verdict</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

type SpeechScores = Extract<NonNullable<DirectionReport['quality']>, { mosLqo: number }>;

function speech(direction: DirectionReport): SpeechScores | undefined {
  return direction.quality && 'mosLqo' in direction.quality ? direction.quality : undefined;
}

function scoreTable(report: CallReport): string {
  const ds = report.directions;
  const row = (label: string, unit: string, cells: Array<string | number | null | undefined>, digits: number) =>
    `<tr><th>${escapeMarkup(label)}${unit ? ` <span class="note">${escapeMarkup(unit)}</span>` : ''}</th>${cells.map((c) => `<td class="num">${typeof c === 'string' ? escapeMarkup(c) : format(c, digits)}</td>`).join('')}</tr>`;
  const rows = [
    row('mosLqo', 'PESQ-WB', ds.map((d) => speech(d)?.mosLqo ?? qualityVerdict(d)), 2),
    row('E-model MOS', '', ds.map((d) => d.emodel?.mos), 2),
    row('E-model R', '', ds.map((d) => d.emodel && `${d.emodel.r.toFixed(1)} (${d.emodel.band})`), 1),
    row('ViSQOL MOS', '', ds.map((d) => speech(d)?.visqol?.mos), 2),
    row('STOI', '0..1', ds.map((d) => speech(d)?.stoi), 3),
    row('segmental SNR', 'dB', ds.map((d) => speech(d)?.segSnrDb), 1),
    row('mouth-to-ear delay', 'ms', ds.map((d) => d.emodel && `${d.emodel.mouthToEarDelayMs.toFixed(0)}${d.emodel.delayFrom === 'estimate' ? ' (est.)' : ''}`), 0),
    row('packets sent / received', '', ds.map((d) => `${format(d.packets.sent, 0)} / ${format(d.packets.received, 0)}`), 0),
    row('loss', '%', ds.map((d) => d.network?.lossPercent ?? percent(d.packets.lost, d.packets.sent)), 2),
    row('jitter', 'ms', ds.map((d) => d.network?.jitterMs ?? d.jitterMs), 1),
    row('late / duplicate', 'packets', ds.map((d) => `${format(d.packets.late, 0)} / ${format(d.packets.duplicates, 0)}`), 0),
    row('concealed', 'packets', ds.map((d) => d.packets.concealed), 0),
    row('jitter buffer', 'ms', ds.map((d) => d.meanBufferDelayMs), 0),
    row('RTT', 'ms', ds.map(() => report.rttMs), 1),
  ];
  const head = ds.map((d) => `<th>${escapeMarkup(directionName(d))}${d.measuredBy === 'rtcp' ? ' <span class="note">(far end RTCP)</span>' : ''}</th>`).join('');
  return `<h3>Scores</h3><table class="scores"><thead><tr><th></th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function qualityVerdict(direction: DirectionReport): string | undefined {
  const quality = direction.quality;
  return quality && 'verdict' in quality ? quality.verdict : undefined;
}

function overTimeCharts(report: CallReport): string {
  const size = { width: 360, height: 170 };
  const series = (pick: (d: DirectionReport) => Array<{ x: number; y: number }>): ChartSeries[] =>
    report.directions.map((d) => ({ name: directionName(d), points: pick(d) }));
  const mos = series((d) => (speech(d)?.windows ?? []).flatMap((w) => (w.mosLqo === null ? [] : [{ x: w.startS, y: w.mosLqo }])));
  const loss = series((d) => (d.networkWindows ?? []).map((w) => ({ x: w.startS, y: w.lossPercent })));
  const jitter = series((d) => (d.networkWindows ?? []).map((w) => ({ x: w.startS, y: w.jitterMs })));
  const top = (all: ChartSeries[], floor: number) => Math.max(floor, ...all.flatMap((s) => s.points.map((p) => p.y)));
  const xDomain = [0, Math.max(1, report.durationMs / 1000)] as const;
  return [
    lineChart(mos, { ...size, title: 'mosLqo per window', xLabel: 'window start (s)', yLabel: 'mosLqo', xDomain, yDomain: [1, 5] }),
    lineChart(loss, { ...size, title: 'packet loss per window', xLabel: 'window start (s)', yLabel: 'loss (%)', xDomain, yDomain: [0, top(loss, 5)] }),
    lineChart(jitter, { ...size, title: 'jitter per window', xLabel: 'window start (s)', yLabel: 'jitter (ms)', xDomain, yDomain: [0, top(jitter, 5)] }),
  ]
    .map((svg) => `<figure class="chart">${svg}</figure>`)
    .join('');
}

function directionPanel(model: RunPageModel, direction: DirectionReport, audio: DirectionAudio | undefined): string {
  const name = directionName(direction);
  const links = [
    fileAnchor(model, direction.reference, 'reference'),
    fileAnchor(model, direction.recording ?? undefined, 'recording'),
    fileAnchor(model, direction.packetLog ?? undefined, 'packet log'),
  ].filter(Boolean);
  const parts = [
    `<div class="direction" data-direction="${escapeMarkup(name)}">`,
    `<h3>${escapeMarkup(name)}: mosLqo ${format(speech(direction)?.mosLqo, 2)}</h3>`,
    `<div class="facts">${links.join(' ')}</div>`,
  ];
  if (!audio) {
    parts.push('<div class="missing">no audio to show</div>');
  } else {
    parts.push(audioFigures(audio, name));
  }
  parts.push('</div>');
  return parts.join('');
}

function audioFigures(audio: DirectionAudio, name: string): string {
  const tracks = [
    { label: 'reference (as played)', track: audio.reference, colour: REFERENCE_COLOUR },
    { label: 'recording (as heard)', track: audio.recording, colour: RECORDING_COLOUR },
  ];
  const present = tracks.filter((t): t is typeof t & { track: Track } => 'samples' in t.track);
  const parts = tracks.filter((t) => !('samples' in t.track)).map((t) => `<div class="missing">${escapeMarkup(t.label)}: ${escapeMarkup((t.track as Missing).problem)}</div>`);
  if (present.length === 0) return parts.join('');
  parts.push(
    `<figure>${waveformSvg(
      present.map((t) => ({ name: t.label, samples: t.track.samples, sampleRate: t.track.sampleRate, startS: t.track.startS, colour: t.colour })),
      { span: audio.span, plotWidth: FIGURE_WIDTH, title: `Waveforms, ${name}` },
    )}</figure>`,
    `<p class="note">${escapeMarkup(audio.alignment)}</p>`,
  );
  const grids = present.map((t) =>
    spectrogramGrid(t.track.samples, t.track.sampleRate, { span: audio.span, startS: t.track.startS, columns: FIGURE_WIDTH, rows: SPECTROGRAM_ROWS }),
  );
  const range = { top: loudestLevel(grids), rangeDb: SPECTROGRAM_RANGE_DB };
  present.forEach((t, i) => parts.push(`<figure>${spectrogramSvg(grids[i]!, { span: audio.span, range, title: `Spectrogram, ${t.label}` })}</figure>`));
  return parts.join('');
}

function stepsTable(call: RunCallResult): string {
  if (call.steps.length === 0) return '';
  const rows = call.steps.map(
    (s) =>
      `<tr class="${s.ok ? 'passed' : 'failed'}"><td class="num">${format(s.atMs, 0)}</td><td>${escapeMarkup(s.step)}</td><td>${escapeMarkup(s.side ?? '')}</td>` +
      `<td class="verdict-cell">${s.ok ? 'ok' : 'FAILED'}</td><td>${escapeMarkup(s.detail ?? '')}</td></tr>`,
  );
  // Open when something went wrong: the steps are then what the reader needs.
  const open = call.passed ? '' : ' open';
  return (
    `<details class="steps"${open}><summary>Steps (${call.steps.length})</summary>` +
    '<table><thead><tr><th>at ms</th><th>step</th><th>side</th><th>result</th><th>detail</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table></details>`
  );
}

function fileAnchor(model: RunPageModel, path: string | undefined, label: string): string {
  if (!path) return '';
  const link: FileLink | undefined = model.links[path];
  if (!link || !link.exists) return `<span class="missing-file" title="${escapeMarkup(link?.path ?? path)}">${escapeMarkup(label)}: missing</span>`;
  return `<a href="${escapeMarkup(link.href)}" title="${escapeMarkup(link.path)}">${escapeMarkup(label)}</a>`;
}

function facts(items: ReadonlyArray<readonly [string, string]>): string {
  return `<div class="facts">${items.map(([label, value]) => `<span>${escapeMarkup(label)} <b>${escapeMarkup(value)}</b></span>`).join('')}</div>`;
}

/** `alice → bob`: the local parts, which is what distinguishes the ends in a test. */
function directionName(direction: DirectionReport): string {
  const short = (jid: string) => (jid.includes('@') ? jid.slice(0, jid.indexOf('@')) : jid);
  return `${short(direction.from)} → ${short(direction.to)}`;
}

function format(value: number | null | undefined | string, digits: number): string {
  if (typeof value === 'string') return escapeMarkup(value);
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function percent(part: number | null, whole: number | null): number | null {
  return part === null || whole === null || whole === 0 ? null : (100 * part) / whole;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
