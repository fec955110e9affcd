// `earshot demo`: the story earshot was made for, in numbers: the same selftest call on a clean network and
// through a 3G profile, side by side.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CallReport, DirectionReport } from '../../call/index.js';
import { Lab, defaultLabDir, labAccountConfig, readLabState } from '../../lab/index.js';
import { loadProfile } from '../../netsim/index.js';
import { runSelftest } from '../selftest.js';
import { loadReference, outputPath, parseSeconds, referenceSeconds } from '../media-options.js';
import { summarize } from '../summary.js';
import type { XmppAccount } from '../../xmpp/index.js';
import { bareJid } from '../../xmpp/index.js';

interface DemoFlags {
  profile: string;
  duration?: string;
  seed: string;
  out: string;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the same call on a clean network and through a 3G profile, scored side by side (npm run demo)')
    .option('--profile <name|file>', 'the impaired network', '3g-typical')
    .option('--duration <s>', 'seconds of media per call (default: the reference speech plus 1 s)')
    .option('--seed <n>', 'seed of the impairment', '1')
    .option('--out <dir>', 'where recordings and results go', 'earshot-out')
    .action((flags: DemoFlags) => demo(flags));
}

async function demo(flags: DemoFlags): Promise<void> {
  const reference = await loadReference();
  const profile = loadProfile(flags.profile);
  const durationS = flags.duration ? parseSeconds(flags.duration) : Math.ceil(referenceSeconds(reference)) + 1;
  const say = (message: string) => process.stderr.write(`earshot: ${message}\n`);
  let lab: Lab | undefined;
  let info = readLabState(defaultLabDir());
  if (!info) {
    say('starting a temporary lab (Prosody + coturn on loopback)');
    lab = await Lab.start({ dir: mkdtempSync(join(tmpdir(), 'earshot-demo-')) });
    info = lab.info;
  }
  try {
    const accounts: [XmppAccount, XmppAccount] = [labAccountConfig(info, 'alice'), labAccountConfig(info, 'bob')];
    const outDir = resolve(flags.out, `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    say(`call 1 of 2: a clean network, ${durationS} s of speech each way`);
    const clean = await runSelftest({ reference, durationS, outDir: join(outDir, 'clean'), accounts, progress: say });
    say(`call 2 of 2: through ${profile.name} (${profile.source})`);
    const impaired = await runSelftest({
      reference,
      durationS,
      outDir: join(outDir, profile.name),
      accounts,
      impairment: { profile, seed: Number(flags.seed) },
      progress: say,
    });
    process.stdout.write(`${summarize(clean)}\n${summarize(impaired)}\n${sideBySide(clean, impaired, profile.name)}`);
    const jsonPath = outputPath(join(outDir, 'result.json'));
    writeFileSync(jsonPath, `${JSON.stringify({ calls: [clean, impaired] }, null, 2)}\n`);
    process.stdout.write(`result: ${jsonPath}\n`);
  } finally {
    await lab?.stop();
  }
}

function sideBySide(clean: CallReport, impaired: CallReport, profileName: string): string {
  const rows: Array<[string, string, string]> = [['', 'clean', profileName], ['setup', ms(clean.setupMs), ms(impaired.setupMs)], ['RTT', ms(clean.rttMs), ms(impaired.rttMs)]];
  clean.directions.forEach((direction, index) => {
    const other = impaired.directions[index];
    rows.push([`${bareJid(direction.from)} -> ${bareJid(direction.to)}`, '', '']);
    rows.push(['  mosLqo', mosLqo(direction), mosLqo(other)]);
    rows.push(['  E-model MOS', fixed(direction.emodel?.mos), fixed(other.emodel?.mos)]);
    rows.push(['  mouth-to-ear delay', ms(delay(direction)), ms(delay(other))]);
    rows.push(['  packet loss', percent(direction.network?.lossPercent), percent(other.network?.lossPercent)]);
    rows.push(['  jitter', ms(direction.jitterMs, 1), ms(other.jitterMs, 1)]);
    rows.push(['  concealed frames', String(direction.packets.concealed ?? '?'), String(other.packets.concealed ?? '?')]);
  });
  const width = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length)), 0];
  return `${rows.map(([label, a, b]) => `${label.padEnd(width[0])}   ${a.padStart(width[1])}   ${b}`).join('\n')}\n`;
}

function mosLqo(direction: DirectionReport): string {
  const q = direction.quality;
  return q && 'mosLqo' in q ? fixed(q.mosLqo) : 'n/a';
}

function delay(direction: DirectionReport): number | null {
  const q = direction.quality;
  return q && 'delayMs' in q ? q.delayMs : null;
}

const fixed = (value: number | undefined | null) => (value === undefined || value === null ? 'n/a' : value.toFixed(2));
const ms = (value: number | null | undefined, digits = 0) => (value === null || value === undefined ? 'n/a' : `${value.toFixed(digits)} ms`);
const percent = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(1)} %`);
