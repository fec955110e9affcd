// The media flags that call, answer and selftest share: --play, --record, --codec, --duration.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downmix, parseCodecName, readAudio, type CodecName } from '../media/index.js';
import type { ReferenceAudio } from '../call/index.js';

/** The reference speech shipped in media/ (see media/README.md). */
export const DEFAULT_REFERENCE = fileURLToPath(new URL('../../../media/speech-en-16k.wav', import.meta.url));

/** Reads --play before any call is placed, so a missing or broken file is an error up front. */
export async function loadReference(path: string = DEFAULT_REFERENCE): Promise<ReferenceAudio> {
  const audio = await readAudio(resolve(path));
  const samples = downmix(audio.samples);
  if (samples.length < audio.sampleRate * 0.1) throw new Error(`${path}: too short to play (${samples.length} samples)`);
  return { path: resolve(path), samples, sampleRate: audio.sampleRate };
}

export function referenceSeconds(reference: ReferenceAudio): number {
  return reference.samples.length / reference.sampleRate;
}

/** `--codec opus|pcmu|pcma`: that codec only; none: opus, PCMU, PCMA in that order. */
export function codecPreference(codec: string | undefined): CodecName[] | undefined {
  return codec === undefined ? undefined : [parseCodecName(codec)];
}

export function parseSeconds(text: string): number {
  const value = Number(text.replace(/s$/, ''));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`"${text}" is not a duration in seconds`);
  return value;
}

/** Makes the folder of an output file; returns the absolute path. */
export function outputPath(path: string): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  return absolute;
}
