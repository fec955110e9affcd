// `earshot profiles [--json]` lists the shipped impairment profiles with their figures and sources;
// `earshot profiles show NAME|FILE [--json]` prints one profile resolved (a user's file is checked as it would be for a call).
import type { Command } from 'commander';
import type { Profile } from '../../netsim/config.js';
import { describeImpairment, listProfiles, loadProfile, ProfileError } from '../../netsim/profile-file.js';

interface ProfilesFlags {
  json?: boolean;
}

export function registerProfilesCommand(program: Command): void {
  const profiles = program
    .command('profiles')
    .description('list the network impairment profiles: delay, jitter, loss, bursts, rate per direction, phases, and where the figures come from')
    .option('--json', 'print the profiles as a JSON array')
    .action((flags: ProfilesFlags) => list(flags));
  profiles
    .command('show')
    .description('print one profile, resolved: a shipped name or the path of a .yaml file')
    .argument('<profile>', 'a profile name (see `earshot profiles`) or a profile file')
    .option('--json', 'print the profile as JSON')
    .action((nameOrPath: string, flags: ProfilesFlags) => show(nameOrPath, flags));
}

function list(flags: ProfilesFlags): void {
  const names = listProfiles().map((entry) => entry.name);
  const profiles = names.map((name) => loadProfile(name));
  process.stdout.write(flags.json ? `${JSON.stringify(profiles, null, 2)}\n` : `${profiles.map(describeProfile).join('\n\n')}\n`);
}

function show(nameOrPath: string, flags: ProfilesFlags): void {
  let profile: Profile;
  try {
    profile = loadProfile(nameOrPath);
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    process.stderr.write(`earshot: ${error.message.replace(/\n/g, '\n  ')}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(flags.json ? `${JSON.stringify(profile, null, 2)}\n` : `${describeProfile(profile)}\n`);
}

/** A profile as a few aligned lines: name, per-phase figures for each direction, then its source. */
export function describeProfile(profile: Profile): string {
  const lines = [profile.description ? `${profile.name}: ${profile.description}` : profile.name];
  for (const phase of profile.phases) {
    const indent = profile.phases.length > 1 ? '    ' : '  ';
    if (profile.phases.length > 1) lines.push(`  from ${phase.atS} s${phase.name ? `: ${phase.name}` : ''}`);
    lines.push(`${indent}up   ${describeImpairment(phase.up)}`, `${indent}down ${describeImpairment(phase.down)}`);
  }
  lines.push(`  source: ${profile.source}`);
  return lines.join('\n');
}
