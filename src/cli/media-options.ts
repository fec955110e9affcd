// The media flags that call, answer and selftest share: --play, --record, --codec, --duration, --insecure-rtp.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseCodecName, recordingPathProblem, type CodecName } from '../media/index.js';
import { parseDurationMs } from '../netsim/index.js';

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

/** `--record FILE`: its absolute path, once it is known that a recording can be written there (before any login). */
export function recordingPath(path: string): string {
  const absolute = outputPath(path);
  const problem = recordingPathProblem(absolute);
  if (problem) throw new Error(problem);
  return absolute;
}

/** `--insecure-rtp`: plain RTP when the call has no DTLS-SRTP (for Gajim 1.7); the report then says it was unencrypted. */
export function addInsecureRtpOption(command: Command): Command {
  return command.option(
    '--insecure-rtp',
    'allow plain RTP without DTLS-SRTP, for peers that have none (Gajim 1.7): UNENCRYPTED audio; a caller then offers plain RTP',
  );
}

/** Warns on stderr when the user allowed unencrypted media. */
export function warnInsecureRtp(insecureRtp: boolean | undefined): void {
  if (insecureRtp) process.stderr.write('earshot: --insecure-rtp: calls without DTLS-SRTP carry their audio unencrypted\n');
}

/** `--lead-in`: silence after the peer is first heard before the speech starts (its jitter buffer settles). */
export function addLeadInOption(command: Command): Command {
  return command.option('--lead-in <duration>', 'silence after the peer is first heard, before the speech starts, so its jitter buffer settles (1s for libwebrtc peers: Conversations, browsers; default 0)');
}

export function leadInMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDurationMs('lead-in', text);
}
