/**
 * Conversion to the 10 kHz that STOI is defined at. The metrics layer does not import media/, so it
 * carries this small polyphase converter, designed as MATLAB's resample() (and SciPy's resample_poly)
 * design it, which is what STOI's reference code uses: for the ratio up/down in lowest terms, a
 * Kaiser-windowed (beta 5) sinc at the up-sampled rate, cut off at the lower Nyquist frequency,
 * 10 x max(up, down) taps either side, unity gain at DC. 16 kHz -> 10 kHz costs about 33 taps per
 * output sample.
 */

import { POLYPHASE_PAIR_WASM } from './polyphase-pair-wasm.js';
import { WasmKernel } from './wasm-kernel.js';

export const STOI_RATE = 10_000;

const KAISER_BETA = 5;
const HALF_LENGTH_FACTOR = 10;
const MAX_PHASES = 10_000;

interface Polyphase {
  up: number;
  down: number;
  /** Taps t = 0..taps-1 of phase p at table[p * taps + t], applied to input sample base + first + t. */
  table: Float64Array;
  taps: number;
  first: number;
}

const filters = new Map<number, Polyphase>();

/**
 * Two signals at `sampleRate` (a positive integer) converted to 10 kHz together, over `a`'s span: `b` is
 * cut to `a`'s length, or taken as silent past its end when shorter. The filter's indexing is shared, so
 * this costs less than converting each alone; the WebAssembly kernel (polyphase-pair.wat) runs one
 * signal in each lane of a vector.
 */
export function resamplePairTo10k(a: Float32Array, b: Float32Array, sampleRate: number): [Float64Array, Float64Array] {
  const bLength = Math.min(a.length, b.length);
  if (sampleRate === STOI_RATE) {
    const outB = new Float64Array(a.length);
    for (let i = 0; i < bLength; i++) outB[i] = b[i];
    return [Float64Array.from(a), outB];
  }
  let filter = filters.get(sampleRate);
  if (!filter) {
    filter = design(sampleRate, STOI_RATE);
    filters.set(sampleRate, filter);
  }
  const { up, down, table, taps, first } = filter;
  const outLength = Math.ceil((a.length * up) / down);
  // Zeros on both sides, so that the inner loop needs no bounds checks.
  const pad = taps - first;
  const tableAt = 0;
  const aAt = aligned(tableAt + table.byteLength);
  const bAt = aligned(aAt + 4 * a.length);
  const inputAt = aligned(bAt + 4 * bLength);
  const outAAt = aligned(inputAt + 16 * (a.length + 2 * pad));
  const outBAt = aligned(outAAt + 8 * outLength);
  const { kernel, buffer: memory } = polyphase.reserve(outBAt + 8 * outLength);
  new Float64Array(memory, tableAt, table.length).set(table);
  new Float32Array(memory, aAt, a.length).set(a);
  new Float32Array(memory, bAt, bLength).set(b.subarray(0, bLength));
  kernel.interleave(aAt, bAt, a.length, bLength, pad, inputAt);
  // Phase by phase: outputs m, m + up, m + 2 up ... share one row of taps, and their inputs are `down` apart.
  kernel.resample(tableAt, taps, up, down, first + pad, inputAt, outLength, outAAt, outBAt);
  return [new Float64Array(memory, outAAt, outLength).slice(), new Float64Array(memory, outBAt, outLength).slice()];
}

interface PolyphaseKernel {
  interleave(a: number, b: number, length: number, lengthB: number, pad: number, input: number): void;
  resample(table: number, taps: number, up: number, down: number, start: number, input: number, outLength: number, outA: number, outB: number): void;
}

const polyphase = new WasmKernel<PolyphaseKernel>(POLYPHASE_PAIR_WASM);

function aligned(byteOffset: number): number {
  return Math.ceil(byteOffset / 16) * 16;
}

function design(fromRate: number, toRate: number): Polyphase {
  const divisor = gcd(fromRate, toRate);
  const up = toRate / divisor;
  const down = fromRate / divisor;
  if (up > MAX_PHASES) throw new RangeError(`cannot convert ${fromRate} Hz to ${toRate} Hz: the ratio needs ${up} filter phases`);
  const longer = Math.max(up, down);
  const halfLength = HALF_LENGTH_FACTOR * longer;
  // The prototype filter h[k], k = 0..2 halfLength, at the up-sampled rate; cut-off in cycles per sample there.
  const cutoff = 0.5 / longer;
  const prototype = new Float64Array(2 * halfLength + 1);
  const besselBeta = besselI0(KAISER_BETA);
  let sum = 0;
  for (let k = 0; k < prototype.length; k++) {
    const x = (k - halfLength) / halfLength;
    prototype[k] = 2 * cutoff * sinc(2 * cutoff * (k - halfLength)) * (besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - x * x))) / besselBeta);
    sum += prototype[k];
  }
  // Output m sits at up-sampled position m * down = base * up + phase; input n = base + d meets h[phase - d * up + halfLength].
  const first = -Math.ceil(halfLength / up);
  const last = Math.ceil((up + halfLength) / up);
  const taps = 2 * Math.ceil((last - first + 1) / 2);
  const table = new Float64Array(up * taps);
  for (let phase = 0; phase < up; phase++) {
    for (let t = 0; t < taps; t++) {
      const k = phase - (first + t) * up + halfLength;
      if (k >= 0 && k < prototype.length) table[phase * taps + t] = (prototype[k] * up) / sum;
    }
  }
  return { up, down, table, taps, first };
}

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
