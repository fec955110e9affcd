#!/usr/bin/env node
// earshot's command line: each command lives in commands/<name>.ts and registers itself here.
import { Command } from 'commander';
import { registerLabCommand } from './commands/lab.js';
import { registerSelftestCommand } from './commands/selftest.js';
import { registerCallCommand } from './commands/call.js';
import { registerAnswerCommand } from './commands/answer.js';
import { registerScoreCommand } from './commands/score.js';
import { registerProfilesCommand } from './commands/profiles.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerSweepCommand } from './commands/sweep.js';
import { registerRunCommand } from './commands/run.js';
import { registerTlsCheckCommand } from './commands/tls-check.js';
import { registerInteropCommand } from './commands/interop.js';

const program = new Command('earshot')
  .description('Headless Jingle voice-call test client: real XMPP, real media, real numbers')
  .version('0.1.0');

registerLabCommand(program);
registerSelftestCommand(program);
registerCallCommand(program);
registerAnswerCommand(program);
registerScoreCommand(program);
registerProfilesCommand(program);
registerDemoCommand(program);
registerSweepCommand(program);
registerRunCommand(program);
registerTlsCheckCommand(program);
registerInteropCommand(program);

// A command is over when its action resolves: exit then, whatever a media library may still have scheduled
// (recordings and reports are written and closed by that point).
program.parseAsync(process.argv).then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`earshot: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
