// The impairment flags that call, answer and selftest share: --profile NAME|FILE and its overrides.
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { applyOverrides, loadProfile, parseOverrides, type OverrideFlags } from '../netsim/index.js';
import type { Impairment } from '../call/index.js';

export interface ImpairmentFlags extends OverrideFlags {
  profile?: string;
}

export function addImpairmentOptions(command: Command): Command {
  return command
    .option('--profile <name|file>', 'impair the network at earshot\'s end, both directions (earshot profiles lists them)')
    .option('--loss <percent>', 'packet loss, e.g. 5%')
    .option('--burst <packets>', 'mean loss burst length (Gilbert-Elliott), e.g. 2')
    .option('--delay <ms>', 'one-way delay, e.g. 120ms')
    .option('--jitter <ms>', 'delay variation, e.g. 30ms')
    .option('--rate <kbps>', 'bottleneck rate, e.g. 256kbps')
    .option('--seed <n>', 'seed of the impairment, to replay a run exactly (default: random, and reported)');
}

/** The profile with the overrides applied, or none when no flag asks for impairment. */
export function resolveImpairment(flags: ImpairmentFlags): Impairment | undefined {
  const overrides = parseOverrides(flags);
  const overridden = ['loss', 'burst', 'delay', 'jitter', 'rate'].some((flag) => flags[flag as keyof OverrideFlags] !== undefined);
  if (!flags.profile && !overridden) return undefined;
  const profile = applyOverrides(loadProfile(flags.profile ?? 'clean'), overrides);
  return { profile, seed: overrides.seed ?? randomInt(2 ** 31) };
}
