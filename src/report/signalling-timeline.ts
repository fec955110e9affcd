// A call's signalling timeline for the run page: where the setup time went (a bar of phases: JMI, offer and
// answer, ICE and DTLS, first media) and every event with its offset, as an HTML table.
import type { TimelineEntry } from '../call/result.js';
import { escapeMarkup } from './escape.js';
import { SERIES_COLOURS } from './line-chart.js';

export interface SetupPhase {
  name: string;
  fromMs: number;
  toMs: number;
}

/** Events a tester looks for first; the rest (transport-info, DTMF ...) are shown quieter. */
const KEY_EVENT = /^(propose|proceed|ringing|session-initiate|session-accept|media connected|first media|session-terminate|ended|setup failed|transport failed)/;

/**
 * The setup cut at the events that end each phase, where the timeline has them: JMI (propose to proceed), the
 * offer and answer (to session-accept), ICE and DTLS (to media connected), and the first packet heard.
 */
export function setupPhases(timeline: readonly TimelineEntry[]): SetupPhase[] {
  const ends: Array<[name: string, event: RegExp]> = [
    ['JMI propose/proceed', /^proceed (sent|received)/],
    ['offer/answer', /^session-accept (sent|received)/],
    ['ICE + DTLS', /^media connected/],
    ['first RTP', /^first media received/],
  ];
  const phases: SetupPhase[] = [];
  let fromMs = 0;
  for (const [name, event] of ends) {
    const end = timeline.find((entry) => event.test(entry.event));
    if (!end || end.atMs < fromMs) continue;
    phases.push({ name, fromMs, toMs: end.atMs });
    fromMs = end.atMs;
  }
  return phases;
}

export function setupBarSvg(phases: readonly SetupPhase[], width = 480): string {
  const total = phases.at(-1)?.toMs ?? 0;
  if (phases.length === 0 || total <= 0) return '';
  const barTop = 20;
  const barHeight = 20;
  const charWidth = 6.2;
  const parts = [`<text x="0" y="13" font-weight="bold">setup ${round(total)} ms, from placing the call to the first packet heard</text>`];
  phases.forEach((phase, index) => {
    const x = (phase.fromMs / total) * width;
    const w = Math.max(1, ((phase.toMs - phase.fromMs) / total) * width);
    const figure = `${phase.name}: ${round(phase.toMs - phase.fromMs)} ms`;
    parts.push(`<rect x="${round(x)}" y="${barTop}" width="${round(w)}" height="${barHeight}" fill="${phaseColour(index)}"><title>${escapeMarkup(figure)}</title></rect>`);
    // A label only where it fits; the legend below names every phase.
    if (w > figure.length * charWidth + 8) parts.push(`<text x="${round(x + 4)}" y="${barTop + 14}" fill="#fff">${escapeMarkup(figure)}</text>`);
  });
  let legendX = 0;
  let legendY = barTop + barHeight + 16;
  phases.forEach((phase, index) => {
    const figure = `${phase.name} ${round(phase.toMs - phase.fromMs)} ms`;
    const itemWidth = 24 + figure.length * charWidth;
    if (legendX > 0 && legendX + itemWidth > width) {
      legendX = 0;
      legendY += 16;
    }
    parts.push(`<rect x="${legendX}" y="${legendY - 9}" width="10" height="10" fill="${phaseColour(index)}"/>`);
    parts.push(`<text x="${legendX + 14}" y="${legendY}">${escapeMarkup(figure)}</text>`);
    legendX += itemWidth;
  });
  const height = legendY + 6;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="setup-bar" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="11" role="img" aria-label="call setup phases">${parts.join('')}</svg>`
  );
}

function phaseColour(index: number): string {
  return SERIES_COLOURS[index % SERIES_COLOURS.length]!;
}

/** Every event in order, with its offset from the start of the leg and from the event before. */
export function timelineTable(timeline: readonly TimelineEntry[]): string {
  const rows = timeline.map((entry, index) => {
    const since = index === 0 ? entry.atMs : entry.atMs - timeline[index - 1]!.atMs;
    const key = KEY_EVENT.test(entry.event);
    return `<tr${key ? ' class="key"' : ''}><td class="num">${round(entry.atMs)}</td><td class="num">+${round(since)}</td><td class="text">${escapeMarkup(entry.event)}</td></tr>`;
  });
  return (
    '<table class="timeline"><thead><tr><th>at ms</th><th>Δ ms</th><th>event</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
