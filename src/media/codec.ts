/** The audio codecs earshot speaks, behind one interface: Opus, PCMU and PCMA, 20 ms frames. */
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw, WaveformRepetitionConcealer } from './g711.js';
import { OpusCodec, type OpusOptions } from './opus-codec.js';

export type CodecName = 'opus' | 'PCMU' | 'PCMA';

export interface AudioCodec {
  readonly name: CodecName;
  readonly rtpClockRate: number;
  /** PCM sample rate of the frames given to `encode` and returned by `decode`/`conceal`. */
  readonly sampleRate: number;
  /** Samples per 20 ms frame. */
  readonly frameSamples: number;
  encode(frame: Int16Array): Uint8Array;
  /** Throws on a payload the codec cannot decode. */
  decode(payload: Uint8Array): Int16Array;
  /** Packet loss concealment: audio standing in for one missing 20 ms frame. */
  conceal(): Int16Array;
  close(): void;
}

export interface CodecOptions {
  opus?: OpusOptions;
}

/** Static RTP payload types (RFC 3551); Opus has none, it is negotiated (111 is customary). */
export const STATIC_PAYLOAD_TYPES = { PCMU: 0, PCMA: 8 } as const;

export function createCodec(name: CodecName, options: CodecOptions = {}): AudioCodec {
  switch (name) {
    case 'opus':
      return new OpusCodec(options.opus);
    case 'PCMU':
    case 'PCMA':
      return new G711Codec(name);
    default:
      throw new RangeError(`unknown codec "${String(name)}": expected opus, PCMU or PCMA`);
  }
}

/** A codec name from user input or SDP, case-insensitive ("pcmu", "OPUS"). */
export function parseCodecName(text: string): CodecName {
  const upper = text.trim().toUpperCase();
  if (upper === 'OPUS') return 'opus';
  if (upper === 'PCMU' || upper === 'PCMA') return upper;
  throw new RangeError(`unknown codec "${text}": expected opus, PCMU or PCMA`);
}

/** G.711 at 8 kHz, 160 samples per frame, with waveform-repetition concealment. */
export class G711Codec implements AudioCodec {
  readonly rtpClockRate = 8000;
  readonly sampleRate = 8000;
  readonly frameSamples = 160;
  private readonly concealer = new WaveformRepetitionConcealer(8000, 160);

  constructor(readonly name: 'PCMU' | 'PCMA') {}

  encode(frame: Int16Array): Uint8Array {
    return this.name === 'PCMU' ? encodeMulaw(frame) : encodeAlaw(frame);
  }

  decode(payload: Uint8Array): Int16Array {
    if (payload.length === 0) throw new RangeError(`empty ${this.name} payload`);
    return this.concealer.good(this.name === 'PCMU' ? decodeMulaw(payload) : decodeAlaw(payload));
  }

  conceal(): Int16Array {
    return this.concealer.conceal();
  }

  close(): void {}
}
