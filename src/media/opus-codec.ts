/**
 * Opus (RFC 6716, RTP payload RFC 7587) at 48 kHz mono in 20 ms frames, through @evan/opus
 * (native libopus, WASM fallback).
 *
 * Concealment: neither @evan/opus nor opus-decoder exposes opus_decode's NULL-data or decode_fec
 * modes for one frame (both decode with a fixed 5760-sample buffer, so an empty packet would ask
 * for 120 ms of concealment; @evan/opus rejects it). A one-byte packet - a lone TOC byte - is
 * what libopus itself treats as "no data" (DTX/lost): it runs the decoder's PLC for exactly the
 * TOC's frame duration. So `conceal()` feeds a TOC byte for 20 ms in the mode and bandwidth of the
 * last good packet. In-band FEC is encoded for the peer, but cannot be decoded through these
 * bindings.
 *
 * Stereo: the SDP says opus/48000/2 and libwebrtc may send stereo-coded packets; a decoder
 * created for one channel downmixes them inside libopus.
 */
import { Decoder, Encoder } from '@evan/opus';
import type { AudioCodec } from './codec.js';

export interface OpusOptions {
  /** Target bitrate in bit/s; default 32000. */
  bitrate?: number;
  /** In-band FEC in the encoded stream; default true. */
  fec?: boolean;
  /** Expected packet loss in percent, which tunes how much FEC the encoder spends; default 10. */
  expectedLossPercent?: number;
  /** Encoder complexity 0-10; default 9 (libopus' default for voip on x86). */
  complexity?: number;
}

const SAMPLE_RATE = 48000;
const FRAME_SAMPLES = 960;

export class OpusCodec implements AudioCodec {
  readonly name = 'opus';
  readonly rtpClockRate = SAMPLE_RATE;
  readonly sampleRate = SAMPLE_RATE;
  readonly frameSamples = FRAME_SAMPLES;
  private encoder: Encoder | undefined;
  private decoder: Decoder | undefined;
  private lastToc: number | undefined;
  private closed = false;

  constructor(private readonly options: OpusOptions = {}) {
    const { bitrate, expectedLossPercent, complexity } = options;
    if (bitrate !== undefined && !(bitrate >= 6000 && bitrate <= 510000)) {
      throw new RangeError(`Opus bitrate must be 6000-510000 bit/s, got ${bitrate}`);
    }
    if (expectedLossPercent !== undefined && !(expectedLossPercent >= 0 && expectedLossPercent <= 100)) {
      throw new RangeError(`expected loss must be 0-100 %, got ${expectedLossPercent}`);
    }
    if (complexity !== undefined && !(Number.isInteger(complexity) && complexity >= 0 && complexity <= 10)) {
      throw new RangeError(`Opus complexity must be an integer 0-10, got ${complexity}`);
    }
  }

  encode(frame: Int16Array): Uint8Array {
    if (frame.length !== FRAME_SAMPLES) {
      throw new RangeError(`Opus encodes ${FRAME_SAMPLES}-sample (20 ms) frames, got ${frame.length} samples`);
    }
    return this.getEncoder().encode(frame);
  }

  decode(payload: Uint8Array): Int16Array {
    if (payload.length === 0) throw new RangeError('empty Opus payload');
    const bytes = this.getDecoder().decode(payload);
    this.lastToc = payload[0];
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  }

  conceal(): Int16Array {
    if (this.lastToc === undefined) return new Int16Array(FRAME_SAMPLES);
    const bytes = this.getDecoder().decode(Uint8Array.of(twentyMsToc(this.lastToc)));
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  }

  close(): void {
    this.closed = true;
    this.encoder = undefined;
    this.decoder = undefined;
  }

  private getEncoder(): Encoder {
    if (this.closed) throw new Error('Opus codec is closed');
    if (!this.encoder) {
      const encoder = new Encoder({ channels: 1, sample_rate: SAMPLE_RATE, application: 'voip' });
      encoder.bitrate = this.options.bitrate ?? 32000;
      encoder.inband_fec = this.options.fec ?? true;
      encoder.packet_loss = this.options.expectedLossPercent ?? 10;
      encoder.complexity = (this.options.complexity ?? 9) as Encoder['complexity'];
      this.encoder = encoder;
    }
    return this.encoder;
  }

  private getDecoder(): Decoder {
    if (this.closed) throw new Error('Opus codec is closed');
    this.decoder ??= new Decoder({ channels: 1, sample_rate: SAMPLE_RATE });
    return this.decoder;
  }
}

/**
 * A code-0 TOC byte (RFC 6716 3.1) for one 20 ms frame in the same mode, bandwidth and channel
 * count as `toc`.
 */
export function twentyMsToc(toc: number): number {
  const config = toc >> 3;
  const stereo = toc & 0x04;
  let twentyMsConfig: number;
  if (config < 12) twentyMsConfig = (config & ~3) | 1; // SILK: 10/20/40/60 ms
  else if (config < 16) twentyMsConfig = (config & ~1) | 1; // hybrid: 10/20 ms
  else twentyMsConfig = (config & ~3) | 3; // CELT: 2.5/5/10/20 ms
  return (twentyMsConfig << 3) | stereo;
}
