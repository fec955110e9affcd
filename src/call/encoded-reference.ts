// The reference speech encoded once per codec and reused by every call that plays it: encoding 10 s of Opus
// costs about 0.1 s of CPU, which must not land in the middle of a call's setup.
import { createCodec, encodeAll, type CodecName } from '../media/index.js';
import type { ReferenceAudio } from './call-options.js';

const encodings = new WeakMap<ReferenceAudio, Map<CodecName, Uint8Array[]>>();

export function encodedFrames(reference: ReferenceAudio, codecName: CodecName): Uint8Array[] {
  let byCodec = encodings.get(reference);
  if (!byCodec) encodings.set(reference, (byCodec = new Map()));
  let frames = byCodec.get(codecName);
  if (!frames) {
    const codec = createCodec(codecName);
    try {
      frames = encodeAll(codec, reference.samples, reference.sampleRate);
    } finally {
      codec.close();
    }
    byCodec.set(codecName, frames);
  }
  return frames;
}

/** Encodes ahead of a call for each codec it may negotiate. */
export function prepareReference(reference: ReferenceAudio, codecs: readonly CodecName[]): void {
  if (reference.samples.length === 0) return;
  for (const codec of codecs) encodedFrames(reference, codec);
}
