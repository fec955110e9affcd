// The metrics layer: pure functions on PCM and packet logs that score a call. Imports only util/.
export { estimateDelay, normalizedCorrelation, type DelayEstimate, type DelayOptions } from './align.js';
