// Scoring what a desktop client (Dino, Gajim) and earshot heard of each other in an interop call, where both
// play speech in a loop and record to WAVs that may still be growing.
import { readFileSync } from 'node:fs';
import { playedSignal, type ReferenceAudio } from '../../src/call/index.js';
import { decodeWav, downmix, type DecodedAudio } from '../../src/media/wav.js';
import { estimateDelay, scoreSpeech, SCORING_RATE, type SpeechQuality } from '../../src/metrics/index.js';
import { resample } from '../../src/util/index.js';

/** earshot's recordings and the desktop peers' are plain 44-byte-header PCM WAVs (src/media/wav.ts). */
const WAV_HEADER_BYTES = 44;

/**
 * Scores what one side recorded (from `recordedAt`, until `stoppedAt`) against what the other played in a loop
 * from `playedAt`: both cut to begin at whichever started later, so that only what both spans hold is compared,
 * and only the speech that had time to reach the recording is scored.
 */
export async function scoreHeard(reference: ReferenceAudio, playedAt: number, audio: DecodedAudio, recordedAt: number, stoppedAt?: number): Promise<SpeechQuality> {
  const samplesIn = (ms: number) => Math.max(0, Math.round((ms / 1000) * SCORING_RATE));
  const from = Math.max(playedAt, recordedAt);
  let recording = resample(downmix(audio.samples), audio.sampleRate, SCORING_RATE);
  if (stoppedAt !== undefined) recording = recording.subarray(0, samplesIn(stoppedAt - recordedAt));
  recording = recording.subarray(samplesIn(from - recordedAt));
  const skipped = samplesIn(from - playedAt);
  const frames = Math.ceil(((skipped + recording.length) / SCORING_RATE) * 50);
  const played = resample(playedSignal(reference, frames), reference.sampleRate, SCORING_RATE).subarray(skipped);
  const { delayMs } = estimateDelay(played, recording, SCORING_RATE, { maxDelayMs: 2000 });
  const heard = played.subarray(0, Math.max(0, recording.length - samplesIn(Math.max(0, delayMs) + 20)));
  return scoreSpeech(heard, SCORING_RATE, recording, SCORING_RATE, { maxDelayMs: 2000, visqol: false });
}

/** A WAV file as it is now, also while it is still being written: the sizes in its header are taken from the file. */
export function readWav(path: string): DecodedAudio {
  const bytes = readFileSync(path);
  const dataBytes = (bytes.length - WAV_HEADER_BYTES) & ~1;
  bytes.writeUInt32LE(36 + dataBytes, 4);
  bytes.writeUInt32LE(dataBytes, 40);
  return decodeWav(bytes.subarray(0, WAV_HEADER_BYTES + dataBytes), path);
}

/** The figures a test prints for one direction. */
export function summary(quality: SpeechQuality) {
  return { mosLqo: quality.mosLqo, delayMs: quality.delayMs, stoi: quality.stoi, levelDb: quality.levels.recordingActiveDb, speechS: quality.speechSeconds };
}
