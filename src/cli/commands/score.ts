// `earshot score REF DEG [--json]`: full-reference scores for any two audio files.
import type { Command } from 'commander';
import { downmix, readAudio } from '../../media/index.js';
import { MetricsInputError, scoreSpeech } from '../../metrics/index.js';
import { describeQuality } from '../summary.js';

interface ScoreFlags {
  json?: boolean;
  visqol: boolean;
  window: string;
}

export function registerScoreCommand(program: Command): void {
  program
    .command('score')
    .description('score a degraded recording against its reference: mosLqo (PESQ-WB scale), delay, ViSQOL, STOI, segmental SNR, scores over time')
    .argument('<reference>', 'the reference speech (WAV, or FLAC and others through ffmpeg; any rate and channel count)')
    .argument('<degraded>', 'what was heard')
    .option('--json', 'print one JSON object')
    .option('--no-visqol', 'skip ViSQOL (most of the scoring time)')
    .option('--window <s>', 'length of the windows of scores over time', '2')
    .action((reference: string, degraded: string, flags: ScoreFlags) => score(reference, degraded, flags));
}

async function score(referencePath: string, degradedPath: string, flags: ScoreFlags): Promise<void> {
  const [reference, degraded] = await Promise.all([readAudio(referencePath), readAudio(degradedPath)]);
  try {
    const quality = scoreSpeech(downmix(reference.samples), reference.sampleRate, downmix(degraded.samples), degraded.sampleRate, {
      visqol: flags.visqol,
      windowS: Number(flags.window),
    });
    process.stdout.write(flags.json ? `${JSON.stringify(quality)}\n` : `${describeQuality(quality)}\n`);
  } catch (error) {
    if (!(error instanceof MetricsInputError)) throw error;
    // A verdict, not a crash: the pair cannot be scored, and the JSON says why.
    if (flags.json) process.stdout.write(`${JSON.stringify({ verdict: error.verdict, reason: error.message })}\n`);
    else process.stderr.write(`earshot: cannot score: ${error.message}\n`);
    process.exitCode = 2;
  }
}
