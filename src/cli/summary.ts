// A call report as a few lines a person reads at a glance.
import type { CallReport, DirectionReport } from '../call/index.js';
import type { SpeechQuality } from '../metrics/index.js';
import { bareJid } from '../xmpp/index.js';

export function summarize(report: CallReport): string {
  const codec = report.codec ? `${report.codec.name}/${report.codec.clockRate}` : 'no codec';
  const setup = report.setupMs === null ? 'not connected' : `setup ${report.setupMs} ms`;
  const end = `${report.end.condition}${report.end.text ? ` (${report.end.text})` : ''}`;
  const lines = [
    `call ${report.caller} -> ${report.callee} via ${report.signalling === 'jmi' ? 'JMI' : 'session-initiate'}: ${codec}, ${setup}, ` +
      `${(report.durationMs / 1000).toFixed(1)} s of media${report.rttMs === null ? '' : `, RTT ${report.rttMs} ms`}, ended: ${end}`,
  ];
  if (report.encryption === 'none') lines.push('  WARNING: unencrypted call: plain RTP without DTLS-SRTP (--insecure-rtp); anyone on the path could hear and alter it');
  for (const direction of report.directions) lines.push(describeDirection(direction));
  return `${lines.join('\n')}\n`;
}

function describeDirection(d: DirectionReport): string {
  const p = d.packets;
  const figure = (value: number | null) => (value === null ? '?' : String(value));
  const jitter = d.jitterMs === null ? '?' : d.jitterMs.toFixed(2);
  const heard = d.recording ? `\n    recording: ${d.recording}` : '';
  const scores = d.quality ? `\n    ${describeScores(d)}` : '';
  return (
    `  ${bareJid(d.from)} -> ${bareJid(d.to)}: sent ${figure(p.sent)}, received ${figure(p.received)}, lost ${figure(p.lost)}, ` +
    `late ${figure(p.late)}, concealed ${figure(p.concealed)}, jitter ${jitter} ms${scores}${heard}`
  );
}

function describeScores(d: DirectionReport): string {
  const emodel = d.emodel ? `E-model MOS ${d.emodel.mos.toFixed(2)} (R ${d.emodel.r.toFixed(0)}, ${d.emodel.band})` : '';
  const q = d.quality;
  if (!q) return emodel;
  if ('verdict' in q) return `not scored: ${q.reason}; ${emodel}`;
  const visqol = q.visqol ? `, ViSQOL ${q.visqol.mos.toFixed(2)}` : '';
  const delay =
    d.emodel?.delayFrom === 'recording'
      ? `mouth-to-ear delay ${q.delayMs.toFixed(0)} ms`
      : `speech ${q.delayMs.toFixed(0)} ms into the recording (far end's start unknown; E-model delay estimated ${d.emodel?.mouthToEarDelayMs.toFixed(0) ?? '?'} ms)`;
  return `mosLqo ${q.mosLqo.toFixed(2)}, ${delay}, ${emodel}${visqol}, STOI ${q.stoi.toFixed(2)}`;
}


export function describeQuality(q: SpeechQuality): string {
  const visqol = q.visqol ? `, ViSQOL ${q.visqol.mos.toFixed(2)}` : '';
  const windows = q.windows.map((w) => (w.mosLqo === null ? '-' : w.mosLqo.toFixed(1))).join(' ');
  return (
    `mosLqo ${q.mosLqo.toFixed(2)}, delay ${q.delayMs.toFixed(1)} ms${visqol}, STOI ${q.stoi.toFixed(3)}, segSNR ${q.segSnrDb.toFixed(1)} dB\n` +
    `  over time (${q.windows.length} windows): ${windows}\n` +
    `  levels: reference ${q.levels.referenceActiveDb} dB, recording ${q.levels.recordingActiveDb} dB active; clipped ${(100 * q.clippingRatio).toFixed(2)}%, ` +
    `dropped ${(100 * q.droppedRatio).toFixed(1)}% of speech`
  );
}
