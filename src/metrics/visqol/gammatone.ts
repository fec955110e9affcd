/**
 * ViSQOL's gammatone spectrogram: Hann-windowed frames of round(0.08 fs) samples every quarter window, each
 * frame filtered from rest by 21 gammatone bands (Slaney's ERB filterbank, four cascaded biquads per band,
 * 50 Hz to 8 kHz), a band's value being the RMS of its output over the frame.
 */

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
interface NormalizedBand {
  k1: number;
  k2: number;
  k3: number;
  k4: number;
  a1: number;
  a2: number;
  outputGain: number;
}

export class GammatoneFilterbank {
  readonly windowSize: number;
  readonly hop: number;
  /** Centre frequencies, lowest band first. */
  readonly centreFrequencies: number[];
  private readonly bands: NormalizedBand[];
  private readonly hann: Float64Array;
  private readonly frame: Float64Array;

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
    this.hann = new Float64Array(this.windowSize);
    for (let i = 0; i < this.windowSize; i++) this.hann[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (this.windowSize - 1));
    this.frame = new Float64Array(this.windowSize);
  }

  frameCount(length: number): number {
    return length > this.windowSize ? 1 + Math.floor((length - this.windowSize) / this.hop) : 0;
  }

  /** The band RMS values of the frame starting at `start`, written to out[outOffset + band * stride]. */
  analyseFrame(signal: Float64Array, start: number, out: Float64Array, outOffset: number, stride: number): void {
    const size = this.windowSize;
    const frame = this.frame;
    const hann = this.hann;
    for (let i = 0; i < size; i++) frame[i] = signal[start + i] * hann[i];
    for (let band = 0; band < BAND_COUNT; band++) {
      const { k1, k2, k3, k4, a1, a2, outputGain } = this.bands[band];
      // Transposed direct form II, state reset for every frame.
      let s1a = 0, s1b = 0, s2a = 0, s2b = 0, s3a = 0, s3b = 0, s4a = 0, s4b = 0;
      let energy = 0;
      for (let n = 0; n < size; n++) {
        const x = frame[n];
        const y1 = x + s1a;
        s1a = k1 * x + s1b - a1 * y1;
        s1b = -a2 * y1;
        const y2 = y1 + s2a;
        s2a = k2 * y1 + s2b - a1 * y2;
        s2b = -a2 * y2;
        const y3 = y2 + s3a;
        s3a = k3 * y2 + s3b - a1 * y3;
        s3b = -a2 * y3;
        const y4 = y3 + s4a;
        s4a = k4 * y3 + s4b - a1 * y4;
        s4b = -a2 * y4;
        energy += y4 * y4;
      }
      out[outOffset + band * stride] = outputGain * Math.sqrt(energy / size);
    }
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
    for (let t = 0; t < frames; t++) {
      if (segment.origin === undefined) {
        fb.analyseFrame(segment.data, t * fb.hop, data, t, frames);
        continue;
      }
      const column = this.column(segment.origin + t * fb.hop);
      for (let band = 0; band < BAND_COUNT; band++) data[band * frames + t] = column[band];
    }
    return { frames, data };
  }

  private column(start: number): Float64Array {
    let column = this.cache.get(start);
    if (!column) {
      column = new Float64Array(BAND_COUNT);
      this.filterbank.analyseFrame(this.source, start, column, 0, 1);
      this.cache.set(start, column);
    }
    return column;
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
