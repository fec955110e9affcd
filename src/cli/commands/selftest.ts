// `earshot selftest [--duration S] [--codec opus|pcmu|pcma] [--json FILE]`
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runSelftest } from '../selftest.js';
import { addInsecureRtpOption, codecPreference, loadReference, outputPath, parseSeconds, referenceSeconds, warnInsecureRtp } from '../media-options.js';
import { summarize } from '../summary.js';
import { addImpairmentOptions, resolveImpairment, type ImpairmentFlags } from '../impairment-options.js';
import { resolveAccount } from '../accounts.js';

interface SelftestFlags extends ImpairmentFlags {
  accounts?: string;
  duration?: string;
  codec?: string;
  json?: string;
  play?: string;
  out: string;
  jmi: boolean;
  as?: string;
  callee?: string;
  visqol: boolean;
  insecureRtp?: boolean;
}

export function registerSelftestCommand(program: Command): void {
  const command = program
    .command('selftest')
    .description('two bots call each other through the lab (started if none runs) or your server; both directions recorded and measured')
    .option('--duration <s>', 'seconds of media after the call connects (default: the reference speech plus 1 s)')
    .option('--codec <name>', 'opus, pcmu or pcma (default: offer all, opus first)')
    .option('--play <file>', 'reference speech, any WAV (default: the shipped media/speech-en-16k.wav)')
    .option('--accounts <file>', 'accounts file (default $EARSHOT_ACCOUNTS or ~/.config/earshot/accounts.yaml)')
    .option('--json <file>', 'write the result as JSON')
    .option('--out <dir>', 'where recordings go', 'earshot-out')
    .option('--no-visqol', 'skip ViSQOL when scoring (most of the scoring time)')
    .option('--no-jmi', 'call the full JID with session-initiate instead of ringing the bare JID with JMI')
    .option('--as <account>', 'caller account on your server (default: the lab\'s alice)')
    .option('--callee <account>', 'callee account on your server (default: the lab\'s bob)');
  addImpairmentOptions(addInsecureRtpOption(command)).action((flags: SelftestFlags) => selftest(flags));
}

async function selftest(flags: SelftestFlags): Promise<void> {
  warnInsecureRtp(flags.insecureRtp);
  const reference = await loadReference(flags.play);
  const codecs = codecPreference(flags.codec);
  const durationS = flags.duration ? parseSeconds(flags.duration) : Math.ceil(referenceSeconds(reference)) + 1;
  if (Boolean(flags.as) !== Boolean(flags.callee)) throw new Error('--as and --callee go together (two accounts on your server)');
  const accounts = flags.as && flags.callee ? ([resolveAccount(flags.as, { accountsFile: flags.accounts }), resolveAccount(flags.callee, { accountsFile: flags.accounts })] as const) : undefined;
  const outDir = resolve(flags.out, new Date().toISOString().replace(/[:.]/g, '-'));
  const report = await runSelftest({
    reference,
    durationS,
    outDir,
    codecs,
    jmi: flags.jmi,
    visqol: flags.visqol,
    insecureRtp: flags.insecureRtp,
    impairment: resolveImpairment(flags),
    accounts: accounts && [accounts[0], accounts[1]],
    progress: (message) => process.stderr.write(`earshot: ${message}\n`),
  });
  process.stdout.write(summarize(report));
  const jsonPath = flags.json ? outputPath(flags.json) : join(outDir, 'result.json');
  writeFileSync(outputPath(jsonPath), `${JSON.stringify({ calls: [report] }, null, 2)}\n`);
  process.stdout.write(`result: ${jsonPath}\n`);
  if (report.setupMs === null) process.exitCode = 1;
}
