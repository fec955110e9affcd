// Audio for the full-reference diagnostics tests: the shipped reference speech, the shared calibration
// set (degraded speech, 16 kHz), and seeded noise.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { downmix, readAudio } from '../../src/media/index.js';
import { seededRandom } from '../../src/util/index.js';

export const RATE = 16_000;

const speechPath = fileURLToPath(new URL('../../../media/speech-en-16k.wav', import.meta.url));
/** shared/ sits beside the repository, here and in CI. */
const calibrationDir = fileURLToPath(new URL('../../../../shared/data/calibration/audio/', import.meta.url));

export const calibrationAvailable = existsSync(calibrationDir);

/** The shipped 10.26 s of English speech (two prompts, pauses of 0.3 and 0.4 s). */
export async function loadSpeech(): Promise<Float32Array> {
  const audio = await readAudio(speechPath);
  if (audio.sampleRate !== RATE) throw new Error(`expected ${RATE} Hz speech, got ${audio.sampleRate}`);
  return downmix(audio.samples);
}

/** One file of the calibration set: `voice` is ru, en_librivox or de_espeak; `condition` ref for the reference. */
export async function loadCalibration(voice: string, condition: string): Promise<Float32Array> {
  const audio = await readAudio(`${calibrationDir}${voice}__${condition}.flac`);
  if (audio.sampleRate !== RATE) throw new Error(`expected ${RATE} Hz calibration audio, got ${audio.sampleRate}`);
  return downmix(audio.samples);
}

/** Gaussian white noise with the given RMS. */
export function whiteNoise(seed: number, length: number, rms: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => rms * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

/** Pink-ish noise (Paul Kellet's economy filter on white noise), scaled to the given RMS. */
export function pinkNoise(seed: number, length: number, rms: number): Float32Array {
  const white = whiteNoise(seed, length, 1);
  const out = new Float32Array(length);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < length; i++) {
    b0 = 0.99765 * b0 + white[i] * 0.099046;
    b1 = 0.963 * b1 + white[i] * 0.2965164;
    b2 = 0.57 * b2 + white[i] * 1.0526913;
    out[i] = b0 + b1 + b2 + white[i] * 0.1848;
  }
  return scaleTo(out, rms);
}

/** Brown noise (leaky integrated white noise: a rumble), scaled to the given RMS. */
export function brownNoise(seed: number, length: number, rms: number): Float32Array {
  const white = whiteNoise(seed, length, 1);
  let level = 0;
  return scaleTo(
    white.map((sample) => (level = 0.999 * level + sample)),
    rms,
  );
}

export function rms(signal: Float32Array): number {
  let sum = 0;
  for (const sample of signal) sum += sample * sample;
  return Math.sqrt(sum / signal.length);
}

export function scaleTo(signal: Float32Array, target: number): Float32Array {
  const gain = target / rms(signal);
  return signal.map((sample) => sample * gain);
}

export function add(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((sample, i) => sample + b[i]);
}

/** `signal` with `samples` zeros inserted at `at`, cut back to its length. */
export function insertSilence(signal: Float32Array, at: number, samples: number): Float32Array {
  const out = new Float32Array(signal.length);
  out.set(signal.subarray(0, at));
  out.set(signal.subarray(at, signal.length - samples), at + samples);
  return out;
}
