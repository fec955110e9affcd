/**
 * ViSQOL v3 speech mode (google/visqol, conformance 3.3.x, exponential NSIM-to-MOS mapping), reimplemented:
 * global alignment, level matching, gammatone spectrograms, voiced reference patches, patch matching with
 * fine re-alignment, NSIM, and the mapping to MOS-LQO.
 */
import { MetricsInputError } from '../errors.js';
import { alignGlobally } from './alignment.js';
import { FrameStore, GammatoneFilterbank } from './gammatone.js';
import { matchPatches, realign, type PatchMatch } from './patch-matching.js';
import { prepareForComparison } from './prepare.js';
import { FIRST_PATCH_FRAME, PATCH_FRAMES, voicedPatchStarts } from './voice-activity.js';

export interface VisqolOptions {
  /**
   * Scale the mapping so that identical signals score 5.0 (upstream's default; the factor 1.245063 applied as
   * a 32-bit float, as upstream does). With false, identical signals score about 4.016. Default true.
   */
  scaleToFive?: boolean;
}

export interface VisqolPatch {
  /** First spectrogram frame of the reference patch (frames are a quarter of 80 ms apart, 20 ms). */
  refStartFrame: number;
  /** First frame of the matched degraded patch, after global alignment; -1 when none matched. */
  degStartFrame: number;
  nsim: number;
}

export interface VisqolResult {
  /** MOS-LQO, 1..5. */
  mos: number;
  /** Mean NSIM over bands and patches. */
  nsim: number;
  patches: VisqolPatch[];
  /** Mean NSIM per gammatone band over the patches, lowest band (50 Hz) first. */
  bandNsim: number[];
}

/**
 * Patches searched either side of a reference patch's own position (upstream's radius: every offset of a
 * 10 s signal). Kept for aligned pairs too: a narrower search gave the same matches on the 75 calibration
 * pairs, but not where scoreSpeech's alignment leaves real misalignment. Measured (Nov 2026) with +-2 patches
 * (0.8 s): a delay jump of 1 s mid-call scored MOS 3.035 instead of 4.018, a recording starting 1.5 s late
 * 3.815 instead of 3.822, an utterance repeated 1.2 s later 3.656 instead of 3.838; with +-3 patches the
 * latter two still differed without local alignment.
 */
const SEARCH_PATCHES = 60;
// Exponential fit of NSIM to MOS over the TCD-VoIP data set: MOS = A + exp(B (nsim - X0)).
const FIT_A = -262.847869;
const FIT_B = 0.0154302525;
const FIT_X0 = -361.063949;
const SCALE_TO_FIVE = Math.fround(1.245063);
/** Below this mean NSIM the signals are taken as unrelated and score 1. */
const UNRELATED_NSIM = 0.15;

/**
 * ViSQOL speech-mode score of `degraded` against `reference`, both mono at `sampleRate`, samples in [-1, 1].
 * Run at 16 kHz for speech (any rate works: windows scale with it, bands stop at 8 kHz).
 * Throws MetricsInputError ('too-short', 'no-speech') when there is nothing to score.
 */
export function visqolSpeech(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: VisqolOptions = {}): VisqolResult {
  return visqol(reference, degraded, sampleRate, options, true);
}

/**
 * visqolSpeech() of a degraded signal that already lines up with the reference sample by sample, as
 * scoreSpeech's realign() leaves it: ViSQOL's global alignment (an FFT cross-correlation over every lag, a
 * quarter of its time) is skipped. On such pairs that search finds no lag to apply (all 72 pairs of the
 * calibration set), so the result is the same.
 */
export function visqolSpeechAligned(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: VisqolOptions = {}): VisqolResult {
  return visqol(reference, degraded, sampleRate, options, false);
}

function visqol(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: VisqolOptions, alignFirst: boolean): VisqolResult {
  if (!(Number.isInteger(sampleRate) && sampleRate >= 8000)) {
    throw new MetricsInputError(`ViSQOL needs an integer sample rate of at least 8000 Hz, got ${sampleRate}`, 'invalid');
  }
  const ref = toFloat64(reference, 'reference');
  const degradedSquares = sumOfSquares(degraded, 'degraded');
  const filterbank = filterbankFor(sampleRate);
  // Enough frames for the first patch, which starts at frame 9.
  const minimumLength = filterbank.windowSize + (FIRST_PATCH_FRAME + PATCH_FRAMES - 1) * filterbank.hop;
  for (const [name, length] of [['reference', reference.length], ['degraded', degraded.length]] as const) {
    if (length < minimumLength) {
      throw new MetricsInputError(
        `ViSQOL needs at least ${Math.ceil((minimumLength / sampleRate) * 1000)} ms of audio; the ${name} has ${Math.round((length / sampleRate) * 1000)} ms`,
        'too-short',
      );
    }
  }
  const refRms = Math.sqrt(ref.sumOfSquares / reference.length);
  if (refRms === 0) throw new MetricsInputError('the reference is silent', 'no-speech');

  let levelled: Float64Array;
  if (alignFirst) {
    const aligned = alignGlobally(ref.data, { data: Float64Array.from(degraded), origin: 0 }).degraded.data;
    levelled = scaled(aligned, levelFactor(refRms, rootMeanSquare(aligned)));
  } else {
    // Converted and scaled in one pass: the same products as scaling a Float64 copy.
    levelled = scaled(degraded, levelFactor(refRms, Math.sqrt(degradedSquares / degraded.length)));
  }

  const referenceFrames = new FrameStore(filterbank, ref.data);
  const degradedFrames = new FrameStore(filterbank, levelled);
  const [refSpectrogram, degSpectrogram] = prepareForComparison(
    referenceFrames.spectrogram({ data: ref.data, origin: 0 }),
    degradedFrames.spectrogram({ data: levelled, origin: 0 }),
  );
  const refStarts = voicedPatchStarts(ref.data, refSpectrogram.frames, filterbank.hop, ref.peak);
  if (refStarts.length === 0) throw new MetricsInputError('no voice activity in the reference', 'no-speech');
  const coarse = matchPatches(refSpectrogram, degSpectrogram, refStarts, SEARCH_PATCHES);
  if (coarse.length === 0) {
    throw new MetricsInputError('the degraded signal is too short or too different to match any reference patch', 'too-short');
  }
  const signals = { filterbank, reference: ref.data, degraded: levelled, referenceFrames, degradedFrames };
  const matches = coarse.map((match) => realign(match, signals));
  return score(matches, options.scaleToFive ?? true);
}

/**
 * One filterbank per sample rate, kept: its WebAssembly kernel's memory (over a megabyte for 10 s) is reused by
 * every later call instead of being allocated and collected each time.
 */
const filterbanks = new Map<number, GammatoneFilterbank>();

function filterbankFor(sampleRate: number): GammatoneFilterbank {
  let filterbank = filterbanks.get(sampleRate);
  if (!filterbank) {
    filterbank = new GammatoneFilterbank(sampleRate);
    filterbanks.set(sampleRate, filterbank);
  }
  return filterbank;
}

function score(matches: PatchMatch[], scaleToFive: boolean): VisqolResult {
  const bandNsim = matches[0].bandMeans.map(() => 0);
  for (const match of matches) for (let band = 0; band < bandNsim.length; band++) bandNsim[band] += match.bandMeans[band];
  for (let band = 0; band < bandNsim.length; band++) bandNsim[band] /= matches.length;
  const nsim = bandNsim.reduce((sum, value) => sum + value, 0) / bandNsim.length;
  const mapped = FIT_A + Math.exp(FIT_B * (nsim - FIT_X0));
  const mos = nsim < UNRELATED_NSIM ? 1 : Math.min(Math.max(mapped * (scaleToFive ? SCALE_TO_FIVE : 1), 1), 5);
  return {
    mos,
    nsim,
    patches: matches.map((match) => ({ refStartFrame: match.refStart, degStartFrame: match.degStart ?? -1, nsim: match.similarity })),
    bandNsim: Array.from(bandNsim),
  };
}

/** The gain that brings the degraded signal to the reference's sound pressure level, computed as upstream does. */
function levelFactor(referenceRms: number, degradedRms: number): number {
  if (degradedRms === 0) throw new MetricsInputError('the degraded signal is silent', 'no-speech');
  const splReference = 2e-5;
  const refSpl = 20 * Math.log10(referenceRms / splReference);
  const degSpl = 20 * Math.log10(degradedRms / splReference);
  return Math.pow(10, (refSpl - degSpl) / 20);
}

function scaled(signal: Float32Array | Float64Array, factor: number): Float64Array {
  const out = new Float64Array(signal.length);
  for (let i = 0; i < out.length; i++) out[i] = signal[i] * factor;
  return out;
}

function rootMeanSquare(signal: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < signal.length; i++) sum += signal[i] * signal[i];
  return Math.sqrt(sum / signal.length);
}

/** The sum of squares, in sample order; throws on a non-finite sample. */
function sumOfSquares(signal: Float32Array, name: string): number {
  let sum = 0;
  for (let i = 0; i < signal.length; i++) {
    const sample = signal[i];
    if (!Number.isFinite(sample)) throw new MetricsInputError(`the ${name} has a non-finite sample at index ${i}`, 'invalid');
    sum += sample * sample;
  }
  return sum;
}

/** The signal as Float64, with what later stages need of it taken in the same pass: its sum of squares and largest sample. */
function toFloat64(signal: Float32Array, name: string): { data: Float64Array; sumOfSquares: number; peak: number } {
  const data = new Float64Array(signal.length);
  let sum = 0;
  let peak = -Infinity;
  for (let i = 0; i < signal.length; i++) {
    const sample = signal[i];
    if (!Number.isFinite(sample)) throw new MetricsInputError(`the ${name} has a non-finite sample at index ${i}`, 'invalid');
    data[i] = sample;
    sum += sample * sample;
    if (sample > peak) peak = sample;
  }
  return { data, sumOfSquares: sum, peak };
}
