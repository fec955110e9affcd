// `earshot run SCRIPT [--json FILE] [--junit FILE] [--html DIR]`: runs a call script. Exit status: 0 when
// every call did what the script said and every expectation held, 1 when any failed, 2 when the script is
// invalid or its accounts cannot be used (then no call is placed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Lab, defaultLabDir, readLabState, type LabInfo } from '../../lab/index.js';
import { toJUnitXml, writeRunPage } from '../../report/index.js';
import { LoginError, ScenarioError, loadScenario, resolveLogins, runScenario, usesLab, type RunReport, type Scenario } from '../../scenario/index.js';
import { untilInterrupted } from '../interrupt.js';
import { outputPath } from '../media-options.js';
import { ProgressDisplay } from '../run-progress.js';

interface RunFlags {
  json?: string;
  junit?: string;
  html?: string;
  out?: string;
  visqol: boolean;
  seed?: string;
  check?: boolean;
}

/** Exit status of a script that cannot run at all. */
const EXIT_INVALID = 2;

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a call script (YAML): place its calls, drive each step, score, check its expectations')
    .argument('<script>', 'the call script (see samples/)')
    .option('--json <file>', 'write the run report as JSON')
    .option('--junit <file>', 'write JUnit XML: one test case per expectation')
    .option('--html <dir>', 'write a self-contained HTML report (index.html) with plots')
    .option('--out <dir>', 'where recordings, captures and logs go (default earshot-out/<script>-<time>)')
    .option('--seed <n>', 'seed of the impairment profiles (call n gets seed + n)', '1')
    .option('--no-visqol', 'skip ViSQOL when scoring')
    .option('--check', 'only validate the script and its accounts; place no call')
    .action((script: string, flags: RunFlags) => run(script, flags));
}

async function run(scriptFile: string, flags: RunFlags): Promise<void> {
  const scenario = loadOrExplain(scriptFile);
  if (!scenario) return;
  const seed = Number(flags.seed ?? 1);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer (${flags.seed})`);

  let lab: Lab | undefined;
  let labInfo: LabInfo | undefined;
  if (usesLab(scenario)) {
    labInfo = readLabState(defaultLabDir());
    if (!labInfo && !flags.check) {
      process.stderr.write('earshot: starting a temporary lab (Prosody + coturn on loopback)\n');
      lab = await Lab.start({ dir: mkdtempSync(join(tmpdir(), 'earshot-run-')) });
      labInfo = lab.info;
    }
  }
  try {
    const logins = flags.check && !labInfo ? undefined : resolveLoginsOrExplain(scenario, scriptFile, labInfo);
    if (flags.check) {
      if (logins || !usesLab(scenario)) process.stdout.write(`${scriptFile}: valid, ${describe(scenario)}\n`);
      else process.stdout.write(`${scriptFile}: valid, ${describe(scenario)} (lab accounts not checked: no lab running)\n`);
      return;
    }
    if (!logins) return;
    const outDir = resolve(flags.out ?? join('earshot-out', `${basename(scriptFile).replace(/\.ya?ml$/i, '')}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
    const progress = new ProgressDisplay(process.stderr);
    const interruption = new AbortController();
    const stopListening = untilInterrupted(() => {
      progress.message('interrupted: hanging up the calls that run; the report covers what ran');
      interruption.abort();
    });
    let report: RunReport;
    try {
      report = await runScenario(scenario, { scriptFile, logins, outDir, visqol: flags.visqol, seed, progress, signal: interruption.signal });
    } finally {
      progress.stop();
      stopListening();
    }
    await writeReports(report, flags);
    const failed = report.calls.filter((call) => !call.passed).length;
    process.stdout.write(
      `${report.passed ? 'PASS' : 'FAIL'} ${scenario.name}: ${report.calls.length - failed} of ${report.calls.length} calls passed in ${(report.durationMs / 1000).toFixed(1)} s; output in ${outDir}\n`,
    );
    process.exitCode = report.passed ? 0 : 1;
  } finally {
    await lab?.stop();
  }
}

function loadOrExplain(scriptFile: string): Scenario | undefined {
  try {
    return loadScenario(scriptFile);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    process.stderr.write(`earshot: ${scriptFile} cannot run; no call placed:\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
    process.exitCode = EXIT_INVALID;
    return undefined;
  }
}

function resolveLoginsOrExplain(scenario: Scenario, scriptFile: string, lab: LabInfo | undefined): ReturnType<typeof resolveLogins> | undefined {
  try {
    return resolveLogins(scenario, { lab, baseDir: resolve(scriptFile, '..') });
  } catch (error) {
    if (!(error instanceof LoginError)) throw error;
    process.stderr.write(`earshot: ${scriptFile} cannot run; no call placed:\n${error.message.split('\n').map((line) => `  ${line}`).join('\n')}\n`);
    process.exitCode = EXIT_INVALID;
    return undefined;
  }
}

async function writeReports(report: RunReport, flags: RunFlags): Promise<void> {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(report.outDir, 'run.json'), json);
  if (flags.json) writeFileSync(outputPath(flags.json), json);
  if (flags.junit) writeFileSync(outputPath(flags.junit), toJUnitXml(report));
  if (flags.html) process.stdout.write(`report: ${await writeRunPage(report, resolve(flags.html))}\n`);
}

function describe(scenario: Scenario): string {
  const placings = scenario.calls.reduce((sum, call) => sum + (call.repeat ?? 1), 0);
  return `${scenario.calls.length} call${scenario.calls.length === 1 ? '' : 's'} (${placings} placed), ${scenario.parallel ?? 1} at a time`;
}
