// `earshot sweep [--loss 0,2,5,10,20] [--burst 1] [--codec opus,pcmu] [--seeds 2] [--profile NAME] [--duration S]
//  [--parallel N] [--out DIR] [--as A --callee B]`: one scored call per grid point; results.csv, results.json and
// index.html (charts and table) in the output folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Lab, defaultLabDir, labAccountConfig, readLabState } from '../../lab/index.js';
import { parseCodecName } from '../../media/index.js';
import { loadProfile, parseOverrides } from '../../netsim/index.js';
import { resolveAccount } from '../accounts.js';
import { loadReference, parseSeconds } from '../media-options.js';
import { labAccountPairs, runSweep, sharedAccountPair, sweepPoints, writeSweepOutputs, type AccountPairs, type SweepCallResult } from '../sweep.js';

interface SweepFlags {
  loss: string;
  burst: string;
  codec: string;
  seeds: string;
  profile: string;
  duration: string;
  parallel?: string;
  out?: string;
  play?: string;
  as?: string;
  callee?: string;
  accounts?: string;
}

export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('impairment experiment: one scored call per loss x burst x codec x seed; CSV, JSON and an HTML page of curves')
    .option('--loss <list>', 'packet loss percentages, comma-separated', '0,2,5,10,20')
    .option('--burst <list>', 'mean loss burst lengths in packets (1: independent loss)', '1')
    .option('--codec <list>', 'codecs: opus, pcmu, pcma', 'opus,pcmu')
    .option('--seeds <n>', 'calls per point, seeded 1..n', '2')
    .option('--profile <name|file>', 'network the loss is laid over (its loss replaced, delay/jitter/rate kept)', 'clean')
    .option('--duration <s>', 'seconds of media per call', '6')
    .option('--parallel <n>', 'calls at once (default: min(4, 2 x cores))')
    .option('--out <dir>', 'output folder (default earshot-out/sweep-<timestamp>)')
    .option('--play <file>', 'reference speech, any WAV (default: the shipped media/speech-en-16k.wav)')
    .option('--as <account>', 'caller account on your server (default: the lab)')
    .option('--callee <account>', 'callee account on your server')
    .option('--accounts <file>', 'accounts file for --as/--callee')
    .action((flags: SweepFlags) => sweep(flags));
}

async function sweep(flags: SweepFlags): Promise<void> {
  const points = sweepPoints({
    lossPercents: list(flags.loss, '--loss').map((loss) => parseOverrides({ loss }).lossPercent!),
    meanBursts: list(flags.burst, '--burst').map((burst) => parseOverrides({ burst }).meanBurst!),
    codecs: list(flags.codec, '--codec').map(parseCodecName),
    seeds: wholeNumber(flags.seeds, '--seeds'),
  });
  const parallel = flags.parallel === undefined ? Math.min(4, availableParallelism() * 2) : wholeNumber(flags.parallel, '--parallel');
  const durationS = parseSeconds(flags.duration);
  const baseProfile = loadProfile(flags.profile);
  const reference = await loadReference(flags.play);
  if (Boolean(flags.as) !== Boolean(flags.callee)) throw new Error('--as and --callee go together (two accounts on your server)');
  const outDir = resolve(flags.out ?? join('earshot-out', `sweep-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const say = (line: string) => process.stderr.write(`earshot: ${line}\n`);

  let lab: Lab | undefined;
  let labDir: string | undefined;
  let accounts: AccountPairs;
  let server: string;
  if (flags.as && flags.callee) {
    accounts = sharedAccountPair([resolveAccount(flags.as, { accountsFile: flags.accounts }), resolveAccount(flags.callee, { accountsFile: flags.accounts })]);
    server = `your server, as ${flags.as} calling ${flags.callee}`;
  } else {
    const running = readLabState(defaultLabDir());
    if (running) {
      // Another process holds that lab, so no accounts can be added: every slot logs in alice and bob anew.
      accounts = sharedAccountPair([labAccountConfig(running, 'alice'), labAccountConfig(running, 'bob')]);
      server = `the running lab in ${running.dir} (alice calling bob)`;
    } else {
      labDir = mkdtempSync(join(tmpdir(), 'earshot-sweep-'));
      say('starting a temporary lab (Prosody + coturn on loopback)');
      lab = await Lab.start({ dir: labDir });
      accounts = labAccountPairs(lab);
      server = 'a temporary lab (sweep-a-N calling sweep-b-N)';
    }
  }
  say(`${points.length} calls of ${durationS} s, ${parallel} at once, on ${server}; results in ${outDir}`);

  try {
    const result = await runSweep({ points, baseProfile, reference, durationS, parallel, accounts, outDir, onCall: (call, done, total) => say(progressLine(call, done, total)) });
    const failed = result.calls.filter((call) => call.error !== null).length;
    const facts: Array<[string, string]> = [
      ['command', ['earshot', ...process.argv.slice(2)].join(' ')],
      ['finished', new Date().toISOString()],
      ['network', `profile ${baseProfile.name}, loss at the caller's end in both directions`],
      ['calls', `${result.calls.length} (${failed} failed), ${durationS} s of media each, ${parallel} at once`],
      ['wall time', `${(result.wallMs / 1000).toFixed(1)} s`],
      ['reference', reference.path],
      ['server', server],
    ];
    const paths = writeSweepOutputs(outDir, result, facts);
    process.stdout.write(`${result.calls.length} calls (${failed} failed) in ${(result.wallMs / 1000).toFixed(1)} s\n${paths.csv}\n${paths.json}\n${paths.html}\n`);
    if (failed === result.calls.length) process.exitCode = 1;
  } finally {
    await lab?.stop();
    if (labDir) rmSync(labDir, { recursive: true, force: true });
  }
}

function progressLine(call: SweepCallResult, done: number, total: number): string {
  const { lossPercent, meanBurst, codec, seed } = call.point;
  const head = `[${done}/${total}] ${codec} loss ${lossPercent}% burst ${meanBurst} seed ${seed}`;
  const seconds = `${(call.wallMs / 1000).toFixed(1)} s`;
  if (call.error !== null) return `${head}: FAILED ${call.error} (${seconds})`;
  const pair = (pick: (row: SweepCallResult['rows'][number]) => number | null) => call.rows.map((row) => pick(row)?.toFixed(2) ?? '-').join('/');
  return `${head}: mosLqo ${pair((r) => r.mosLqo)}, E-model ${pair((r) => r.emodelMos)}, measured loss ${pair((r) => r.measuredLossPercent)}% (${seconds})`;
}

function list(text: string, flag: string): string[] {
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw new Error(`${flag}: "${text}" is not a comma-separated list`);
  return items;
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) throw new Error(`${flag}: "${text}" is not a whole number >= 1`);
  return Number(text);
}
