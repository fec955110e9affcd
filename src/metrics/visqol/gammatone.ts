/**
 * ViSQOL's gammatone spectrogram: Hann-windowed frames of round(0.08 fs) samples every quarter window, each
 * frame filtered from rest by 21 gammatone bands (Slaney's ERB filterbank, four cascaded biquads per band,
 * 50 Hz to 8 kHz), a band's value being the RMS of its output over the frame. The filtering itself runs in
 * WebAssembly (frame-energies.ts).
 */
import { FrameEnergies, type StageCoefficients } from './frame-energies.js';

export const BAND_COUNT = 21;
const MIN_FREQUENCY_HZ = 50;
const SPEECH_MAX_FREQUENCY_HZ = 8000;
const WINDOW_S = 0.08;
const HOP_FRACTION = 0.25;
// Glasberg and Moore's ERB parameters, as in Slaney's "An Efficient Implementation of the Patterson-Holdsworth
// Cochlear Filter Bank" (Apple TR #35).
const EAR_Q = 9.26449;
const MIN_BANDWIDTH_HZ = 24.7;

/** Band-major matrix: `data[band * frames + frame]`. */
export interface Spectrogram {
  frames: number;
  data: Float64Array;
}

/** A stretch of a signal; `origin` is set when `data` is exactly `source[origin, origin + length)`. */
export interface Segment {
  data: Float64Array;
  origin?: number;
}

/**
 * One band of Slaney's design: four biquads sharing the denominator 1 + a1 z^-1 + a2 z^-2, stage k having the
 * numerator (b0 + b1[k] z^-1) / (k === 0 ? gain : 1).
 */
export interface GammatoneBand {
  centreHz: number;
  b0: number;
  b1: [number, number, number, number];
  a1: number;
  a2: number;
  gain: number;
}

/**
 * The same band with every stage's numerator divided by its b0, so a stage costs three multiplications instead
 * of four; the product of the b0s and 1/gain is applied once to the band's RMS (exact in real arithmetic, a few
 * ulps apart in floating point).
 */
interface NormalizedBand extends StageCoefficients {
  outputGain: number;
}

export class GammatoneFilterbank {
  readonly windowSize: number;
  readonly hop: number;
  /** Centre frequencies, lowest band first. */
  readonly centreFrequencies: number[];
  private readonly bands: NormalizedBand[];
  private readonly energies: FrameEnergies;

  constructor(readonly sampleRate: number) {
    this.windowSize = Math.round(sampleRate * WINDOW_S);
    this.hop = Math.trunc(this.windowSize * HOP_FRACTION);
    const bands = gammatoneBands(sampleRate);
    this.centreFrequencies = bands.map((band) => band.centreHz);
    this.bands = bands.map((band) => ({
      k1: band.b1[0] / band.b0,
      k2: band.b1[1] / band.b0,
      k3: band.b1[2] / band.b0,
      k4: band.b1[3] / band.b0,
      a1: band.a1,
      a2: band.a2,
      outputGain: Math.abs(band.b0 ** 4 / band.gain),
    }));
    const hann = new Float64Array(this.windowSize);
    for (let i = 0; i < this.windowSize; i++) hann[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (this.windowSize - 1));
    this.energies = new FrameEnergies(this.bands, hann, this.hop);
  }

  frameCount(length: number): number {
    return length > this.windowSize ? 1 + Math.floor((length - this.windowSize) / this.hop) : 0;
  }

  /**
   * The band RMS values of `count` frames of `signal`, the first starting at sample `start`, then every hop:
   * result[frame * BAND_COUNT + band].
   */
  analyseFrames(signal: Float64Array, start: number, count: number): Float64Array {
    const energies = this.energies.energies(signal, start, count);
    const out = new Float64Array(count * BAND_COUNT);
    for (let frame = 0; frame < count; frame++) {
      for (let band = 0; band < BAND_COUNT; band++) {
        out[frame * BAND_COUNT + band] = this.bands[band].outputGain * Math.sqrt(energies[frame * BAND_COUNT + band] / this.windowSize);
      }
    }
    return out;
  }
}

/**
 * Frames of one signal, each computed once: the fine alignment re-reads frames of the coarse spectrogram
 * whenever a re-aligned patch starts on the same sample.
 */
export class FrameStore {
  private readonly cache = new Map<number, Float64Array>();

  constructor(
    private readonly filterbank: GammatoneFilterbank,
    private readonly source: Float64Array,
  ) {}

  spectrogram(segment: Segment): Spectrogram {
    const fb = this.filterbank;
    const frames = fb.frameCount(segment.data.length);
    const data = new Float64Array(BAND_COUNT * frames);
    const { origin } = segment;
    if (origin === undefined) {
      const columns = fb.analyseFrames(segment.data, 0, frames);
      for (let t = 0; t < frames; t++) for (let band = 0; band < BAND_COUNT; band++) data[band * frames + t] = columns[t * BAND_COUNT + band];
      return { frames, data };
    }
    let missing = false;
    for (let t = 0; t < frames && !missing; t++) missing = !this.cache.has(origin + t * fb.hop);
    if (missing) {
      const columns = fb.analyseFrames(this.source, origin, frames);
      for (let t = 0; t < frames; t++) {
        const start = origin + t * fb.hop;
        if (!this.cache.has(start)) this.cache.set(start, columns.subarray(t * BAND_COUNT, (t + 1) * BAND_COUNT));
      }
    }
    for (let t = 0; t < frames; t++) {
      const column = this.cache.get(origin + t * fb.hop)!;
      for (let band = 0; band < BAND_COUNT; band++) data[band * frames + t] = column[band];
    }
    return { frames, data };
  }
}

/** Slaney's MakeERBFilters for the speech mode's bands at `sampleRate`, lowest band first (Slaney lists the highest first). */
export function gammatoneBands(sampleRate: number): GammatoneBand[] {
  const t = 1 / sampleRate;
  const highHz = Math.min(SPEECH_MAX_FREQUENCY_HZ, sampleRate / 2);
  const centres = uniformErbCentres(MIN_FREQUENCY_HZ, highHz, BAND_COUNT);
  const bands = centres.map((cf): GammatoneBand => {
    const erb = cf / EAR_Q + MIN_BANDWIDTH_HZ;
    const b = 1.019 * 2 * Math.PI * erb;
    const expBT = Math.exp(b * t);
    const cosTerm = Math.cos(2 * cf * Math.PI * t);
    const sinTerm = Math.sin(2 * cf * Math.PI * t);
    const sinT = sinTerm * t;
    const bPos = sinT * 2 * Math.sqrt(3 + Math.pow(2, 1.5));
    const bNeg = sinT * 2 * Math.sqrt(3 - Math.pow(2, 1.5));
    const a = cosTerm * 2 * t;
    return {
      centreHz: cf,
      b0: t,
      b1: [-(a / expBT + bPos / expBT) / 2, -(a / expBT - bPos / expBT) / 2, -(a / expBT + bNeg / expBT) / 2, -(a / expBT - bNeg / expBT) / 2],
      a1: (-2 * cosTerm) / expBT,
      a2: Math.exp(-2 * b * t),
      gain: bandGain(cf, b, t),
    };
  });
  return bands.reverse();
}

function uniformErbCentres(lowHz: number, highHz: number, count: number): number[] {
  const a = -(EAR_Q * MIN_BANDWIDTH_HZ);
  const step = (-Math.log(highHz + EAR_Q * MIN_BANDWIDTH_HZ) + Math.log(lowHz + EAR_Q * MIN_BANDWIDTH_HZ)) / count;
  const d = highHz + EAR_Q * MIN_BANDWIDTH_HZ;
  return Array.from({ length: count }, (_, i) => a + Math.exp((i + 1) * step) * d);
}

/** |x1 x2 x3 x4 / x5^4| of Slaney's design: the gain that makes the cascade's peak response 1. */
function bandGain(cf: number, b: number, t: number): number {
  const p1 = Math.pow(2, 1.5);
  const s1 = Math.sqrt(3 - p1);
  const s2 = Math.sqrt(3 + p1);
  const xExp = expi(4 * cf * Math.PI * t); // e^{4 i pi cf T}
  const x01 = scale(xExp, -2 * t);
  const x02 = scale(expi(2 * cf * Math.PI * t), 2 * Math.exp(-b * t) * t);
  const xCos = Math.cos(2 * cf * Math.PI * t);
  const xSin = Math.sin(2 * cf * Math.PI * t);
  const term = (k: number) => add(x01, scale(x02, xCos + k * xSin));
  const x5 = add(add([-2 / Math.exp(2 * b * t), 0], scale(xExp, -2)), scale([1 + xExp[0], xExp[1]], 2 / Math.exp(b * t)));
  const numerator = abs(term(-s1)) * abs(term(s1)) * abs(term(-s2)) * abs(term(s2));
  return numerator / Math.pow(abs(x5), 4);
}

type Complex = [number, number];
const expi = (phase: number): Complex => [Math.cos(phase), Math.sin(phase)];
const scale = (z: Complex, k: number): Complex => [z[0] * k, z[1] * k];
const add = (u: Complex, v: Complex): Complex => [u[0] + v[0], u[1] + v[1]];
const abs = (z: Complex): number => Math.hypot(z[0], z[1]);
