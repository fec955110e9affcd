/**
 * Alignment utterance by utterance. A jitter buffer that stretches or shrinks silence moves each
 * utterance by its own amount, and a network whose delay changes mid-call (a handover, a new route)
 * moves every later utterance by hundreds of ms, so one global delay misaligns the rest; a waveform
 * measure (seg-snr, dropouts) then scores the misalignment instead of the audio. Here each speech segment
 * of the reference (utterances apart by >= 200 ms of silence, levels.ts) finds its own delay by
 * normalized cross-correlation (FFT), following the delay from one segment to the next
 * (followSegmentDelays), and realign() builds a degraded signal that lines up with the reference segment
 * by segment.
 */
import { fftOfSize, nextPowerOfTwo, parabolicOffset } from './fft.js';
import { estimateDelay } from './align.js';
import { FftKernel, fftKernel, MAX_KERNEL_FFT_SIZE } from './fft-kernel.js';
import { checkAudio, referenceSpeech, speechSegments, type SpeechActivity } from './levels.js';
import { LAG_SUMS_WASM } from './lag-sums-wasm.js';
import { WasmKernel } from './wasm-kernel.js';

const DEFAULT_SEARCH_MS = 100;
const DEFAULT_MAX_STEP_MS = 600;
const DEFAULT_MIN_GAP_S = 0.2;
/** Below this best correlation a segment is taken as missing (dropped, or replaced by noise). */
const MIN_MATCH_CORRELATION = 0.3;
/** A match near the expected delay this good is not second-guessed by the wide search. */
const CONFIDENT_CORRELATION = 0.8;
/**
 * A match far from the expected delay must be at least this good, and this much better than the best
 * near one: speech repeats itself (a looped prompt, the same words again), and a weak far peak is more
 * likely another utterance than the delay having jumped.
 */
const FAR_MATCH_CORRELATION = 0.6;
const FAR_MATCH_MARGIN = 0.1;
/** Shorter segments are matched near the expected delay only: too little speech to trust a far peak. */
const MIN_FAR_SEGMENT_S = 0.2;
/** The coarse search runs at about this rate. */
const COARSE_RATE = 4000;
/** The smallest FFT the coarse search uses; it grows with the lag range. */
const MIN_CHUNK_FFT = 1024;
/** How often the fine search may step further out after a coarse peak that was off. */
const MAX_WIDENINGS = 8;

export interface LocalAlignOptions {
  /** The delay of the recording as a whole, ms: where the first segment is looked for. Default: estimateDelay() over +-1 s. */
  globalDelayMs?: number;
  /** How far a segment may move from the previous segment's delay (the global one for the first), either way, ms. Default 100. */
  searchMs?: number;
  /**
   * How far the delay may jump between segments, either way, ms: a far match must correlate strongly
   * (>= 0.6) and clearly better than any near one. Default 600; 0 keeps every segment within searchMs.
   */
  maxStepMs?: number;
  /** The shortest pause between two segments, s. Default 0.2. */
  minGapS?: number;
  /** The reference's speechActivity(), when the caller already has it. */
  referenceActivity?: SpeechActivity;
}

export interface AlignedSegment {
  refStartS: number;
  refEndS: number;
  /**
   * How much later the segment appears in the degraded signal, ms, to a fraction of a sample; when the
   * segment was not matched, the delay of the last matched segment before it (the global delay if none).
   */
  delayMs: number;
  /** The best normalized (Pearson) correlation found, -1..1. */
  correlation: number;
  /** False when no match was good enough (below 0.3 near the expected delay, or at the edge of the search range). */
  matched: boolean;
}

export interface LocalAlignment {
  globalDelayMs: number;
  segments: AlignedSegment[];
}

/**
 * Each speech segment of `reference` and its delay in `degraded` (both mono at `sampleRate`).
 * Throws MetricsInputError when the reference has no speech or less than 1 s of it, or either input is
 * not finite audio.
 */
export function localAlign(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: LocalAlignOptions = {}): LocalAlignment {
  checkAudio(degraded, sampleRate, 'degraded signal');
  const activity = referenceSpeech(reference, sampleRate, options.referenceActivity);
  const searchMs = nonNegative('searchMs', options.searchMs ?? DEFAULT_SEARCH_MS);
  const maxStepMs = nonNegative('maxStepMs', options.maxStepMs ?? DEFAULT_MAX_STEP_MS);
  if (options.globalDelayMs !== undefined && !Number.isFinite(options.globalDelayMs)) {
    throw new RangeError(`globalDelayMs must be a finite number, got ${options.globalDelayMs}`);
  }
  const globalDelayMs = options.globalDelayMs ?? estimateDelay(reference, degraded, sampleRate).delayMs;
  const toSamples = (ms: number) => Math.round((ms * sampleRate) / 1000);

  const speech = speechSegments(activity, sampleRate, options.minGapS ?? DEFAULT_MIN_GAP_S);
  const spans = speech.map((segment) => ({ start: Math.round(segment.startS * sampleRate), end: Math.min(reference.length, Math.round(segment.endS * sampleRate)) }));
  const delays = followSegmentDelays(reference, degraded, sampleRate, spans, {
    startLag: toSamples(globalDelayMs),
    searchLags: toSamples(searchMs),
    maxStepLags: toSamples(maxStepMs),
  });
  let lastMatchedMs = globalDelayMs;
  const segments = speech.map((segment, i): AlignedSegment => {
    const { lag, correlation, matched } = delays[i];
    if (matched) lastMatchedMs = (lag * 1000) / sampleRate;
    return { refStartS: segment.startS, refEndS: segment.endS, delayMs: lastMatchedMs, correlation, matched };
  });
  return { globalDelayMs, segments };
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

export interface SegmentSpan {
  /** First sample of the segment in the reference. */
  start: number;
  /** Sample after its last. */
  end: number;
}

export interface SegmentDelay {
  /** Where the segment lies in the degraded signal, samples later than in the reference (fractional); meaningful when matched. */
  lag: number;
  correlation: number;
  matched: boolean;
}

export interface FollowOptions {
  /** Where the first segment is expected, samples. */
  startLag: number;
  /** Each segment is searched this far either way from the last matched segment's lag, samples. */
  searchLags: number;
  /** And, when that finds no confident match, this far for a strong one (0: never), samples. */
  maxStepLags: number;
}

/**
 * The delay of each span of `reference` (in time order) in `degraded`, following the delay along the
 * call: a segment is looked for near the last matched segment's delay, so slow drift and jitter-buffer
 * steps are followed; when nothing there matches confidently, further out, up to maxStepLags, where only
 * a strong match clearly better than the near one counts (a delay that stepped: a handover, a new network
 * profile). A segment with no good enough match is left unmatched and does not move the expected delay.
 */
export function followSegmentDelays(reference: Float32Array, degraded: Float32Array, sampleRate: number, spans: readonly SegmentSpan[], options: FollowOptions): SegmentDelay[] {
  const { searchLags, maxStepLags } = options;
  let expected = options.startLag;
  return spans.map(({ start, end }) => {
    const segment = reference.subarray(start, end);
    const near = searchAround(segment, degraded, start, expected, searchLags, sampleRate);
    let best = near.correlation >= MIN_MATCH_CORRELATION && !near.atEdge ? near : undefined;
    let correlation = near.correlation;
    const mayJump = maxStepLags > searchLags && segment.length >= MIN_FAR_SEGMENT_S * sampleRate;
    if (mayJump && near.correlation < CONFIDENT_CORRELATION) {
      const wide = searchAround(segment, degraded, start, expected, maxStepLags + searchLags, sampleRate);
      const far = Math.abs(wide.lag - expected) > searchLags;
      if (far && !wide.atEdge && wide.correlation >= Math.max(FAR_MATCH_CORRELATION, (best?.correlation ?? 0) + FAR_MATCH_MARGIN)) best = wide;
      if (!best) correlation = Math.max(correlation, wide.correlation);
    }
    if (!best) return { lag: expected, correlation, matched: false };
    expected = Math.round(best.lag);
    return { lag: best.lag, correlation: best.correlation, matched: true };
  });
}

/** The best match of `segment` (which starts at reference sample `start`) at lags expected +- range. */
function searchAround(segment: Float32Array, degraded: Float32Array, start: number, expected: number, range: number, sampleRate: number): { lag: number; correlation: number; atEdge: boolean } {
  const best = bestLag(segment, degraded, start + expected - range, 2 * range, sampleRate);
  return {
    lag: expected - range + best.index + best.fraction,
    correlation: best.correlation,
    atEdge: range > 0 && (best.index === 0 || best.index === 2 * range),
  };
}

/**
 * `degraded` rearranged to line up with `reference` (whose length it takes): each segment's stretch of
 * the timeline, from midway after the previous segment to midway before the next, is copied from the
 * degraded signal at that segment's delay (rounded to a sample). Zeros where the degraded signal has no sample.
 */
export function realign(reference: Float32Array, degraded: Float32Array, sampleRate: number, segments: readonly AlignedSegment[]): Float32Array {
  if (segments.length === 0) throw new RangeError('realign needs at least one segment');
  const sorted = [...segments].sort((a, b) => a.refStartS - b.refStartS);
  const out = new Float32Array(reference.length);
  sorted.forEach((segment, i) => {
    const from = i === 0 ? 0 : Math.round(((sorted[i - 1].refEndS + segment.refStartS) / 2) * sampleRate);
    const to = i === sorted.length - 1 ? reference.length : Math.round(((segment.refEndS + sorted[i + 1].refStartS) / 2) * sampleRate);
    const lag = Math.round((segment.delayMs * sampleRate) / 1000);
    for (let n = Math.max(0, from, -lag); n < Math.min(to, reference.length, degraded.length - lag); n++) out[n] = degraded[n + lag];
  });
  return out;
}

/**
 * The lag 0..lags at which `segment` best matches degraded[windowStart + lag ...] by Pearson correlation,
 * with the parabolic offset of the true peak between samples. Coarse to fine: the whole range at about
 * 4 kHz (block means) by FFT, then the lags around that peak at the full rate.
 */
function bestLag(segment: Float32Array, degraded: Float32Array, windowStart: number, lags: number, sampleRate: number): LagMatch {
  const factor = Math.max(1, Math.floor(sampleRate / COARSE_RATE));
  const search = new FineSearch(segment, degraded, windowStart, lags);
  const centre = coarsePeak(blockMeans(search.segment, factor), blockMeans(search.window, factor), Math.floor(lags / factor)) * factor;
  const reach = Math.ceil(factor / 2) + 1;
  let from = Math.max(0, centre - reach);
  let to = Math.min(lags, centre + reach);
  let fine = search.correlations(from, to);
  // The coarse peak can be a step off: follow the slope until the best lag has a neighbour on each side.
  for (let widened = 0; widened < MAX_WIDENINGS; widened++) {
    const best = peak(fine);
    if (best === 0 && from > 0) from = Math.max(0, from - reach);
    else if (best === fine.length - 1 && to < lags) to = Math.min(lags, to + reach);
    else break;
    fine = search.correlations(from, to);
  }
  const best = peak(fine);
  const fraction = best > 0 && best < fine.length - 1 ? parabolicOffset(fine[best - 1], fine[best], fine[best + 1]) : 0;
  return { index: from + best, fraction, correlation: fine[best] };
}

interface LagMatch {
  index: number;
  fraction: number;
  correlation: number;
}

interface LagSumsKernel {
  lagSums(segment: number, n: number, window: number, from: number, to: number, out: number): void;
}

const lagSums = new WasmKernel<LagSumsKernel>(LAG_SUMS_WASM);

/**
 * One segment's fine search: the segment and degraded[windowStart ... + segment length + lags) (zeros
 * outside the degraded signal) as f64 in the lag-sums kernel's memory (lag-sums.wat), valid until the
 * next FineSearch.
 */
class FineSearch {
  readonly segment: Float64Array;
  readonly window: Float64Array;
  private readonly kernel: LagSumsKernel;
  private readonly sums: Float64Array;
  private readonly sumX: number;
  private readonly varianceX: number;

  constructor(segment: Float32Array, degraded: Float32Array, windowStart: number, lags: number) {
    const n = segment.length;
    const windowLength = n + lags;
    const windowAt = 8 * n;
    // Two more window samples: the kernel's last pair of lags reads one past the span of the last lag.
    const sumsAt = windowAt + 8 * (windowLength + 2);
    const reserved = lagSums.reserve(sumsAt + 24 * (lags + 2));
    this.kernel = reserved.kernel;
    this.segment = new Float64Array(reserved.buffer, 0, n);
    this.segment.set(segment);
    const padded = new Float64Array(reserved.buffer, windowAt, windowLength + 2);
    padded.fill(0);
    const first = Math.max(0, -windowStart);
    const end = Math.min(windowLength, degraded.length - windowStart);
    if (end > first) padded.set(degraded.subarray(windowStart + first, windowStart + end), first);
    this.window = padded.subarray(0, windowLength);
    this.sums = new Float64Array(reserved.buffer, sumsAt, 3 * (lags + 2));
    let sumX = 0;
    let xx = 0;
    for (let i = 0; i < n; i++) {
      sumX += this.segment[i];
      xx += this.segment[i] * this.segment[i];
    }
    this.sumX = sumX;
    this.varianceX = xx - (sumX * sumX) / n;
  }

  /** Pearson correlation of the segment with window[lag ... lag + segment length) for lag = from..to. */
  correlations(from: number, to: number): Float64Array {
    const n = this.segment.length;
    this.kernel.lagSums(this.segment.byteOffset, n, this.window.byteOffset, from, to, this.sums.byteOffset);
    const { sums, sumX, varianceX } = this;
    const out = new Float64Array(to - from + 1);
    for (let k = 0; k < out.length; k++) {
      const sumY = sums[3 * k];
      const varianceY = sums[3 * k + 1] - (sumY * sumY) / n;
      // A window 100 dB below the segment is silence (and its variance mostly rounding error).
      if (varianceX > 0 && varianceY > 1e-10 * varianceX) {
        out[k] = Math.max(-1, Math.min(1, (sums[3 * k + 2] - (sumX * sumY) / n) / Math.sqrt(varianceX * varianceY)));
      }
    }
    return out;
  }
}

/**
 * The lag 0..lags with the highest Pearson correlation of `segment` and window[lag ...]. The
 * cross-correlation is summed over chunks of the segment in the frequency domain (FFTs of about four
 * times the lag range, not of the whole segment): one complex FFT per chunk carries both signals,
 * S_k = (Z_k + conj Z_-k) / 2 and W_k = (Z_k - conj Z_-k) / 2i, and one inverse FFT of the summed
 * W conj(S) gives every lag (the FFT kernel's, two chunks at a time). The centred segment makes the
 * window's mean drop out.
 */
function coarsePeak(segment: Float64Array, window: Float64Array, lags: number): number {
  const length = segment.length;
  let mean = 0;
  for (let i = 0; i < length; i++) mean += segment[i];
  mean /= length;
  let segmentEnergy = 0;
  for (let i = 0; i < length; i++) segmentEnergy += (segment[i] - mean) ** 2;

  const size = nextPowerOfTwo(Math.max(4 * lags, MIN_CHUNK_FFT));
  const correlation = size <= MAX_KERNEL_FFT_SIZE ? correlationByKernel(segment, window, mean, lags, size) : correlationByFftJs(segment, window, mean, lags, size);

  // Prefix sums of the window and its square give each lag's mean and energy.
  const sums = new Float64Array(length + lags + 1);
  const squares = new Float64Array(length + lags + 1);
  for (let i = 0; i < length + lags; i++) {
    const value = i < window.length ? window[i] : 0;
    sums[i + 1] = sums[i] + value;
    squares[i + 1] = squares[i] + value * value;
  }
  let best = 0;
  let bestValue = -Infinity;
  for (let lag = 0; lag <= lags; lag++) {
    const sum = sums[lag + length] - sums[lag];
    const windowEnergy = squares[lag + length] - squares[lag] - (sum * sum) / length;
    const value = windowEnergy > 1e-10 * segmentEnergy ? correlation(lag) / Math.sqrt(windowEnergy) : 0;
    if (value > bestValue) {
      best = lag;
      bestValue = value;
    }
  }
  return best;
}

/**
 * Sum over chunks of (window chunk) x (centred segment chunk) at each lag 0..lags, by `size`-point FFTs of
 * chunks of size - lags samples, two chunks at once in the FFT kernel (fft.js's results bit for bit).
 * Read from the kernel's memory: valid until the kernel's next use.
 */
function correlationByKernel(segment: Float64Array, window: Float64Array, mean: number, lags: number, size: number): (lag: number) => number {
  const chunk = size - lags;
  // Paired complex arrays: two chunks, their spectra, the summed cross-spectrum, its inverse transform.
  const inputAt = FftKernel.workAt;
  const spectraAt = inputAt + 32 * size;
  const summedAt = spectraAt + 32 * size;
  const correlationAt = summedAt + 32 * size;
  const memory = fftKernel.reserve(128 * size, [size]);
  const input = memory.subarray(inputAt / 8, spectraAt / 8);
  memory.subarray(summedAt / 8, correlationAt / 8).fill(0);
  for (let start = 0; start < segment.length; start += 2 * chunk) {
    input.fill(0);
    const lanes = start + chunk < segment.length ? 2 : 1;
    for (let lane = 0; lane < lanes; lane++) {
      const from = start + lane * chunk;
      const end = Math.min(segment.length, from + chunk);
      for (let i = from; i < end; i++) input[4 * (i - from) + lane] = segment[i] - mean;
      const windowEnd = Math.min(window.length, end + lags);
      for (let i = from; i < windowEnd; i++) input[4 * (i - from) + 2 + lane] = window[i];
    }
    fftKernel.transform(inputAt, spectraAt, size, false);
    fftKernel.accumulateCrossSpectra(spectraAt, size, lanes, summedAt);
  }
  fftKernel.transform(summedAt, correlationAt, size, true);
  const correlation = correlationAt / 8;
  return (lag) => memory[correlation + 4 * lag];
}

/** correlationByKernel with fft.js, for sizes beyond the kernel. */
function correlationByFftJs(segment: Float64Array, window: Float64Array, mean: number, lags: number, size: number): (lag: number) => number {
  const chunk = size - lags;
  const fft = fftOfSize(size);
  const packed = new Float64Array(2 * size);
  const spectrum = new Float64Array(2 * size);
  const summed = new Float64Array(2 * size);
  for (let start = 0; start < segment.length; start += chunk) {
    packed.fill(0);
    const end = Math.min(segment.length, start + chunk);
    for (let i = start; i < end; i++) packed[2 * (i - start)] = segment[i] - mean;
    const windowEnd = Math.min(window.length, end + lags);
    for (let i = start; i < windowEnd; i++) packed[2 * (i - start) + 1] = window[i];
    fft.transform(spectrum, packed);
    for (let k = 0; k < size; k++) {
      const mirror = (size - k) & (size - 1);
      const re = spectrum[2 * k];
      const im = spectrum[2 * k + 1];
      const mirrorRe = spectrum[2 * mirror];
      const mirrorIm = spectrum[2 * mirror + 1];
      const segmentRe = re + mirrorRe;
      const segmentIm = im - mirrorIm;
      const windowRe = im + mirrorIm;
      const windowIm = mirrorRe - re;
      // Both spectra lack their factor 1/2: a common scale, which the peak does not care about.
      summed[2 * k] += windowRe * segmentRe + windowIm * segmentIm;
      summed[2 * k + 1] += windowIm * segmentRe - windowRe * segmentIm;
    }
  }
  const correlation = spectrum;
  fft.inverseTransform(correlation, summed);
  return (lag) => correlation[2 * lag];
}

/** Means of consecutive blocks of `factor` samples (a crude low-pass and decimation, enough to find a correlation peak). */
function blockMeans(signal: Float64Array, factor: number): Float64Array {
  const out = new Float64Array(Math.floor(signal.length / factor));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let j = i * factor; j < (i + 1) * factor; j++) sum += signal[j];
    out[i] = sum / factor;
  }
  return out;
}

/** Index of the largest value (the first of equals). */
function peak(values: Float64Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}



