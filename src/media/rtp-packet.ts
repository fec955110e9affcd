/**
 * RTP fixed header (RFC 3550 section 5.1): parse and serialize, pure.
 * CSRC lists, padding and one header extension (RFC 3550 5.3.1, also RFC 8285's one- and
 * two-byte forms, which share that outer layout) are read and skipped correctly.
 */

/** The fields of an RTP packet that media code works with: the contract with the transport. */
export interface RtpPacketFields {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Uint8Array;
}

export interface RtpHeaderExtension {
  /** The 16-bit "defined by profile" word: 0xBEDE for RFC 8285 one-byte headers. */
  profile: number;
  data: Uint8Array;
}

/** Everything a parsed packet carries. */
export interface RtpPacket extends RtpPacketFields {
  csrcs: number[];
  extension?: RtpHeaderExtension;
  /** Padding bytes removed from the end (including the count byte); 0 without padding. */
  paddingLength: number;
}

/** Optional extras when serializing. */
export interface RtpSerializeExtras {
  csrcs?: number[];
  extension?: RtpHeaderExtension;
  /** Total padding bytes to append (1-255, the last one holds the count). */
  paddingLength?: number;
}

export class RtpParseError extends Error {
  override readonly name = 'RtpParseError';
}

const FIXED_HEADER = 12;

export function parseRtp(bytes: Uint8Array): RtpPacket {
  if (bytes.length < FIXED_HEADER) throw new RtpParseError(`RTP packet too short: ${bytes.length} bytes, need at least 12`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = bytes[0];
  const version = first >> 6;
  if (version !== 2) throw new RtpParseError(`not RTP: version ${version}, expected 2`);
  const hasPadding = (first & 0x20) !== 0;
  const hasExtension = (first & 0x10) !== 0;
  const csrcCount = first & 0x0f;
  const second = bytes[1];

  let offset = FIXED_HEADER;
  if (bytes.length < offset + csrcCount * 4) {
    throw new RtpParseError(`RTP packet truncated: ${csrcCount} CSRCs announced, ${bytes.length} bytes`);
  }
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++, offset += 4) csrcs.push(view.getUint32(offset));

  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    if (bytes.length < offset + 4) throw new RtpParseError('RTP packet truncated inside the header extension');
    const profile = view.getUint16(offset);
    const length = view.getUint16(offset + 2) * 4;
    offset += 4;
    if (bytes.length < offset + length) {
      throw new RtpParseError(`RTP header extension of ${length} bytes runs past the end of a ${bytes.length}-byte packet`);
    }
    extension = { profile, data: bytes.slice(offset, offset + length) };
    offset += length;
  }

  let end = bytes.length;
  let paddingLength = 0;
  if (hasPadding) {
    paddingLength = bytes[bytes.length - 1];
    if (paddingLength === 0 || end - paddingLength < offset) {
      throw new RtpParseError(`invalid RTP padding length ${paddingLength} for ${bytes.length - offset} bytes after the header`);
    }
    end -= paddingLength;
  }

  return {
    payloadType: second & 0x7f,
    marker: (second & 0x80) !== 0,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    extension,
    paddingLength,
    payload: bytes.slice(offset, end),
  };
}

export function serializeRtp(packet: RtpPacketFields, extras: RtpSerializeExtras = {}): Uint8Array {
  const csrcs = extras.csrcs ?? [];
  const extension = extras.extension;
  const paddingLength = extras.paddingLength ?? 0;
  checkField('payloadType', packet.payloadType, 0x7f);
  checkField('sequenceNumber', packet.sequenceNumber, 0xffff);
  checkField('timestamp', packet.timestamp, 0xffffffff);
  checkField('ssrc', packet.ssrc, 0xffffffff);
  if (csrcs.length > 15) throw new RangeError(`at most 15 CSRCs fit in an RTP header, got ${csrcs.length}`);
  if (extension && extension.data.length % 4 !== 0) {
    throw new RangeError(`RTP header extension data must be a multiple of 4 bytes, got ${extension.data.length}`);
  }
  if (!Number.isInteger(paddingLength) || paddingLength < 0 || paddingLength > 255) {
    throw new RangeError(`RTP padding must be 0-255 bytes, got ${paddingLength}`);
  }

  const extensionBytes = extension ? 4 + extension.data.length : 0;
  const headerLength = FIXED_HEADER + csrcs.length * 4 + extensionBytes;
  const out = new Uint8Array(headerLength + packet.payload.length + paddingLength);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | (paddingLength > 0 ? 0x20 : 0) | (extension ? 0x10 : 0) | csrcs.length;
  out[1] = (packet.marker ? 0x80 : 0) | packet.payloadType;
  view.setUint16(2, packet.sequenceNumber);
  view.setUint32(4, packet.timestamp);
  view.setUint32(8, packet.ssrc);
  let offset = FIXED_HEADER;
  for (const csrc of csrcs) {
    checkField('csrc', csrc, 0xffffffff);
    view.setUint32(offset, csrc);
    offset += 4;
  }
  if (extension) {
    checkField('extension profile', extension.profile, 0xffff);
    view.setUint16(offset, extension.profile);
    view.setUint16(offset + 2, extension.data.length / 4);
    out.set(extension.data, offset + 4);
    offset += extensionBytes;
  }
  out.set(packet.payload, offset);
  if (paddingLength > 0) out[out.length - 1] = paddingLength;
  return out;
}

/** Signed distance from sequence number `from` to `to`, modulo 2^16 (in -32768..32767). */
export function sequenceDistance(from: number, to: number): number {
  return (((to - from) & 0xffff) << 16) >> 16;
}

/** Signed distance from timestamp `from` to `to`, modulo 2^32. */
export function timestampDistance(from: number, to: number): number {
  return (to - from) | 0;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`RTP ${name} must be an integer 0-${max}, got ${value}`);
  }
}
