// The media flags that call, answer and selftest share: --play, --record, --codec, --duration.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseCodecName, type CodecName } from '../media/index.js';

export { DEFAULT_REFERENCE, loadReference, referenceSeconds } from '../call/index.js';

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
