// Command-line overrides of a profile's figures (`--loss 5% --burst 2 --delay 120ms --jitter 30ms --rate 256kbps
// --seed 7`), parsed from the strings users type and applied to both directions of every phase.
//
// Units are optional where there is no doubt: a bare loss is a percentage (`5` = 5%, `0.5` = 0.5%), a bare
// delay or jitter is in ms, a bare rate in kbps. `--burst` turns the loss into Gilbert-Elliott with that mean
// burst length (packets); `--loss` alone keeps a profile's bursts (bursty stays bursty) and is random loss
// otherwise. Loss overrides leave total-outage phases (100% loss) alone: they add loss to a working network,
// they do not repair an outage. The result is validated like a profile file.
import type { ImpairmentConfig, LossConfig, Profile, ProfilePhase } from './config.js';
import { validateImpairment } from './validate.js';

/** The flags as typed (commander hands over strings). */
export interface OverrideFlags {
  loss?: string;
  burst?: string;
  delay?: string;
  jitter?: string;
  rate?: string;
  seed?: string;
}

export interface ProfileOverrides {
  lossPercent?: number;
  meanBurst?: number;
  delayMs?: number;
  jitterMs?: number;
  rateKbps?: number;
  /** Not part of a profile: the caller hands it to the impairment model. */
  seed?: number;
}

export class OverrideError extends Error {
  override readonly name = 'OverrideError';
}

const NUMBER_WITH_UNIT = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z%/]*)\s*$/i;

function split(flag: string, text: string, example: string): { value: number; unit: string } {
  const match = NUMBER_WITH_UNIT.exec(text);
  if (!match) throw new OverrideError(`--${flag}: "${text}" is not a ${example}`);
  return { value: Number(match[1]), unit: match[2]!.toLowerCase() };
}

export function parseLossPercent(text: string): number {
  const { value, unit } = split('loss', text, 'loss percentage (like 5% or 0.5)');
  if (unit !== '' && unit !== '%') throw new OverrideError(`--loss: "${text}": the unit must be % (or none)`);
  if (value > 100) throw new OverrideError(`--loss: "${text}" is more than 100%`);
  return value;
}

export function parseMeanBurst(text: string): number {
  const { value, unit } = split('burst', text, 'mean burst length in packets (like 2)');
  if (!['', 'packet', 'packets', 'pkt', 'pkts'].includes(unit)) throw new OverrideError(`--burst: "${text}": a burst is counted in packets`);
  if (value < 1) throw new OverrideError(`--burst: "${text}" is below 1 packet (a burst is the mean run of lost packets)`);
  return value;
}

export function parseDurationMs(flag: string, text: string): number {
  const { value, unit } = split(flag, text, 'duration (like 120ms or 0.12s)');
  switch (unit) {
    case '':
    case 'ms':
      return value;
    case 's':
      return value * 1000;
    default:
      throw new OverrideError(`--${flag}: "${text}": the unit must be ms or s`);
  }
}

const KBPS_PER_UNIT: Record<string, number> = {
  '': 1,
  bps: 0.001,
  'bit/s': 0.001,
  k: 1,
  kbps: 1,
  kbit: 1,
  'kbit/s': 1,
  m: 1000,
  mbps: 1000,
  mbit: 1000,
  'mbit/s': 1000,
  gbps: 1_000_000,
  gbit: 1_000_000,
};

export function parseRateKbps(text: string): number {
  const { value, unit } = split('rate', text, 'rate (like 256kbps or 1.5Mbps)');
  const factor = KBPS_PER_UNIT[unit];
  if (factor === undefined) throw new OverrideError(`--rate: "${text}": the unit must be bps, kbps, Mbps or Gbps`);
  if (value === 0) throw new OverrideError(`--rate: "${text}" would let nothing through (use a profile with an outage for that)`);
  return value * factor;
}

export function parseSeed(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) > 0xffff_ffff) {
    throw new OverrideError(`--seed: "${text}" is not a whole number 0..4294967295`);
  }
  return Number(text);
}

/** Every flag given, parsed; the first bad one throws an OverrideError naming it. */
export function parseOverrides(flags: OverrideFlags): ProfileOverrides {
  const overrides: ProfileOverrides = {};
  if (flags.loss !== undefined) overrides.lossPercent = parseLossPercent(flags.loss);
  if (flags.burst !== undefined) overrides.meanBurst = parseMeanBurst(flags.burst);
  if (flags.delay !== undefined) overrides.delayMs = parseDurationMs('delay', flags.delay);
  if (flags.jitter !== undefined) overrides.jitterMs = parseDurationMs('jitter', flags.jitter);
  if (flags.rate !== undefined) overrides.rateKbps = parseRateKbps(flags.rate);
  if (flags.seed !== undefined) overrides.seed = parseSeed(flags.seed);
  return overrides;
}

/** The overrides as flags again, for sources and reports: `--loss 5% --burst 2`. */
export function describeOverrides(overrides: ProfileOverrides): string {
  return [
    overrides.lossPercent !== undefined ? `--loss ${overrides.lossPercent}%` : '',
    overrides.meanBurst !== undefined ? `--burst ${overrides.meanBurst}` : '',
    overrides.delayMs !== undefined ? `--delay ${overrides.delayMs}ms` : '',
    overrides.jitterMs !== undefined ? `--jitter ${overrides.jitterMs}ms` : '',
    overrides.rateKbps !== undefined ? `--rate ${overrides.rateKbps}kbps` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * The profile with the overrides in both directions of every phase; its source says what was overridden.
 * Throws an OverrideError when the result is not a valid impairment (a burst too short for the loss).
 */
export function applyOverrides(profile: Profile, overrides: ProfileOverrides): Profile {
  const flags = describeOverrides(overrides);
  if (flags === '') return profile;
  const problems = new Map<string, string[]>();
  const phases = profile.phases.map((phase): ProfilePhase => {
    const where = (direction: string) => `${phase.name ?? `phase at ${phase.atS} s`} ${direction}`;
    const up = overrideDirection(phase.up, overrides, where('up'));
    const down = overrideDirection(phase.down, overrides, where('down'));
    for (const [direction, config] of [['up', up], ['down', down]] as const) {
      for (const problem of validateImpairment(config)) problems.set(problem, [...(problems.get(problem) ?? []), where(direction)]);
    }
    return { ...phase, up, down };
  });
  if (problems.size > 0) {
    throw new OverrideError(
      [...problems].map(([problem, places]) => `${flags} on profile ${profile.name}: ${problem} (in ${places.join(', ')})`).join('\n'),
    );
  }
  return { ...profile, source: `${profile.source}; overridden by ${flags}`, phases };
}

function overrideDirection(config: ImpairmentConfig, overrides: ProfileOverrides, where: string): ImpairmentConfig {
  const result: ImpairmentConfig = { ...config };
  if (overrides.delayMs !== undefined) result.delayMs = overrides.delayMs;
  if (overrides.jitterMs !== undefined) {
    if (overrides.jitterMs === 0) delete result.jitter;
    else result.jitter = { ...config.jitter, ms: overrides.jitterMs };
  }
  if (overrides.rateKbps !== undefined) result.rate = { ...config.rate, kbps: overrides.rateKbps };
  if ((overrides.lossPercent !== undefined || overrides.meanBurst !== undefined) && !isTotalOutage(config.loss)) {
    const loss = overriddenLoss(config.loss, overrides, where);
    if (loss) result.loss = loss;
    else delete result.loss;
  }
  return result;
}

function overriddenLoss(current: LossConfig | undefined, overrides: ProfileOverrides, where: string): LossConfig | undefined {
  const percent = overrides.lossPercent ?? (current ? meanLossPercent(current) : 0);
  const meanBurst = overrides.meanBurst ?? (overrides.lossPercent !== undefined && current ? meanBurstOf(current) : undefined);
  if (percent === 0) {
    if (overrides.meanBurst !== undefined) {
      throw new OverrideError(`--burst ${overrides.meanBurst}: there is no loss to make bursty in ${where}; give --loss too`);
    }
    return undefined;
  }
  return meanBurst === undefined ? { model: 'random', percent } : { model: 'gilbert-elliott', percent, meanBurst };
}

function isTotalOutage(loss: LossConfig | undefined): boolean {
  return loss !== undefined && loss.model !== 'gilbert-elliott-4' && loss.percent >= 100;
}

function meanLossPercent(loss: LossConfig): number {
  if (loss.model !== 'gilbert-elliott-4') return loss.percent;
  const bad = loss.p / (loss.p + loss.r);
  return 100 * (bad * loss.lossInBad + (1 - bad) * loss.lossInGood);
}

/** A four-parameter chain's bursts last 1/r packets (the mean stay in Bad). */
function meanBurstOf(loss: LossConfig): number | undefined {
  if (loss.model === 'gilbert-elliott') return loss.meanBurst;
  if (loss.model === 'gilbert-elliott-4') return 1 / loss.r;
  return undefined;
}
