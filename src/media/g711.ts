/**
 * ITU-T G.711 (11/88) PCMU (mu-law) and PCMA (A-law), with the bit manipulation of the classic
 * public-domain reference (Sun Microsystems' g711.c), and a packet loss concealer in the spirit of
 * G.711 Appendix I (pitch-period waveform repetition with fading), simplified.
 */

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

/** One 16-bit linear sample to a mu-law code byte. */
export function linearToMulaw(sample: number): number {
  let value = clampInt16(sample);
  const sign = value < 0 ? 0x80 : 0;
  if (value < 0) value = -value;
  if (value > MULAW_CLIP) value = MULAW_CLIP;
  value += MULAW_BIAS;
  let segment = 7;
  for (let mask = 0x4000; (value & mask) === 0 && segment > 0; mask >>= 1) segment--;
  const mantissa = (value >> (segment + 3)) & 0x0f;
  return ~(sign | (segment << 4) | mantissa) & 0xff;
}

export function mulawToLinear(code: number): number {
  const inverted = ~code & 0xff;
  const segment = (inverted >> 4) & 0x07;
  const biased = (((inverted & 0x0f) << 3) + MULAW_BIAS) << segment;
  return inverted & 0x80 ? MULAW_BIAS - biased : biased - MULAW_BIAS;
}

/** One 16-bit linear sample to an A-law code byte (even bits inverted, as transmitted). */
export function linearToAlaw(sample: number): number {
  const value = clampInt16(sample);
  // A-law quantizes 13-bit magnitudes; negative values are one's complemented, as in the reference.
  const sign = value >= 0 ? 0x80 : 0;
  const magnitude = (value >= 0 ? value : -value - 1) >> 3;
  let code: number;
  if (magnitude < 32) {
    code = magnitude >> 1;
  } else {
    let segment = 1;
    while (magnitude >> (segment + 5) !== 0 && segment < 7) segment++;
    code = (segment << 4) | ((magnitude >> segment) & 0x0f);
  }
  return (sign | code) ^ 0x55;
}

export function alawToLinear(code: number): number {
  const value = (code ^ 0x55) & 0xff;
  const segment = (value >> 4) & 0x07;
  let magnitude = ((value & 0x0f) << 4) + 8;
  if (segment > 0) magnitude = (magnitude + 0x100) << (segment - 1);
  return value & 0x80 ? magnitude : -magnitude;
}

const MULAW_DECODE = Int16Array.from({ length: 256 }, (_, code) => mulawToLinear(code));
const ALAW_DECODE = Int16Array.from({ length: 256 }, (_, code) => alawToLinear(code));

export function encodeMulaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = linearToMulaw(pcm[i]);
  return out;
}

export function decodeMulaw(codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = MULAW_DECODE[codes[i]];
  return out;
}

export function encodeAlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = linearToAlaw(pcm[i]);
  return out;
}

export function decodeAlaw(codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = ALAW_DECODE[codes[i]];
  return out;
}

function clampInt16(sample: number): number {
  const rounded = Math.round(sample);
  return rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
}

/**
 * Waveform-repetition packet loss concealment (G.711 Appendix I, simplified): a lost frame is
 * replaced by repeating the last pitch period of the good signal, full level for the first
 * 10 ms of a loss, then fading linearly to silence at 60 ms. The first good frame after a loss
 * is cross-faded with the continued repetition so the seam does not click.
 * Pure state machine: feed every good frame to `good()`, call `conceal()` for each lost one.
 */
export class WaveformRepetitionConcealer {
  private readonly history: Float32Array;
  private readonly minPitch: number;
  private readonly maxPitch: number;
  private readonly correlationLength: number;
  private readonly fullLevelSamples: number;
  private readonly silentAfterSamples: number;
  private pitch = 0;
  /** Position inside the repeated period, and how many samples of this loss were concealed. */
  private repeatPosition = 0;
  private concealedSamples = 0;
  private hasHistory = false;

  constructor(readonly sampleRate: number, readonly frameSamples: number) {
    const perMs = sampleRate / 1000;
    this.minPitch = Math.round(5 * perMs); // 200 Hz
    this.maxPitch = Math.round(15 * perMs); // 66.7 Hz
    this.correlationLength = Math.round(20 * perMs);
    this.history = new Float32Array(this.maxPitch + this.correlationLength);
    this.fullLevelSamples = Math.round(10 * perMs);
    this.silentAfterSamples = Math.round(60 * perMs);
  }

  /** Records a good frame; returns it, cross-faded with the concealment if a loss just ended. */
  good(frame: Int16Array): Int16Array {
    let out = frame;
    if (this.concealedSamples > 0) {
      out = Int16Array.from(frame);
      const fade = Math.min(frame.length, Math.max(1, Math.floor(this.pitch / 4)));
      const continuation = this.synthesize(fade);
      for (let i = 0; i < fade; i++) {
        const weight = (i + 1) / (fade + 1);
        out[i] = Math.round(frame[i] * weight + continuation[i] * (1 - weight));
      }
    }
    this.concealedSamples = 0;
    this.pitch = 0;
    this.remember(out);
    return out;
  }

  /** One frame of concealment: repetition of the last pitch period, fading with the loss length. */
  conceal(): Int16Array {
    if (!this.hasHistory) return new Int16Array(this.frameSamples);
    if (this.concealedSamples === 0) {
      this.pitch = this.estimatePitch();
      this.repeatPosition = 0;
    }
    const samples = this.synthesize(this.frameSamples);
    const out = new Int16Array(this.frameSamples);
    for (let i = 0; i < out.length; i++) out[i] = Math.round(samples[i]);
    return out;
  }

  /** Continues the repetition for `count` samples, advancing the loss position and fade. */
  private synthesize(count: number): Float32Array {
    const out = new Float32Array(count);
    const periodStart = this.history.length - this.pitch;
    const fadeSpan = this.silentAfterSamples - this.fullLevelSamples;
    for (let i = 0; i < count; i++) {
      const position = this.concealedSamples++;
      const gain = position < this.fullLevelSamples ? 1 : Math.max(0, 1 - (position - this.fullLevelSamples) / fadeSpan);
      out[i] = this.history[periodStart + this.repeatPosition] * gain;
      this.repeatPosition = (this.repeatPosition + 1) % this.pitch;
    }
    return out;
  }

  /** The lag in [5 ms, 15 ms] that best predicts the last 20 ms (normalized cross-correlation). */
  private estimatePitch(): number {
    const h = this.history;
    const end = h.length;
    const start = end - this.correlationLength;
    let bestLag = this.maxPitch;
    let bestScore = -Infinity;
    for (let lag = this.minPitch; lag <= this.maxPitch; lag++) {
      let cross = 0;
      let energy = 0;
      for (let i = start; i < end; i++) {
        cross += h[i] * h[i - lag];
        energy += h[i - lag] * h[i - lag];
      }
      const score = energy > 0 ? cross / Math.sqrt(energy) : 0;
      if (score > bestScore) {
        bestScore = score;
        bestLag = lag;
      }
    }
    return bestLag;
  }

  private remember(frame: Int16Array): void {
    const h = this.history;
    if (frame.length >= h.length) {
      for (let i = 0; i < h.length; i++) h[i] = frame[frame.length - h.length + i];
    } else {
      h.copyWithin(0, frame.length);
      for (let i = 0; i < frame.length; i++) h[h.length - frame.length + i] = frame[i];
    }
    this.hasHistory = true;
  }
}
