/**
 * The auditory front end of mosLqo: 32 ms Hann frames every 16 ms at 16 kHz, power in half-Bark bands
 * from 100 Hz to 8 kHz, and Zwicker's specific loudness per band.
 *
 * - Bark scale: Traunmueller's formula z = 26.81 f / (1960 + f) - 0.53 (critical-band rate).
 * - Threshold in quiet: Terhardt's approximation
 *   T(f) = 3.64 (f/kHz)^-0.8 - 6.5 exp(-0.6 (f/kHz - 3.3)^2) + 1e-3 (f/kHz)^4 dB SPL.
 * - Specific loudness (Zwicker & Fastl, "Psychoacoustics", ch. 8):
 *   N' = 0.08 (E_T/E_0)^0.23 [(0.5 + 0.5 E/E_T)^0.23 - 1] sone/Bark, 0 below threshold, where E is the
 *   band's intensity and E_T the threshold's; the 0.23 exponent is the compressive growth of loudness.
 * Intensities are in units of 0 dB SPL; the caller chooses the playback level (dB SPL of full scale).
 */
import { BandPowerMeter } from './band-powers.js';
import { MODEL_RATE } from './resample-16k.js';

export const FRAME_SAMPLES = 512;
export const HOP_SAMPLES = 256;
export const FRAME_MS = (1000 * FRAME_SAMPLES) / MODEL_RATE;
export const HOP_MS = (1000 * HOP_SAMPLES) / MODEL_RATE;

const LOWEST_HZ = 100;
const HIGHEST_HZ = 8000;
const BAND_WIDTH_BARK = 0.5;
/** Zwicker's compressive growth of loudness with intensity. */
const LOUDNESS_EXPONENT = 0.23;

export interface BandLayout {
  count: number;
  /** FFT bins firstBin[b] .. lastBin[b] (inclusive) make band b. */
  firstBin: Int32Array;
  lastBin: Int32Array;
  centreHz: Float64Array;
  /** Width in Bark, to turn specific loudness into loudness. */
  widthBark: Float64Array;
  /** Threshold in quiet as an intensity (0 dB SPL = 1). */
  thresholdIntensity: Float64Array;
}

export function bark(hz: number): number {
  return (26.81 * hz) / (1960 + hz) - 0.53;
}

function thresholdInQuietDb(hz: number): number {
  const khz = hz / 1000;
  return 3.64 * khz ** -0.8 - 6.5 * Math.exp(-0.6 * (khz - 3.3) ** 2) + 1e-3 * khz ** 4;
}

/** Half-Bark bands made of whole FFT bins; a band narrower than a bin joins its neighbour. */
function buildBandLayout(): BandLayout {
  const binHz = MODEL_RATE / FRAME_SAMPLES;
  const lowestBark = bark(LOWEST_HZ);
  const first: number[] = [];
  const last: number[] = [];
  let currentBand = -1;
  for (let bin = Math.ceil(LOWEST_HZ / binHz); bin * binHz < HIGHEST_HZ; bin++) {
    const band = Math.floor((bark(bin * binHz) - lowestBark) / BAND_WIDTH_BARK);
    if (band !== currentBand) {
      first.push(bin);
      last.push(bin);
      currentBand = band;
    } else {
      last[last.length - 1] = bin;
    }
  }
  const count = first.length;
  const layout: BandLayout = {
    count,
    firstBin: Int32Array.from(first),
    lastBin: Int32Array.from(last),
    centreHz: new Float64Array(count),
    widthBark: new Float64Array(count),
    thresholdIntensity: new Float64Array(count),
  };
  for (let b = 0; b < count; b++) {
    const lowHz = (first[b] - 0.5) * binHz;
    const highHz = (last[b] + 0.5) * binHz;
    layout.centreHz[b] = Math.sqrt(lowHz * highHz);
    layout.widthBark[b] = bark(highHz) - bark(lowHz);
    layout.thresholdIntensity[b] = 10 ** (thresholdInQuietDb(layout.centreHz[b]) / 10);
  }
  return layout;
}

export const bands: BandLayout = buildBandLayout();

const hann = Float64Array.from({ length: FRAME_SAMPLES }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FRAME_SAMPLES));
/** Turns summed |X_k|^2 over positive-frequency bins into the mean square of the signal in those bins. */
const POWER_SCALE = 2 / (FRAME_SAMPLES * hann.reduce((sum, w) => sum + w * w, 0));

/**
 * Measures band powers (mean square, full scale = 1) of frames of `signal`: meter.powers(starts) gives
 * those of the frames starting at `starts[f]` (samples; parts outside the signal count as silence),
 * frames x bands, row-major. The signal is copied once, so it may be measured at many starts cheaply.
 */
export function bandPowerMeter(signal: Float32Array): BandPowerMeter {
  return new BandPowerMeter(signal, bands, hann, POWER_SCALE);
}

/** Specific loudness (sone/Bark) of band powers scaled by `intensityPerUnitPower` (to 0 dB SPL units), in place of a copy. */
export function specificLoudness(powers: Float64Array, intensityPerUnitPower: number): Float64Array {
  const out = new Float64Array(powers.length);
  const count = bands.count;
  for (let b = 0; b < count; b++) {
    const threshold = bands.thresholdIntensity[b];
    const scale = 0.08 * threshold ** LOUDNESS_EXPONENT;
    for (let i = b; i < powers.length; i += count) {
      const intensity = powers[i] * intensityPerUnitPower;
      // exp(0.23 log x) is x^0.23 within an ulp or two, at a third of Math.pow's cost.
      if (intensity > threshold) out[i] = scale * (Math.exp(LOUDNESS_EXPONENT * Math.log(0.5 + (0.5 * intensity) / threshold)) - 1);
    }
  }
  return out;
}
