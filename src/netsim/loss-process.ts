// Per-packet loss decisions: independent (Bernoulli) loss, or a two-state Gilbert-Elliott Markov chain.
//
// Gilbert-Elliott by mean loss L and mean burst B: everything is lost in Bad, r = 1/B (Bad -> Good),
// p = L / (B (1 - L)) (Good -> Bad), so the time in Bad p/(p+r) equals L and bursts last 1/r packets on
// average. Needs B >= 1 and B > L/(1-L) (else p would exceed 1); validateImpairment checks both.
// The four-parameter form takes p, r and the loss probability in each state (netem's 1-h and 1-k).
// Each packet is judged by the current state, then the chain steps once. The chain starts in its
// stationary distribution (Bad with probability p/(p+r)), so short runs are not biased towards Good.
import type { LossConfig } from './config.js';

export type LossState = 'good' | 'bad';

export interface LossDecision {
  lost: boolean;
  /** The Gilbert-Elliott state the packet met; absent for random loss. */
  state?: LossState;
}

export interface LossProcess {
  next(): LossDecision;
}

interface TwoStateParameters {
  p: number;
  r: number;
  lossInGood: number;
  lossInBad: number;
}

/** The chain's parameters for a Gilbert-Elliott config; random loss has none. */
export function gilbertElliottParameters(config: LossConfig): TwoStateParameters | undefined {
  switch (config.model) {
    case 'random':
      return undefined;
    case 'gilbert-elliott': {
      const loss = config.percent / 100;
      return { p: loss / (config.meanBurst * (1 - loss)), r: 1 / config.meanBurst, lossInGood: 0, lossInBad: 1 };
    }
    case 'gilbert-elliott-4':
      return { p: config.p, r: config.r, lossInGood: config.lossInGood, lossInBad: config.lossInBad };
  }
}

export function createLossProcess(config: LossConfig | undefined, random: () => number): LossProcess {
  if (!config) return { next: () => ({ lost: false }) };
  const chain = gilbertElliottParameters(config);
  if (!chain) {
    const probability = config.model === 'random' ? config.percent / 100 : 0;
    return { next: () => ({ lost: random() < probability }) };
  }
  const { p, r, lossInGood, lossInBad } = chain;
  const stationaryBad = p + r > 0 ? p / (p + r) : 0;
  let state: LossState = random() < stationaryBad ? 'bad' : 'good';
  return {
    next() {
      const met = state;
      const lost = random() < (met === 'bad' ? lossInBad : lossInGood);
      if (met === 'good' ? random() < p : random() < r) state = met === 'good' ? 'bad' : 'good';
      return { lost, state: met };
    },
  };
}
