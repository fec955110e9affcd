/**
 * ViSQOL's patch matching: each reference patch finds its degraded patch by dynamic programming over
 * +-searchPatches patches (patches matched in order, a patch may stay unmatched), then each matched pair is
 * re-aligned in the time domain on its own and scored again, keeping the better similarity.
 */
import { alignGlobally } from './alignment.js';
import { BAND_COUNT, type FrameStore, type GammatoneFilterbank, type Segment, type Spectrogram } from './gammatone.js';
import { nsim, type PatchSimilarity } from './nsim.js';
import { PatchComparator } from './patch-comparator.js';
import { prepareForComparison } from './prepare.js';
import { PATCH_FRAMES } from './voice-activity.js';

export interface PatchMatch extends PatchSimilarity {
  refStart: number;
  /** Start frame of the matched degraded patch; undefined when the reference patch found no match. */
  degStart: number | undefined;
}

/** Coarse matching on the prepared spectrograms. Returns [] when the degraded signal is too short for any patch. */
export function matchPatches(ref: Spectrogram, deg: Spectrogram, refStarts: number[], searchPatches: number): PatchMatch[] {
  const window = searchPatches * PATCH_FRAMES;
  let count = refStarts.length;
  // The last patch may start up to half a patch past the degraded spectrogram's end.
  while (count > 0 && refStarts[count - 1] - Math.floor(PATCH_FRAMES / 2) > deg.frames) count--;
  if (count === 0 || deg.frames === 0) return [];

  const comparator = new PatchComparator(ref, refStarts.slice(0, count), PATCH_FRAMES, deg);

  // cumulative[p][s]: best total similarity of patches 0..p with patch p at degraded frame s.
  const cumulative = Array.from({ length: count }, () => new Float64Array(deg.frames));
  const backtrace = Array.from({ length: count }, () => new Int32Array(deg.frames));
  for (let patch = 0; patch < count; patch++) {
    const first = Math.max(0, refStarts[patch] - window);
    const last = Math.min(refStarts[patch] + window, deg.frames - 1);
    const previous = patch > 0 ? cumulative[patch - 1] : undefined;
    const lowerLimit = patch > 0 ? Math.max(refStarts[patch - 1] - window, 0) : 0;
    // Best of previous[lowerLimit .. slide - 1], the highest offset among equals, kept as the range grows.
    let bestBefore = -Number.MAX_VALUE;
    let bestBeforeAt = -1;
    if (previous) {
      for (let back = first - 1; back >= lowerLimit; back--) {
        if (previous[back] > bestBefore) {
          bestBefore = previous[back];
          bestBeforeAt = back;
        }
      }
    }
    const similarities = comparator.similarities(patch, first, last);
    for (let slide = first; slide <= last; slide++) {
      let total = similarities[slide - first];
      let from = -1;
      if (previous) {
        if (slide > first) {
          const added = previous[slide - 1];
          if (slide - 1 >= lowerLimit && added > -Number.MAX_VALUE && added >= bestBefore) {
            bestBefore = added;
            bestBeforeAt = slide - 1;
          }
        }
        total += bestBefore;
        from = bestBeforeAt;
        // Leaving this reference patch unmatched (say, lost in the degraded signal) may score better.
        if (previous[slide] > total) {
          total = previous[slide];
          from = slide;
        }
      }
      cumulative[patch][slide] = total;
      backtrace[patch][slide] = from;
    }
  }

  const lastPatch = count - 1;
  let bestTotal = -Number.MAX_VALUE;
  let offset = -1;
  for (let slide = Math.max(0, refStarts[lastPatch] - window); slide <= refStarts[lastPatch] + window; slide++) {
    if (slide >= deg.frames - PATCH_FRAMES) break;
    if (cumulative[lastPatch][slide] > bestTotal) {
      bestTotal = cumulative[lastPatch][slide];
      offset = slide;
    }
  }
  if (offset < 0) return [];

  const matches: PatchMatch[] = new Array(count);
  for (let patch = lastPatch; patch >= 0; patch--) {
    const from = offset >= 0 ? backtrace[patch][offset] : offset;
    if (offset < 0 || from === offset) {
      matches[patch] = { refStart: refStarts[patch], degStart: undefined, similarity: 0, bandMeans: new Float64Array(BAND_COUNT) };
    } else {
      matches[patch] = { refStart: refStarts[patch], degStart: offset, ...comparator.detailed(patch, offset) };
    }
    offset = from;
  }
  return matches;
}

export interface Signals {
  filterbank: GammatoneFilterbank;
  reference: Float64Array;
  degraded: Float64Array;
  referenceFrames: FrameStore;
  degradedFrames: FrameStore;
}

/**
 * Upstream's fine alignment of one matched pair: cut both patches' audio, align them again, build and prepare
 * their own spectrograms, and keep the new similarity if it is not worse.
 */
export function realign(match: PatchMatch, signals: Signals): PatchMatch {
  if (match.degStart === undefined) return match;
  const { filterbank, reference, degraded } = signals;
  const rate = filterbank.sampleRate;
  const frameDuration = filterbank.hop / rate;
  const patchDuration = frameDuration * PATCH_FRAMES;
  const refStartTime = match.refStart * frameDuration;
  const degStartTime = match.degStart * frameDuration;
  const refPatch = slice(reference, refStartTime, refStartTime + patchDuration, rate);
  const degPatch = slice(degraded, degStartTime, degStartTime + patchDuration, rate);

  const aligned = alignGlobally(refPatch.data, degPatch);
  let refAligned: Segment = refPatch;
  let degAligned = aligned.degraded;
  const refLength = refPatch.data.length;
  const degLength = degAligned.data.length;
  if (refLength > degLength) {
    refAligned = subsegment(refPatch, 0, degLength);
  } else if (refLength < degLength) {
    // Upstream converts the lag to seconds and back, truncating.
    const cut = Math.trunc((aligned.lag / rate) * rate);
    refAligned = subsegment(refPatch, cut, refLength);
    degAligned = subsegment(degAligned, cut, refLength);
  }
  if (filterbank.frameCount(refAligned.data.length) === 0) return match;

  const [refSpectrogram, degSpectrogram] = prepareForComparison(
    signals.referenceFrames.spectrogram(refAligned),
    signals.degradedFrames.spectrogram(degAligned),
  );
  const frames = refSpectrogram.frames;
  const refined = nsim(
    { data: refSpectrogram.data, frames, start: 0, width: frames },
    { data: degSpectrogram.data, frames: degSpectrogram.frames, start: 0, width: frames },
  );
  return refined.similarity < match.similarity ? match : { ...match, ...refined };
}

/** Samples [trunc(start rate), min(length - 1, trunc(end rate))) as upstream cuts them (its end index is exclusive). */
function slice(signal: Float64Array, startTime: number, endTime: number, rate: number): Segment {
  const start = Math.max(0, Math.trunc(startTime * rate));
  const end = Math.min(signal.length - 1, Math.trunc(endTime * rate));
  return { data: signal.subarray(start, Math.max(start, end)), origin: start };
}

function subsegment(segment: Segment, from: number, to: number): Segment {
  return { data: segment.data.subarray(from, to), origin: segment.origin === undefined ? undefined : segment.origin + from };
}
