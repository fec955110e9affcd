/**
 * Conversion of any whole-Hz input rate from 8 to 48 kHz to the 16 kHz the model works at: a
 * Blackman-windowed sinc with 16 zero crossings per side, cut off at 95% of the lower Nyquist frequency,
 * taps read from a table of 512 steps per zero crossing (linear interpolation), once per phase. The
 * metrics layer does not import media/, and util's high-order resampler costs several times more; this
 * one's ~70 dB stop band is far beyond what a loudness model on 32 ms frames can notice.
 */

export const MODEL_RATE = 16_000;
export const MIN_RATE = 8_000;
export const MAX_RATE = 48_000;

const ZERO_CROSSINGS = 16;
const CUTOFF = 0.95;
const TABLE_STEPS = 512;

/** The kernel sampled at TABLE_STEPS points per zero crossing, for |t| from 0 to ZERO_CROSSINGS. */
const kernel = buildKernel();

function buildKernel(): Float64Array {
  const table = new Float64Array(ZERO_CROSSINGS * TABLE_STEPS + 2);
  for (let i = 0; i < table.length; i++) {
    const t = i / TABLE_STEPS; // in zero crossings
    const x = t / ZERO_CROSSINGS; // 0..1 across the window's half
    if (x >= 1) continue;
    const window = 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
    table[i] = (t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t)) * window;
  }
  return table;
}

/** `samples` at `fromRate`, resampled to 16 kHz; returned as is (not copied) when already at 16 kHz. */
export function resampleTo16k(samples: Float32Array, fromRate: number): Float32Array {
  if (!(Number.isFinite(fromRate) && fromRate >= MIN_RATE && fromRate <= MAX_RATE)) {
    throw new RangeError(`sample rate must be between ${MIN_RATE} and ${MAX_RATE} Hz, got ${fromRate}`);
  }
  if (fromRate === MODEL_RATE) return samples;
  if (!Number.isInteger(fromRate)) throw new RangeError(`sample rate must be a whole number of Hz, got ${fromRate}`);
  // Kernel frequency scale: zero crossings every 1/(2 fc) input samples, fc in cycles per input sample.
  const crossingsPerSample = CUTOFF * Math.min(1, MODEL_RATE / fromRate);
  const reach = Math.ceil(ZERO_CROSSINGS / crossingsPerSample);
  const taps = 2 * reach + 2;
  // Output i sits at input position i * fromRate / 16000; its fractional part repeats every `phases`
  // outputs (1 for 48 kHz, 2 for 8 kHz, 160 for 44.1 kHz), so each phase's taps are computed once.
  const phases = MODEL_RATE / gcd(fromRate, MODEL_RATE);
  const weights = new Float64Array(phases * taps);
  for (let p = 0; p < phases; p++) {
    const fraction = ((p * fromRate) % MODEL_RATE) / MODEL_RATE;
    for (let k = 0; k < taps; k++) {
      const position = Math.abs(k - reach - fraction) * crossingsPerSample * TABLE_STEPS;
      const index = Math.floor(position);
      if (index < kernel.length - 1) weights[p * taps + k] = (kernel[index] + (kernel[index + 1] - kernel[index]) * (position - index)) * crossingsPerSample;
    }
  }
  const out = new Float32Array(Math.floor((samples.length * MODEL_RATE) / fromRate));
  const n = samples.length;
  for (let i = 0; i < out.length; i++) {
    const base = Math.floor((i * fromRate) / MODEL_RATE) - reach;
    const row = (i % phases) * taps;
    const kStart = Math.max(0, -base);
    const kEnd = Math.min(taps, n - base);
    let sum = 0;
    for (let k = kStart; k < kEnd; k++) sum += samples[base + k] * weights[row + k];
    out[i] = sum;
  }
  return out;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
