// Scores every direction of a finished call that earshot has both ends of, or the received side of.
import type { Call } from './call.js';
import { scoreDirection, type ScoreOptions } from './direction-scores.js';
import type { CallReport, DirectionReport } from './result.js';

/** `legs` are the report's call legs that ran in this process: one (call, answer) or both (selftest). */
export async function scoreReport(report: CallReport, legs: readonly Call[], options: ScoreOptions = {}): Promise<CallReport> {
  const leg = (jid: string) => legs.find((call) => call.self === jid);
  const directions: DirectionReport[] = [];
  for (const direction of report.directions) {
    const received = leg(direction.to)?.streams().received;
    if (!received) {
      directions.push(direction);
      continue;
    }
    const scores = await scoreDirection(leg(direction.from)?.streams().sent, received, options);
    directions.push({ ...direction, ...scores });
  }
  return { ...report, directions };
}
