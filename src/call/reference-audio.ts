// The speech a call leg plays: read from any audio file, downmixed, checked before any call is placed.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downmix, readAudio } from '../media/index.js';
import type { ReferenceAudio } from './call-options.js';

/** The reference speech shipped in media/ (see media/README.md). */
export const DEFAULT_REFERENCE = fileURLToPath(new URL('../../../media/speech-en-16k.wav', import.meta.url));

/** Reads a file to play, so that a missing or broken file is an error up front. */
export async function loadReference(path: string = DEFAULT_REFERENCE): Promise<ReferenceAudio> {
  const audio = await readAudio(resolve(path));
  const samples = downmix(audio.samples);
  if (samples.length < audio.sampleRate * 0.1) throw new Error(`${path}: too short to play (${samples.length} samples)`);
  return { path: resolve(path), samples, sampleRate: audio.sampleRate };
}

export function referenceSeconds(reference: ReferenceAudio): number {
  return reference.samples.length / reference.sampleRate;
}
