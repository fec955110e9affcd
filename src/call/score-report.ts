// Scores every direction of a finished call that earshot has both ends of, or the received side of.
import type { Call } from './call.js';
import type { ReferenceAudio } from './call-options.js';
import { scoreDirection, type ScoreOptions, type SentStream } from './direction-scores.js';
import type { CallReport, DirectionReport } from './result.js';

/**
 * `legs` are the report's call legs that ran in this process: one (call, answer) or both (selftest).
 * `farReference` is what a far end that is not earshot plays, if known, to score what we heard of it.
 */
export async function scoreReport(report: CallReport, legs: readonly Call[], options: ScoreOptions & { farReference?: ReferenceAudio } = {}): Promise<CallReport> {
  const leg = (jid: string) => legs.find((call) => call.self === jid);
  const sentBy = (jid: string): SentStream | undefined =>
    leg(jid)?.streams().sent ?? (options.farReference && { reference: options.farReference, log: [], speechFrames: 0 });
  const directions: DirectionReport[] = [];
  for (const direction of report.directions) {
    const received = leg(direction.to)?.streams().received;
    if (!received) {
      directions.push(direction);
      continue;
    }
    const scores = await scoreDirection(sentBy(direction.from), received, options);
    directions.push({ ...direction, ...scores });
  }
  return { ...report, directions };
}
