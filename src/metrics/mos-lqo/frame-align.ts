/**
 * Where each reference frame's content lies in the degraded signal. A global delay first (FFT
 * cross-correlation, align.ts); then each utterance's delay, followed along the call
 * (local-align.ts followSegmentDelays), so a delay that steps by hundreds of ms mid-call (a handover, a
 * new network profile) is followed; then one delay per half-second block of the reference, searched
 * within +-BLOCK_SEARCH_MS of its utterances' delay, so that slow clock drift (time-stretching) does not
 * show up as distortion (analysis.ts then follows whole-frame jitter-buffer steps inside a block). All
 * searches run at 4 kHz (speech's periodicity and formant energy lie below 2 kHz); a 0.25 ms uncertainty
 * is nothing next to 32 ms frames. Blocks with too little reference speech, or whose best match is weak,
 * inherit their neighbours' delay.
 *
 * Delay regimes: consecutive utterances whose delays differ by less than REGIME_STEP_MS share one regime,
 * and the block grid is cut where a regime ends (midway through the pause between two utterances). The
 * regime that holds the global delay is searched around it, as when the delay never changes; another
 * around the median of its utterances. A block also tries its neighbouring regimes' delays: the delay may
 * step in the middle of an utterance.
 */
import { estimateDelay, normalizedCorrelation } from '../align.js';
import { followSegmentDelays, type SegmentSpan } from '../local-align.js';
import { FRAME_SAMPLES } from './loudness.js';

const DECIMATION = 4;
const BLOCK_MS = 500;
const BLOCK_SEARCH_MS = 80;
/** A block's own delay is trusted only when its correlation reaches this. */
const MIN_BLOCK_CORRELATION = 0.5;
/** Utterances: speech frames apart by less than this much silence belong to one (as local-align.ts). */
const UTTERANCE_GAP_MS = 200;
/** Longer utterances are followed in pieces of at most this much: the delay may step mid-utterance. */
const MAX_PIECE_MS = 1000;
/** How far a piece is searched from the previous one's delay, and how far the delay may step. */
const UTTERANCE_SEARCH_MS = 100;
const MAX_DELAY_STEP_MS = 600;
/** Utterance delays further apart than this start a new regime (the blocks' search reaches twice as far). */
const REGIME_STEP_MS = BLOCK_SEARCH_MS / 2;

export interface DelayTrack {
  /** Global delay of the degraded signal, ms (positive: the degraded signal is late). */
  globalDelayMs: number;
  /** Correlation at the global delay, 0..1. */
  globalCorrelation: number;
  /** Delay in samples at the model rate for each frame start. */
  frameDelays: Int32Array;
}

interface LowRateSignals {
  referenceLow: Float32Array;
  degradedLow: Float32Array;
  lowRate: number;
}

/** A stretch of the reference (low-rate samples [start, end)) whose blocks search around `lag`. */
interface Regime {
  start: number;
  end: number;
  lag: number;
  /** Where the pause before it begins and ends (the previous regime's last speech, this one's first). */
  pause: SegmentSpan;
}

/**
 * `frameStarts` are reference sample indices (model rate); `active[f]` says whether reference frame f
 * holds speech. `rate` is the model rate.
 */
export function trackDelay(reference: Float32Array, degraded: Float32Array, rate: number, frameStarts: Int32Array, active: Uint8Array, maxDelayMs: number): DelayTrack {
  const lowRate = rate / DECIMATION;
  const toLags = (ms: number) => Math.round((ms * lowRate) / 1000);
  const referenceLow = decimate(reference);
  const degradedLow = decimate(degraded);
  const global = estimateDelay(referenceLow, degradedLow, lowRate, { maxDelayMs });
  const globalLag = Math.round((global.delayMs * lowRate) / 1000);
  const regimes = delayRegimes(referenceLow, degradedLow, lowRate, utterancePieces(frameStarts, active, rate), globalLag);

  const blockLength = toLags(BLOCK_MS);
  const search = toLags(BLOCK_SEARCH_MS);
  const blocks = regimes.flatMap((regime, r) => {
    const candidates = [regime.lag, regimes[r - 1]?.lag, regimes[r + 1]?.lag].filter((lag): lag is number => lag !== undefined);
    const cuts: number[] = [regime.start];
    for (let at = (Math.floor(regime.start / blockLength) + 1) * blockLength; at < regime.end; at += blockLength) cuts.push(at);
    return cuts.map((start, i) => ({ regime: r, start, end: cuts[i + 1] ?? regime.end, candidates }));
  });
  const blockHasSpeech = blockSpeech(frameStarts, active, blocks, rate);
  const blockLags = blocks.map((block, k): number | undefined => {
    if (!blockHasSpeech[k]) return undefined;
    const referenceBlock = referenceLow.subarray(block.start, block.end);
    let best: { lag: number; correlation: number } | undefined;
    for (const centre of block.candidates) {
      const slice = paddedSlice(degradedLow, block.start + centre - search, referenceBlock.length + 2 * search);
      const local = estimateDelay(referenceBlock, slice, lowRate, { maxDelayMs: (2 * search * 1000) / lowRate });
      const lag = Math.round((local.delayMs * lowRate) / 1000) - search;
      if (local.correlation >= MIN_BLOCK_CORRELATION && Math.abs(lag) < search && local.correlation > (best?.correlation ?? -Infinity)) {
        best = { lag: centre + lag, correlation: local.correlation };
      }
    }
    return best?.lag;
  });
  const lags: number[] = [];
  regimes.forEach((regime, r) => {
    const own = blocks.map((block, k) => (block.regime === r ? k : -1)).filter((k) => k >= 0);
    lags.push(...medianOfThree(fillGaps(own.map((k) => blockLags[k]), regime.lag)));
  });

  const frameDelays = new Int32Array(frameStarts.length);
  let block = 0;
  for (let f = 0; f < frameStarts.length; f++) {
    const at = frameStarts[f] / DECIMATION;
    while (block + 1 < blocks.length && at >= blocks[block + 1].start) block++;
    frameDelays[f] = lags[block] * DECIMATION;
  }
  for (let r = 1; r < regimes.length; r++) placeSwitch({ referenceLow, degradedLow, lowRate }, frameStarts, active, frameDelays, regimes, r);
  return { globalDelayMs: global.delayMs, globalCorrelation: Math.max(0, global.correlation), frameDelays };
}

/**
 * The reference's utterances (runs of speech frames apart by less than UTTERANCE_GAP_MS), longer ones cut
 * into equal pieces of at most MAX_PIECE_MS; low-rate samples.
 */
function utterancePieces(frameStarts: Int32Array, active: Uint8Array, rate: number): SegmentSpan[] {
  const hop = frameStarts.length > 1 ? frameStarts[1] - frameStarts[0] : 1;
  const frameLength = 2 * hop;
  const maxGap = (UTTERANCE_GAP_MS * rate) / 1000;
  const spans: SegmentSpan[] = [];
  for (let f = 0; f < active.length; f++) {
    if (!active[f]) continue;
    const start = frameStarts[f];
    const end = frameStarts[f] + frameLength;
    const last = spans.at(-1);
    if (last && start - last.end < maxGap) last.end = end;
    else spans.push({ start, end });
  }
  const maxPiece = (MAX_PIECE_MS * rate) / 1000;
  return spans.flatMap(({ start, end }) => {
    const count = Math.ceil((end - start) / maxPiece);
    return Array.from({ length: count }, (_, i) => ({
      start: Math.floor((start + ((end - start) * i) / count) / DECIMATION),
      end: Math.floor((start + ((end - start) * (i + 1)) / count) / DECIMATION),
    }));
  });
}

/**
 * The reference cut into stretches of one delay each (see the file header). With a delay that never
 * steps this is one regime around the global delay, the whole reference.
 */
function delayRegimes(referenceLow: Float32Array, degradedLow: Float32Array, lowRate: number, spans: SegmentSpan[], globalLag: number): Regime[] {
  const toLags = (ms: number) => Math.round((ms * lowRate) / 1000);
  const delays = followSegmentDelays(referenceLow, degradedLow, lowRate, spans, {
    startLag: globalLag,
    searchLags: toLags(UTTERANCE_SEARCH_MS),
    maxStepLags: toLags(MAX_DELAY_STEP_MS),
  });
  const groups: { start: number; lags: number[]; pause: SegmentSpan }[] = [];
  let previousEnd = 0;
  spans.forEach((span, i) => {
    const { lag, matched } = delays[i];
    const current = groups.at(-1);
    if (matched && !(current && Math.abs(lag - current.lags.at(-1)!) <= toLags(REGIME_STEP_MS))) {
      groups.push({ start: current ? Math.round((previousEnd + span.start) / 2) : 0, lags: [lag], pause: { start: previousEnd, end: span.start } });
    } else if (matched) current!.lags.push(lag);
    previousEnd = span.end;
  });
  if (groups.length === 0) return [{ start: 0, end: referenceLow.length, lag: globalLag, pause: { start: 0, end: 0 } }];
  return groups.map((group, i) => {
    const sorted = [...group.lags].sort((a, b) => a - b);
    const median = Math.round(sorted[Math.floor(sorted.length / 2)]);
    const holdsGlobal = sorted[0] - toLags(REGIME_STEP_MS) <= globalLag && globalLag <= sorted.at(-1)! + toLags(REGIME_STEP_MS);
    return { start: group.start, end: groups[i + 1]?.start ?? referenceLow.length, lag: holdsGlobal ? globalLag : median, pause: group.pause };
  });
}

/**
 * Where the frames switch from the previous regime's delay to the next one's. In a pause: when the delay
 * shrank, the degraded pause is shorter than the reference's, and a frame near its middle reads the next
 * utterance's onset at the earlier delay or the last one's tail at the later, so the switch goes where the
 * pause's frames read the least sound. Inside an utterance (the delay stepped mid-speech): where the frames
 * on either side match the reference's waveform best at their delay, within a piece either way.
 */
function placeSwitch(signals: LowRateSignals, frameStarts: Int32Array, active: Uint8Array, frameDelays: Int32Array, regimes: readonly Regime[], r: number): void {
  const { referenceLow, degradedLow, lowRate } = signals;
  const { pause, start } = regimes[r];
  const frameLength = FRAME_SAMPLES / DECIMATION;
  const inPause = pause.end - pause.start >= frameLength;
  const reach = (MAX_PIECE_MS * lowRate) / 1000;
  const from = inPause ? pause.start : Math.max(regimes[r - 1].start, start - reach);
  const to = inPause ? pause.end : Math.min(regimes[r].end, start + reach);
  const frames: number[] = [];
  for (let f = 0; f < frameStarts.length; f++) {
    const at = frameStarts[f] / DECIMATION;
    if (at >= from && at < to && !(inPause && active[f])) frames.push(f);
  }
  if (frames.length === 0) return;
  const before = frameDelays[Math.max(0, frames[0] - 1)];
  const after = frameDelays[Math.min(frameDelays.length - 1, frames.at(-1)! + 1)];
  const cost = (f: number, delay: number) => {
    const referenceAt = frameStarts[f] / DECIMATION;
    const degradedAt = (frameStarts[f] + delay) / DECIMATION;
    if (inPause) return energy(paddedSlice(degradedLow, degradedAt, frameLength));
    const referenceFrame = referenceLow.subarray(referenceAt, referenceAt + frameLength);
    return 1 - normalizedCorrelation(referenceFrame, paddedSlice(degradedLow, degradedAt, referenceFrame.length));
  };
  // total: frames before `at` at the earlier delay, from `at` on at the later.
  let total = frames.reduce((sum, f) => sum + cost(f, after), 0);
  let best = { at: 0, total };
  frames.forEach((f, i) => {
    total += cost(f, before) - cost(f, after);
    if (total < best.total) best = { at: i + 1, total };
  });
  frames.forEach((f, i) => (frameDelays[f] = i < best.at ? before : after));
}

function blockSpeech(frameStarts: Int32Array, active: Uint8Array, blocks: readonly { start: number; end: number }[], rate: number): Uint8Array {
  const speechFrames = new Int32Array(blocks.length);
  let block = 0;
  for (let f = 0; f < frameStarts.length; f++) {
    const at = frameStarts[f] / DECIMATION;
    while (block + 1 < blocks.length && at >= blocks[block + 1].start) block++;
    if (active[f]) speechFrames[block]++;
  }
  // About 100 ms of speech to correlate on (a fifth of a full block).
  const hop = frameStarts.length > 1 ? frameStarts[1] - frameStarts[0] : rate;
  const minFrames = (BLOCK_MS * rate) / 1000 / hop / 5;
  return Uint8Array.from(speechFrames, (n) => (n >= minFrames ? 1 : 0));
}

/** Blocks without a delay of their own take the nearest earlier one, or the next one, or the fallback. */
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

function energy(signal: Float32Array): number {
  let sum = 0;
  for (const value of signal) sum += value * value;
  return sum;
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

/**
 * Each output's sum runs over the taps in order, as a plain loop would; away from the edges four outputs
 * are summed side by side, so that four independent additions are in flight rather than one.
 */
function decimate(signal: Float32Array): Float32Array {
  const kernel = decimationKernel;
  const taps = kernel.length;
  const half = (taps - 1) / 2;
  const out = new Float32Array(Math.ceil(signal.length / DECIMATION));
  // Outputs whose taps all lie inside the signal: centre - half >= 0 and centre + half < length.
  const firstInside = Math.min(out.length, Math.ceil(half / DECIMATION));
  const endInside = Math.max(firstInside, Math.ceil((signal.length - half) / DECIMATION));
  let i = 0;
  for (; i < firstInside; i++) out[i] = decimatedAtEdge(signal, i);
  for (; i + 3 < endInside; i += 4) {
    const from = i * DECIMATION - half;
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    for (let j = 0; j < taps; j++) {
      const weight = kernel[j];
      const n = from + j;
      sum0 += signal[n] * weight;
      sum1 += signal[n + DECIMATION] * weight;
      sum2 += signal[n + 2 * DECIMATION] * weight;
      sum3 += signal[n + 3 * DECIMATION] * weight;
    }
    out[i] = sum0;
    out[i + 1] = sum1;
    out[i + 2] = sum2;
    out[i + 3] = sum3;
  }
  for (; i < out.length; i++) out[i] = decimatedAtEdge(signal, i);
  return out;
}

/** Output i of decimate() where its taps reach past the signal's ends (as silence). */
function decimatedAtEdge(signal: Float32Array, i: number): number {
  const half = (decimationKernel.length - 1) / 2;
  const centre = i * DECIMATION;
  let sum = 0;
  const first = Math.max(0, centre - half);
  const last = Math.min(signal.length - 1, centre + half);
  for (let n = first; n <= last; n++) sum += signal[n] * decimationKernel[n - centre + half];
  return sum;
}
