// Indexed-colour PNG (colour type 3, 8 bits per pixel, PNG specification 3rd ed., sections 11.2 and 12.3):
// one byte per pixel into a palette of at most 256 colours. A colour-mapped picture such as a spectrogram
// compresses to about a quarter of its RGB size this way; pngjs writes only grey and RGB(A).
import { crc32, deflateSync } from 'node:zlib';

export interface IndexedImage {
  width: number;
  height: number;
  /** Palette index of each pixel, row by row from the top. */
  pixels: Uint8Array;
  /** [r, g, b] per index. */
  palette: ReadonlyArray<readonly [number, number, number]>;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const FILTER_NONE = 0;

export function indexedPng(image: IndexedImage): Buffer {
  const { width, height, pixels, palette } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`PNG size must be positive whole pixels, got ${width} x ${height}`);
  }
  if (pixels.length !== width * height) throw new RangeError(`${pixels.length} pixels for a ${width} x ${height} image`);
  if (palette.length === 0 || palette.length > 256) throw new RangeError(`a PNG palette holds 1 to 256 colours, got ${palette.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 3, 0, 0, 0], 8); // bit depth, colour type (indexed), compression, filter method, no interlace
  // The spec advises no filtering for indexed images: the bytes are indices, not levels.
  const scanlines = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    scanlines[y * (width + 1)] = FILTER_NONE;
    scanlines.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('PLTE', Buffer.from(palette.flat())),
    chunk('IDAT', deflateSync(scanlines, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
