// Random extra delay, as netem draws it. Uniform: +-J. The other distributions are scaled to mean 0 and
// standard deviation J:
// - normal: J times a standard normal draw;
// - pareto: a Pareto of shape 3 (netem's pareto table uses shape 3), its tail cut where the result reaches
//   +4 standard deviations (netem's tables hold 16-bit values scaled by 8192, so they stop at 4 too; an
//   uncut tail holds an occasional voice packet for seconds), then standardised with the cut
//   distribution's own mean and deviation: never below about -0.82 J, a long tail up to +4 J, median below mean;
// - paretonormal: netem's mix, 1/4 pareto + 3/4 normal, rescaled to standard deviation J.
import type { JitterDistribution } from './config.js';
import { gaussian } from '../util/random.js';

export const JITTER_DISTRIBUTIONS: readonly JitterDistribution[] = ['uniform', 'normal', 'pareto', 'paretonormal'];

const PARETO_SHAPE = 3;
const TAIL_LIMIT = 4;

/** Mean and deviation of min(X, cap) for X ~ Pareto(shape 3, scale 1): E = 1.5 - 0.5/cap^2, E[.^2] = 3 - 2/cap. */
function cutParetoMoments(cap: number): { mean: number; deviation: number } {
  const mean = 1.5 - 0.5 / cap ** 2;
  return { mean, deviation: Math.sqrt(3 - 2 / cap - mean ** 2) };
}

/** The cap on the raw draw at which the standardised value reaches TAIL_LIMIT (bisection; the ratio grows with the cap). */
function paretoCap(): number {
  let low = 1.5;
  let high = 100;
  for (let step = 0; step < 60; step++) {
    const cap = (low + high) / 2;
    const { mean, deviation } = cutParetoMoments(cap);
    if ((cap - mean) / deviation < TAIL_LIMIT) low = cap;
    else high = cap;
  }
  return low;
}

const PARETO_CAP = paretoCap();
const PARETO = cutParetoMoments(PARETO_CAP);
const PARETO_NORMAL_DEVIATION = Math.sqrt(0.25 ** 2 + 0.75 ** 2);

function standardPareto(random: () => number): number {
  const draw = Math.min(PARETO_CAP, (1 - random()) ** (-1 / PARETO_SHAPE));
  return (draw - PARETO.mean) / PARETO.deviation;
}

/** One jitter draw in ms (may be negative). */
export function drawJitter(ms: number, distribution: JitterDistribution, random: () => number): number {
  switch (distribution) {
    case 'uniform':
      return ms * (2 * random() - 1);
    case 'normal':
      return ms * gaussian(random);
    case 'pareto':
      return ms * standardPareto(random);
    case 'paretonormal':
      return (ms * (0.25 * standardPareto(random) + 0.75 * gaussian(random))) / PARETO_NORMAL_DEVIATION;
  }
}
