/**
 * Audio files in and out. Reading: any WAV that wavefile understands (PCM 8/16/24/32-bit,
 * 32/64-bit float, A-law, mu-law, IMA ADPCM), other formats through ffmpeg when installed.
 * Writing: a crash-safe streaming 16-bit PCM mono WAV writer.
 */
import { execFile } from 'node:child_process';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { resample } from '../util/resample.js';

export interface DecodedAudio {
  sampleRate: number;
  channels: number;
  /** One array per channel, samples in [-1, 1]. */
  samples: Float32Array[];
}

/** A file that cannot be read as audio, with the path and the reason. */
export class AudioFileError extends Error {
  override readonly name = 'AudioFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Reads an audio file into per-channel Float32 samples. WAV natively; anything else via ffmpeg. */
export async function readAudio(path: string): Promise<DecodedAudio> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new AudioFileError(path, reason);
  }
  if (isRiffWave(bytes)) return decodeWav(bytes, path);
  return decodeWithFfmpeg(path);
}

/** Reads a file, mixes it down to mono and resamples it to `targetRate`. */
export async function loadMono(path: string, targetRate: number): Promise<Float32Array> {
  const audio = await readAudio(path);
  return resample(downmix(audio.samples), audio.sampleRate, targetRate);
}

/** The average of the channels. */
export function downmix(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const out = new Float32Array(channels[0]?.length ?? 0);
  for (const channel of channels) {
    for (let i = 0; i < out.length; i++) out[i] += channel[i] / channels.length;
  }
  return out;
}

/** Decodes WAV bytes; `name` only labels errors. */
export function decodeWav(bytes: Uint8Array, name = 'WAV data'): DecodedAudio {
  if (!isRiffWave(bytes)) throw new AudioFileError(name, 'not a WAV file (no RIFF/WAVE header)');
  const { dataEnd, formatOffset } = checkChunks(bytes, name);
  let wav: InstanceType<typeof wavefile.WaveFile>;
  try {
    wav = new wavefile.WaveFile(withPlainFormatTag(bytes.subarray(0, dataEnd), formatOffset));
  } catch (error) {
    throw new AudioFileError(name, `broken WAV: ${(error as Error).message}`);
  }
  const { numChannels, sampleRate } = wav.fmt as { numChannels: number; sampleRate: number };
  if (!(numChannels >= 1) || !(sampleRate > 0)) {
    throw new AudioFileError(name, `broken WAV: ${numChannels} channels at ${sampleRate} Hz`);
  }
  // The conversions rebuild wav.fmt, so its fields were read above.
  try {
    if (wav.bitDepth === '8a') wav.fromALaw();
    else if (wav.bitDepth === '8m') wav.fromMuLaw();
    else if (wav.bitDepth === '4') wav.fromIMAADPCM();
  } catch (error) {
    throw new AudioFileError(name, `cannot decode ${wav.bitDepth}-bit companded WAV: ${(error as Error).message}`);
  }
  const scale = fullScale(wav.bitDepth);
  if (scale === undefined) throw new AudioFileError(name, `unsupported WAV sample format (bit depth code "${wav.bitDepth}")`);
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const channels = numChannels === 1 ? [raw as Float64Array] : (raw as Float64Array[]);
  const offset = wav.bitDepth === '8' ? 128 : 0; // 8-bit WAV is unsigned
  const samples = channels.map((channel) => {
    const out = new Float32Array(channel.length);
    for (let i = 0; i < channel.length; i++) out[i] = (channel[i] - offset) / scale;
    return out;
  });
  return { sampleRate, channels: numChannels, samples };
}

function fullScale(bitDepth: string): number | undefined {
  switch (bitDepth) {
    case '8':
      return 128;
    case '16':
      return 32768;
    case '24':
      return 8388608;
    case '32':
      return 2147483648;
    case '32f':
    case '64':
      return 1;
    default:
      return undefined;
  }
}

function isRiffWave(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return false;
  const id = ascii(bytes, 0, 4);
  return (id === 'RIFF' || id === 'RIFX' || id === 'RF64') && ascii(bytes, 8, 4) === 'WAVE';
}

/**
 * Walks the chunks up to "data" and checks that what they announce is there. Returns where the
 * data chunk ends, so trailing bytes (e.g. audio written after a crashed writer's last header
 * update) are ignored, and where the "fmt " chunk starts.
 */
function checkChunks(bytes: Uint8Array, name: string): { dataEnd: number; formatOffset: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = ascii(bytes, 0, 4) !== 'RIFX';
  let offset = 12;
  let formatOffset = -1;
  const sawFormat = () => formatOffset >= 0;
  while (offset + 8 <= bytes.length) {
    const id = ascii(bytes, offset, 4);
    let size = view.getUint32(offset + 4, littleEndian);
    if (id === 'data' && size === 0xffffffff && ascii(bytes, 0, 4) === 'RF64') size = bytes.length - offset - 8;
    const end = offset + 8 + size;
    if (id === 'data') {
      if (!sawFormat()) throw new AudioFileError(name, 'broken WAV: data chunk before the "fmt " chunk');
      if (end > bytes.length) {
        throw new AudioFileError(name, `truncated WAV: data chunk announces ${size} bytes, only ${bytes.length - offset - 8} present`);
      }
      return { dataEnd: end, formatOffset };
    }
    if (id === 'fmt ') formatOffset = offset;
    if (end > bytes.length) throw new AudioFileError(name, `truncated WAV: "${id}" chunk runs past the end of the file`);
    offset = end + (size & 1);
  }
  throw new AudioFileError(name, sawFormat() ? 'truncated WAV: no data chunk' : 'broken WAV: no "fmt " chunk');
}

const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * wavefile reads WAVE_FORMAT_EXTENSIBLE by its bit depth only, taking 32-bit float for integers.
 * For the sub-formats it knows as plain tags (PCM, float, A-law, mu-law), returns a copy whose
 * format tag is the sub-format's.
 */
function withPlainFormatTag(bytes: Uint8Array, formatOffset: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = ascii(bytes, 0, 4) !== 'RIFX';
  const chunkSize = view.getUint32(formatOffset + 4, littleEndian);
  if (chunkSize < 40 || view.getUint16(formatOffset + 8, littleEndian) !== WAVE_FORMAT_EXTENSIBLE) return bytes;
  const subFormat = view.getUint16(formatOffset + 8 + 24, littleEndian);
  if (![1, 3, 6, 7].includes(subFormat)) return bytes;
  const copy = Uint8Array.from(bytes);
  new DataView(copy.buffer).setUint16(formatOffset + 8, subFormat, littleEndian);
  return copy;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

async function decodeWithFfmpeg(path: string): Promise<DecodedAudio> {
  const dir = await mkdtemp(join(tmpdir(), 'earshot-audio-'));
  const output = join(dir, 'decoded.wav');
  try {
    await new Promise<void>((resolve, reject) => {
      execFile('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-vn', '-c:a', 'pcm_f32le', '-f', 'wav', output], (error, _stdout, stderr) => {
        if (!error) return resolve();
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new AudioFileError(path, 'not a WAV file, and ffmpeg (needed for other formats) is not installed'));
        } else {
          const detail = stderr.trim().split('\n').pop() || error.message;
          reject(new AudioFileError(path, `not a WAV file, and ffmpeg cannot decode it as audio: ${detail}`));
        }
      });
    });
    return decodeWav(await readFile(output), path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const HEADER_BYTES = 44;

export interface WavWriterOptions {
  /** Rewrite the header sizes after at most this much audio; default 1 s. */
  headerIntervalMs?: number;
}

/**
 * Streams 16-bit PCM mono to a WAV file with synchronous writes. The RIFF and data sizes in the
 * header are rewritten at least every `headerIntervalMs` of audio and on `close()`, so after a
 * crash the file is a valid WAV holding everything up to the last header update.
 */
/**
 * Why a recording could not be written at `path` (a folder, a missing or read-only folder, no permission), or
 * undefined when it can: checked before a call starts, so that a bad path is refused at once instead of
 * ending a connected call. Leaves no file behind and an existing one as it was.
 */
export function recordingPathProblem(path: string): string | undefined {
  try {
    closeSync(openSync(path, 'r+'));
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return `cannot record to ${path}: ${(error as Error).message}`;
  }
  try {
    closeSync(openSync(path, 'wx'));
    unlinkSync(path);
    return undefined;
  } catch (error) {
    return `cannot record to ${path}: ${(error as Error).message}`;
  }
}

export class WavWriter {
  private fd: number | undefined;
  private dataBytes = 0;
  private bytesAtLastHeader = 0;
  private readonly headerIntervalBytes: number;

  constructor(
    readonly path: string,
    readonly sampleRate: number,
    options: WavWriterOptions = {},
  ) {
    if (!(Number.isInteger(sampleRate) && sampleRate > 0)) throw new RangeError(`invalid WAV sample rate ${sampleRate}`);
    this.headerIntervalBytes = 2 * Math.max(1, Math.round((sampleRate * (options.headerIntervalMs ?? 1000)) / 1000));
    this.fd = openSync(path, 'w');
    writeSync(this.fd, wavHeader(sampleRate, 0), 0, HEADER_BYTES, 0);
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Samples written so far. */
  get samplesWritten(): number {
    return this.dataBytes / 2;
  }

  /** Appends samples: Float32 in [-1, 1] (clipped) or Int16. */
  write(samples: Float32Array | Int16Array): void {
    if (this.fd === undefined) throw new Error(`WavWriter for ${this.path} is closed`);
    const pcm = new Int16Array(samples.length);
    if (samples instanceof Int16Array) pcm.set(samples);
    else for (let i = 0; i < samples.length; i++) pcm[i] = floatToInt16(samples[i]);
    const bytes = new Uint8Array(pcm.buffer);
    if (!littleEndianHost) swapBytes16(bytes);
    writeSync(this.fd, bytes, 0, bytes.length, HEADER_BYTES + this.dataBytes);
    this.dataBytes += bytes.length;
    if (this.dataBytes - this.bytesAtLastHeader >= this.headerIntervalBytes) this.updateHeader();
  }

  /** Makes the header describe everything written so far. */
  updateHeader(): void {
    if (this.fd === undefined) return;
    const sizes = new DataView(new ArrayBuffer(4));
    sizes.setUint32(0, 36 + this.dataBytes, true);
    writeSync(this.fd, new Uint8Array(sizes.buffer), 0, 4, 4);
    sizes.setUint32(0, this.dataBytes, true);
    writeSync(this.fd, new Uint8Array(sizes.buffer), 0, 4, 40);
    this.bytesAtLastHeader = this.dataBytes;
  }

  /** Finalizes the header and closes the file; safe to call more than once. */
  close(): void {
    if (this.fd === undefined) return;
    this.updateHeader();
    closeSync(this.fd);
    this.fd = undefined;
    openWriters.delete(this);
    if (openWriters.size === 0) removeExitHandlers();
  }
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes16(bytes: Uint8Array): void {
  for (let i = 0; i + 1 < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1], bytes[i]];
}

function floatToInt16(sample: number): number {
  const scaled = Math.round(sample * 32768);
  return scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled;
}

function wavHeader(sampleRate: number, dataBytes: number): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  header.set([0x52, 0x49, 0x46, 0x46], 0); // RIFF
  view.setUint32(4, 36 + dataBytes, true);
  header.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8); // WAVEfmt
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  header.set([0x64, 0x61, 0x74, 0x61], 36); // data
  view.setUint32(40, dataBytes, true);
  return header;
}

// Writers registered with finalizeOnExit share one set of process handlers.
const openWriters = new Set<WavWriter>();
const signals = ['SIGINT', 'SIGTERM'] as const;

function closeAllWriters(): void {
  for (const writer of [...openWriters]) writer.close();
}

function onSignal(signal: NodeJS.Signals): void {
  closeAllWriters();
  removeExitHandlers();
  // Our listener replaced Node's default "terminate on signal": restore it unless someone else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function removeExitHandlers(): void {
  process.off('exit', closeAllWriters);
  for (const signal of signals) process.off(signal, onSignal);
}

/**
 * Closes `writer` (finalizing its header) if the process exits or gets SIGINT/SIGTERM first.
 * The handlers go away once every registered writer is closed. Returns an unregister function.
 */
export function finalizeOnExit(writer: WavWriter): () => void {
  if (writer.closed) return () => {};
  if (openWriters.size === 0) {
    process.on('exit', closeAllWriters);
    for (const signal of signals) process.on(signal, onSignal);
  }
  openWriters.add(writer);
  return () => {
    openWriters.delete(writer);
    if (openWriters.size === 0) removeExitHandlers();
  };
}
