// What `earshot run` shows while a script runs: on a terminal, one line per running call redrawn twice a second
// (state, elapsed time, packets, a running E-model MOS); elsewhere (CI logs, pipes) plain lines when something
// changes. Finished calls print their verdict either way.
import type { LiveCall, RunCallResult, RunProgress } from '../scenario/index.js';
import { eModel, findEModelCodec } from '../metrics/index.js';
import { bareJid } from '../xmpp/index.js';

const REDRAW_MS = 500;

export class ProgressDisplay implements RunProgress {
  private readonly live = new Set<LiveCall>();
  private readonly lastActivity = new Map<LiveCall, string>();
  private readonly timer: NodeJS.Timeout;
  private drawnLines = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly interactive = Boolean(out.isTTY),
  ) {
    this.timer = setInterval(() => this.tick(), REDRAW_MS);
  }

  message(text: string): void {
    this.print(`earshot: ${text}`);
  }

  callStarted(call: LiveCall): void {
    this.live.add(call);
    if (!this.interactive) this.print(`${call.name}: placing the call`);
  }

  callFinished(result: RunCallResult): void {
    for (const call of this.live) if (call.name === result.name) this.live.delete(call);
    this.print(verdictLines(result).join('\n'));
  }

  stop(): void {
    clearInterval(this.timer);
    this.clear();
  }

  private tick(): void {
    if (this.interactive) {
      this.clear();
      const lines = [...this.live].map(liveLine);
      if (lines.length) this.out.write(`${lines.join('\n')}\n`);
      this.drawnLines = lines.length;
      return;
    }
    for (const call of this.live) {
      if (this.lastActivity.get(call) === call.activity) continue;
      this.lastActivity.set(call, call.activity);
      this.out.write(`${liveLine(call)}\n`);
    }
  }

  private print(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  private clear(): void {
    if (!this.interactive || this.drawnLines === 0) return;
    this.out.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }
}

function liveLine(call: LiveCall): string {
  const elapsed = `${((Date.now() - call.startedAt) / 1000).toFixed(1)} s`;
  const stats = call.leg?.liveStats();
  if (!stats || stats.phase !== 'media') return `${call.name}: ${call.activity}, ${elapsed}`;
  const loss = stats.received + stats.lost > 0 ? (100 * stats.lost) / (stats.received + stats.lost) : 0;
  return (
    `${call.name}: ${call.activity}, ${elapsed}, ${stats.codec ?? '?'}, sent ${stats.sent}, received ${stats.received}, ` +
    `lost ${stats.lost} (${loss.toFixed(1)} %)${stats.jitterMs === undefined ? '' : `, jitter ${stats.jitterMs.toFixed(1)} ms`}` +
    `${runningScore(stats.codec, loss, stats.rttMs, stats.meanBufferDelayMs)}`
  );
}

/** An E-model MOS from the figures so far: one-way delay taken as RTT/2 plus the jitter buffer and one frame. */
function runningScore(codec: string | undefined, lossPercent: number, rttMs: number | undefined, bufferMs: number | undefined): string {
  const known = codec && findEModelCodec(codec);
  if (!known || !Number.isFinite(lossPercent)) return '';
  const finite = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value : 0);
  const delay = finite(rttMs) / 2 + finite(bufferMs) + 20;
  const { mos } = eModel({ codec: known, lossPercent: Math.min(100, lossPercent), mouthToEarDelayMs: delay });
  return `, E-model MOS ~${mos.toFixed(2)}`;
}

/** A finished call: PASS/FAIL with the figures that decided it. */
export function verdictLines(result: RunCallResult): string[] {
  const report = result.report;
  const headline = report
    ? `setup ${report.setupMs ?? '-'} ms, ${(report.durationMs / 1000).toFixed(1)} s of media, ended ${report.end.condition}`
    : 'no call';
  const lines = [`${result.passed ? 'PASS' : 'FAIL'} ${result.name} (${(result.elapsedMs / 1000).toFixed(1)} s): ${headline}`];
  for (const direction of report?.directions ?? []) {
    const quality = direction.quality && 'mosLqo' in direction.quality ? `mosLqo ${direction.quality.mosLqo.toFixed(2)}` : `not scored${direction.quality && 'reason' in direction.quality ? ` (${direction.quality.reason})` : ''}`;
    const emodel = direction.emodel ? `, E-model ${direction.emodel.mos.toFixed(2)}` : '';
    const loss = direction.network ? `, loss ${direction.network.lossPercent.toFixed(1)} %, jitter ${direction.network.jitterMs.toFixed(1)} ms` : '';
    lines.push(`    ${bareJid(direction.from)} -> ${bareJid(direction.to)}: ${quality}${emodel}${loss}`);
  }
  if (result.error) lines.push(`    error: ${result.error}`);
  for (const expectation of result.expectations) lines.push(`    ${expectation.passed ? 'ok  ' : 'FAIL'} ${expectation.message}`);
  return lines;
}

