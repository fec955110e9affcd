/**
 * Segmental SNR: the mean over the reference's 20 ms speech frames of 10 log10(sum x^2 / sum (x - y)^2),
 * each frame clamped to [-10, 35] dB. It compares waveforms, so it needs the degraded signal aligned
 * to the sample (alignExact below, or local-align.ts realign for audio with time warps).
 */
import { MetricsInputError } from './errors.js';
import { checkAudio, referenceSpeech, type SpeechActivity } from './levels.js';

const MIN_FRAME_DB = -10;
const MAX_FRAME_DB = 35;

export interface SegmentalSnrOptions {
  /**
   * Scale the degraded signal by the least-squares gain against the reference over the speech frames
   * first, so that a level change alone (or an inverted polarity) costs nothing. Default true; false
   * gives the textbook measure.
   */
  matchGain?: boolean;
  /** The reference's speechActivity(), when the caller already has it. */
  referenceActivity?: SpeechActivity;
}

export interface SegmentalSnr {
  /** Mean clamped frame SNR, dB. */
  segSnrDb: number;
  /** Speech frames it was averaged over. */
  frames: number;
  /** The gain applied to the degraded signal (1 without matchGain). */
  gain: number;
}

/**
 * `degraded` moved so that its sample `n + delaySamples` lands at `n` (delaySamples is rounded to a whole
 * sample; a positive delay means the degraded signal runs late), with the reference's length: zeros
 * where the degraded signal has no sample.
 */
export function alignExact(reference: Float32Array, degraded: Float32Array, delaySamples: number): Float32Array {
  if (!Number.isFinite(delaySamples)) throw new RangeError(`delay must be a finite number of samples, got ${delaySamples}`);
  const delay = Math.round(delaySamples);
  const out = new Float32Array(reference.length);
  const from = Math.max(0, -delay);
  const to = Math.min(reference.length, degraded.length - delay);
  if (to > from) out.set(degraded.subarray(from + delay, to + delay), from);
  return out;
}

/**
 * Segmental SNR of `degraded` against `reference`, both aligned to the sample at `sampleRate`.
 * A degraded signal shorter than the reference counts as silent at its end.
 * Throws MetricsInputError when the reference has no speech or less than 1 s of it, or either input is
 * not finite audio.
 */
export function segmentalSnr(reference: Float32Array, degraded: Float32Array, sampleRate: number, options: SegmentalSnrOptions = {}): SegmentalSnr {
  checkAudio(degraded, sampleRate, 'degraded signal');
  const activity = referenceSpeech(reference, sampleRate, options.referenceActivity);
  const { speechFrames, frameLength } = activity;
  let y = degraded;
  if (degraded.length < reference.length) {
    y = new Float32Array(reference.length);
    y.set(degraded);
  }

  let gain = 1;
  if (options.matchGain ?? true) {
    let cross = 0;
    let degradedEnergy = 0;
    for (let f = 0; f < speechFrames.length; f++) {
      if (!speechFrames[f]) continue;
      for (let i = f * frameLength; i < (f + 1) * frameLength; i++) {
        cross += reference[i] * y[i];
        degradedEnergy += y[i] * y[i];
      }
    }
    if (degradedEnergy > 0) gain = cross / degradedEnergy;
  }

  let total = 0;
  let frames = 0;
  for (let f = 0; f < speechFrames.length; f++) {
    if (!speechFrames[f]) continue;
    let signalEnergy = 0;
    let noiseEnergy = 0;
    for (let i = f * frameLength; i < (f + 1) * frameLength; i++) {
      const error = reference[i] - gain * y[i];
      signalEnergy += reference[i] * reference[i];
      noiseEnergy += error * error;
    }
    const snr = noiseEnergy > 0 ? 10 * Math.log10(signalEnergy / noiseEnergy) : MAX_FRAME_DB;
    total += Math.min(MAX_FRAME_DB, Math.max(MIN_FRAME_DB, snr));
    frames++;
  }
  if (frames === 0) throw new MetricsInputError('the reference has no speech frames', 'no-speech');
  return { segSnrDb: total / frames, frames, gain };
}
