// The HTML report of `earshot run SCRIPT --html DIR`: reads what the page shows from the files the run left
// (recordings, references), builds the page's model and writes one self-contained index.html.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { playedSignal } from '../call/direction-scores.js';
import type { DirectionReport } from '../call/result.js';
import { AudioFileError, downmix, readAudio } from '../media/wav.js';
import { estimateDelay } from '../metrics/align.js';
import type { RunReport } from '../scenario/run-report.js';
import { resample } from '../util/resample.js';
import { renderRunPage } from './run-page-html.js';

/** Audio on the page: mono at this rate (spectrograms to 8 kHz). */
export const DISPLAY_RATE = 16_000;
/** How far from the recording's start the reference's first word is looked for. */
const MAX_ALIGNMENT_MS = 3_000;
const ALIGNMENT_RATE = 8_000;

export interface Track {
  samples: Float32Array;
  sampleRate: number;
  /** Where its first sample falls on the direction's time axis (s). */
  startS: number;
}

/** A file the page could not show, and why (missing, not audio ...). */
export interface Missing {
  problem: string;
}

export interface DirectionAudio {
  /** The time axis of the direction's figures: the recording's, from its first sample (s). */
  span: [number, number];
  reference: Track | Missing;
  recording: Track | Missing;
  /** How the reference was placed on the recording's time axis. */
  alignment: string;
}

export interface FileLink {
  /** Relative to the page, URL-encoded. */
  href: string;
  exists: boolean;
  path: string;
}

export interface RunPageModel {
  report: RunReport;
  /** Per call (in report order), per direction; null where the call has no report. */
  audio: Array<DirectionAudio[] | null>;
  /** Every file path the report names, as written there, to its link from the page. */
  links: Record<string, FileLink>;
  /** When the page was made (ISO 8601), shown in its footer. */
  generatedAt: string;
}

/** Writes `htmlDir`/index.html for the run and returns its path. A recording that cannot be read only blanks its panels. */
export async function writeRunPage(report: RunReport, htmlDir: string): Promise<string> {
  await mkdir(htmlDir, { recursive: true });
  const model = await loadRunPageModel(report, htmlDir);
  const path = join(htmlDir, 'index.html');
  await writeFile(path, renderRunPage(model));
  return path;
}

export async function loadRunPageModel(report: RunReport, htmlDir: string, now: Date = new Date()): Promise<RunPageModel> {
  const outDir = resolve(report.outDir);
  const inOutDir = (path: string) => resolve(outDir, path);
  // Every call of a run usually plays the same reference: read it once.
  const files = new Map<string, Promise<Track | Missing>>();
  const load = (path: string) => {
    const absolute = inOutDir(path);
    if (!files.has(absolute)) files.set(absolute, loadMono(absolute));
    return files.get(absolute)!;
  };
  const audio: RunPageModel['audio'] = [];
  for (const call of report.calls) {
    audio.push(call.report ? await Promise.all(call.report.directions.map((direction) => loadDirectionAudio(direction, load))) : null);
  }
  const paths = [
    ...Object.values(report.stanzaLogs ?? {}),
    ...report.calls.flatMap((call) => [
      ...Object.values(call.files),
      ...(call.report?.directions.flatMap((d) => [d.reference, d.recording, d.packetLog]) ?? []),
    ]),
  ];
  const links: Record<string, FileLink> = {};
  for (const path of paths) if (path) links[path] = fileLink(inOutDir(path), resolve(htmlDir));
  return { report, audio, links, generatedAt: now.toISOString() };
}

export function fileLink(absolutePath: string, pageDir: string): FileLink {
  const path = relative(pageDir, absolutePath);
  const href = isAbsolute(path) ? `file://${encodeURI(path)}` : path.split(sep).map(encodeURIComponent).join('/');
  return { href, exists: existsSync(absolutePath), path: absolutePath };
}

async function loadDirectionAudio(direction: DirectionReport, load: (path: string) => Promise<Track | Missing>): Promise<DirectionAudio> {
  const recording = direction.recording ? await load(direction.recording) : { problem: 'no recording was kept for this direction' };
  const reference = direction.reference ? await load(direction.reference) : { problem: 'what the far end played is not known' };
  const span: [number, number] = [0, 'samples' in recording ? recording.samples.length / DISPLAY_RATE : 'samples' in reference ? reference.samples.length / DISPLAY_RATE : 1];
  if (!('samples' in recording) || !('samples' in reference)) {
    return { span, recording, reference, alignment: 'not aligned: only one of the two signals is available' };
  }
  // The recording starts when media connects, before the far end's first word: the reference (looped as the
  // sender played it) goes where it correlates best, which holds the start offset and the mouth-to-ear delay.
  const played = playedSignal({ path: '', samples: reference.samples, sampleRate: DISPLAY_RATE }, Math.ceil(((span[1] + MAX_ALIGNMENT_MS / 1000) * 1000) / 20));
  const { delayMs, correlation } = estimateDelay(
    resample(played, DISPLAY_RATE, ALIGNMENT_RATE),
    resample(recording.samples, DISPLAY_RATE, ALIGNMENT_RATE),
    ALIGNMENT_RATE,
    { maxDelayMs: MAX_ALIGNMENT_MS },
  );
  if (correlation <= 0) {
    return { span, recording, reference: { ...reference, samples: played }, alignment: 'not aligned: the recording does not resemble the reference' };
  }
  return {
    span,
    recording,
    reference: { samples: played, sampleRate: DISPLAY_RATE, startS: delayMs / 1000 },
    alignment: `reference placed at ${delayMs.toFixed(1)} ms into the recording (cross-correlation ${correlation.toFixed(2)})`,
  };
}

async function loadMono(path: string): Promise<Track | Missing> {
  try {
    const audio = await readAudio(path);
    const samples = resample(downmix(audio.samples), audio.sampleRate, DISPLAY_RATE);
    if (samples.length === 0) return { problem: `${path}: no samples` };
    return { samples, sampleRate: DISPLAY_RATE, startS: 0 };
  } catch (error) {
    if (error instanceof AudioFileError) return { problem: error.message };
    return { problem: `${path}: ${(error as Error).message}` };
  }
}
