/**
 * Where each reference frame's content lies in the degraded signal. A global delay first (FFT
 * cross-correlation, align.ts), then one delay per half-second block of the reference, searched
 * within +-BLOCK_SEARCH_MS of the global one, so that slow clock drift (time-stretching) does not show up
 * as distortion (analysis.ts then follows whole-frame jitter-buffer steps inside a block). Both searches run at 4 kHz (speech's periodicity
 * and formant energy lie below 2 kHz); a 0.25 ms uncertainty is nothing next to 32 ms frames.
 * Blocks with too little reference speech, or whose best match is weak, inherit their neighbours' delay.
 */
import { estimateDelay } from '../align.js';

const DECIMATION = 4;
const BLOCK_MS = 500;
const BLOCK_SEARCH_MS = 80;
/** A block's own delay is trusted only when its correlation reaches this. */
const MIN_BLOCK_CORRELATION = 0.5;

export interface DelayTrack {
  /** Global delay of the degraded signal, ms (positive: the degraded signal is late). */
  globalDelayMs: number;
  /** Correlation at the global delay, 0..1. */
  globalCorrelation: number;
  /** Delay in samples at the model rate for each frame start. */
  frameDelays: Int32Array;
}

/**
 * `frameStarts` are reference sample indices (model rate); `active[f]` says whether reference frame f
 * holds speech. `rate` is the model rate.
 */
export function trackDelay(reference: Float32Array, degraded: Float32Array, rate: number, frameStarts: Int32Array, active: Uint8Array, maxDelayMs: number): DelayTrack {
  const lowRate = rate / DECIMATION;
  const referenceLow = decimate(reference);
  const degradedLow = decimate(degraded);
  const global = estimateDelay(referenceLow, degradedLow, lowRate, { maxDelayMs });
  const globalLag = Math.round((global.delayMs * lowRate) / 1000);

  const blockLength = Math.round((BLOCK_MS * lowRate) / 1000);
  const search = Math.round((BLOCK_SEARCH_MS * lowRate) / 1000);
  const blockCount = Math.max(1, Math.ceil(referenceLow.length / blockLength));
  const blockLags: (number | undefined)[] = [];
  const blockHasSpeech = blockSpeech(frameStarts, active, blockCount, blockLength * DECIMATION);
  for (let k = 0; k < blockCount; k++) {
    if (!blockHasSpeech[k]) {
      blockLags.push(undefined);
      continue;
    }
    const start = k * blockLength;
    const referenceBlock = referenceLow.subarray(start, Math.min(referenceLow.length, start + blockLength));
    const sliceStart = start + globalLag - search;
    const slice = paddedSlice(degradedLow, sliceStart, referenceBlock.length + 2 * search);
    const local = estimateDelay(referenceBlock, slice, lowRate, { maxDelayMs: (2 * search * 1000) / lowRate });
    const lag = Math.round((local.delayMs * lowRate) / 1000) - search;
    blockLags.push(local.correlation >= MIN_BLOCK_CORRELATION && Math.abs(lag) < search ? globalLag + lag : undefined);
  }
  const lags = medianOfThree(fillGaps(blockLags, globalLag));

  const frameDelays = new Int32Array(frameStarts.length);
  const blockSamples = blockLength * DECIMATION;
  for (let f = 0; f < frameStarts.length; f++) {
    const block = Math.min(blockCount - 1, Math.floor(frameStarts[f] / blockSamples));
    frameDelays[f] = lags[block] * DECIMATION;
  }
  return { globalDelayMs: global.delayMs, globalCorrelation: Math.max(0, global.correlation), frameDelays };
}

function blockSpeech(frameStarts: Int32Array, active: Uint8Array, blockCount: number, blockSamples: number): Uint8Array {
  const speechFrames = new Int32Array(blockCount);
  for (let f = 0; f < frameStarts.length; f++) {
    if (active[f]) speechFrames[Math.min(blockCount - 1, Math.floor(frameStarts[f] / blockSamples))]++;
  }
  // At least a fifth of the block's frames (about 100 ms of speech) to correlate on.
  const framesPerBlock = blockSamples / (frameStarts.length > 1 ? frameStarts[1] - frameStarts[0] : blockSamples);
  return Uint8Array.from(speechFrames, (n) => (n >= framesPerBlock / 5 ? 1 : 0));
}

/** Blocks without a delay of their own take the nearest earlier one, or the next one, or the global delay. */
function fillGaps(lags: (number | undefined)[], fallback: number): number[] {
  const firstKnown = lags.find((lag) => lag !== undefined) ?? fallback;
  let previous = firstKnown;
  return lags.map((lag) => (previous = lag ?? previous));
}

/** Removes single-block outliers (a pitch-period slip) while keeping real steps. */
function medianOfThree(values: number[]): number[] {
  return values.map((value, i) => {
    if (i === 0 || i === values.length - 1) return value;
    return [values[i - 1], value, values[i + 1]].sort((x, y) => x - y)[1];
  });
}

function paddedSlice(signal: Float32Array, start: number, length: number): Float32Array {
  const out = new Float32Array(length);
  const from = Math.max(0, start);
  const to = Math.min(signal.length, start + length);
  if (to > from) out.set(signal.subarray(from, to), from - start);
  return out;
}

/** Every 4th sample after a 31-tap windowed-sinc low-pass at 1.8 kHz (for 16 kHz input). */
const decimationKernel = (() => {
  const taps = 31;
  const cutoff = 0.9 / (2 * DECIMATION);
  const kernel = new Float64Array(taps);
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const t = i - (taps - 1) / 2;
    const window = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (taps - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (taps - 1));
    kernel[i] = (t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t)) * window;
    sum += kernel[i];
  }
  return kernel.map((v) => v / sum);
})();

function decimate(signal: Float32Array): Float32Array {
  const half = (decimationKernel.length - 1) / 2;
  const out = new Float32Array(Math.ceil(signal.length / DECIMATION));
  for (let i = 0; i < out.length; i++) {
    const centre = i * DECIMATION;
    let sum = 0;
    const first = Math.max(0, centre - half);
    const last = Math.min(signal.length - 1, centre + half);
    for (let n = first; n <= last; n++) sum += signal[n] * decimationKernel[n - centre + half];
    out[i] = sum;
  }
  return out;
}
