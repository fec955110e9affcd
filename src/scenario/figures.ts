// The figures a script's expectations are checked against, read off a scored CallReport under the names the
// script uses: call figures (`setupMs`), each direction's (`callerToCallee.mosLqo`), and for a bare direction
// metric (`mosLqo`) the worse of the two directions.
import type { CallReport, DirectionReport } from '../call/index.js';
import { bareJid } from '../xmpp/index.js';
import { CALL_METRICS, DIRECTION_METRICS, DIRECTIONS } from './model.js';

type DirectionMetric = (typeof DIRECTION_METRICS)[number];
type Figures = Record<string, number | null>;

/** Higher is better for these; for the others (loss, jitter, delay, concealment) lower is. */
const HIGHER_IS_BETTER: ReadonlySet<DirectionMetric> = new Set(['mosLqo', 'emodelMos']);

export function callFigures(report: CallReport | null, callerJid: string): Figures {
  const figures: Figures = {};
  for (const metric of CALL_METRICS) figures[metric] = report ? report[metric] : null;
  const byDirection = {
    callerToCallee: report?.directions.find((d) => bareJid(d.from) === bareJid(callerJid)),
    calleeToCaller: report?.directions.find((d) => bareJid(d.to) === bareJid(callerJid)),
  };
  for (const metric of DIRECTION_METRICS) {
    const values = DIRECTIONS.map((direction) => {
      const value = byDirection[direction] ? directionFigure(byDirection[direction]!, metric) : null;
      figures[`${direction}.${metric}`] = value;
      return value;
    });
    figures[metric] = worse(metric, values);
  }
  return figures;
}

export function directionFigure(direction: DirectionReport, metric: DirectionMetric): number | null {
  switch (metric) {
    case 'mosLqo':
      return direction.quality && 'mosLqo' in direction.quality ? direction.quality.mosLqo : null;
    case 'emodelMos':
      return direction.emodel?.mos ?? null;
    case 'lossPct':
      return direction.network?.lossPercent ?? null;
    case 'jitterMs':
      return direction.network?.jitterMs ?? direction.jitterMs;
    case 'mouthToEarMs':
      return direction.emodel?.delayFrom === 'recording' ? direction.emodel.mouthToEarDelayMs : null;
    case 'concealedFrames':
      return direction.packets.concealed;
  }
}

/** The worse of the directions measured; a direction not measured makes the whole figure unmeasured. */
function worse(metric: DirectionMetric, values: Array<number | null>): number | null {
  if (values.some((value) => value === null)) return null;
  const numbers = values as number[];
  return HIGHER_IS_BETTER.has(metric) ? Math.min(...numbers) : Math.max(...numbers);
}
