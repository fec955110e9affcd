// Checks an impairment config (as read from a profile file, so nothing about its shape is trusted) and
// returns every problem as "field.path: what is wrong (the value)". An empty list means the model accepts it.
import type { ImpairmentConfig } from './config.js';
import { JITTER_DISTRIBUTIONS } from './jitter.js';

type Problems = string[];
type Fields = Record<string, unknown>;

const KNOWN_FIELDS: Record<string, readonly string[]> = {
  '': ['delayMs', 'jitter', 'loss', 'rate', 'duplicatePercent', 'reorder', 'slot', 'outages', 'trace'],
  jitter: ['ms', 'distribution', 'reorder'],
  rate: ['kbps', 'overheadBytes', 'queuePackets', 'queueBytes'],
  reorder: ['percent', 'gapMs'],
  slot: ['minMs', 'maxMs', 'maxPackets', 'maxBytes'],
  outages: ['everyS', 'durationMs', 'firstAtS'],
  trace: ['file'],
};
const LOSS_FIELDS: Record<string, readonly string[]> = {
  random: ['model', 'percent'],
  'gilbert-elliott': ['model', 'percent', 'meanBurst'],
  'gilbert-elliott-4': ['model', 'p', 'r', 'lossInBad', 'lossInGood'],
};

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownFields(fields: Fields, known: readonly string[], prefix: string, problems: Problems): void {
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) problems.push(`${prefix}${key}: unknown field (known: ${known.join(', ')})`);
  }
}

interface NumberRule {
  min?: number;
  /** The minimum itself is not allowed. */
  above?: boolean;
  max?: number;
  integer?: boolean;
  required?: boolean;
  /** Replaces the generic range wording. */
  rangeText?: string;
}

/** Checks one numeric field; returns the number when it is acceptable. */
function checkNumber(fields: Fields, key: string, prefix: string, rule: NumberRule, problems: Problems): number | undefined {
  const path = `${prefix}${key}`;
  const value = fields[key];
  if (value === undefined) {
    if (rule.required) problems.push(`${path}: required`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.push(`${path}: must be a number (${show(value)})`);
    return undefined;
  }
  const { min, max } = rule;
  const tooLow = min !== undefined && (rule.above ? value <= min : value < min);
  const tooHigh = max !== undefined && value > max;
  if (tooLow || tooHigh) {
    if (rule.rangeText) problems.push(`${path}: ${rule.rangeText} (${value})`);
    else if (max !== undefined) problems.push(`${path}: must be ${min}..${max} (${value})`);
    else if (min === 0 && !rule.above) problems.push(`${path}: must not be negative (${value})`);
    else problems.push(`${path}: must be ${rule.above ? 'above' : 'at least'} ${min} (${value})`);
    return undefined;
  }
  if (rule.integer && !Number.isInteger(value)) {
    problems.push(`${path}: must be a whole number (${value})`);
    return undefined;
  }
  return value;
}

function checkSection(config: Fields, key: string, problems: Problems): Fields | undefined {
  const value = config[key];
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    problems.push(`${key}: must be a mapping of fields (${show(value)})`);
    return undefined;
  }
  unknownFields(value, KNOWN_FIELDS[key]!, `${key}.`, problems);
  return value;
}

function formatBurst(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

function checkLoss(config: Fields, problems: Problems): void {
  const loss = config.loss;
  if (loss === undefined) return;
  if (!isObject(loss)) {
    problems.push(`loss: must be a mapping of fields (${show(loss)})`);
    return;
  }
  const known = LOSS_FIELDS[String(loss.model)];
  if (!known) {
    problems.push(`loss.model: unknown ${show(loss.model)} (${Object.keys(LOSS_FIELDS).join(', ')})`);
    return;
  }
  unknownFields(loss, known, 'loss.', problems);
  const probability: NumberRule = { min: 0, max: 1, required: true, rangeText: 'must be a probability 0..1' };
  switch (loss.model) {
    case 'random':
      checkNumber(loss, 'percent', 'loss.', { min: 0, max: 100, required: true }, problems);
      return;
    case 'gilbert-elliott': {
      const percent = checkNumber(loss, 'percent', 'loss.', { min: 0, max: 100, required: true }, problems);
      if (percent === 100) problems.push('loss.percent: must be below 100 for Gilbert-Elliott (100)');
      const burst = checkNumber(loss, 'meanBurst', 'loss.', { min: 1, required: true }, problems);
      if (percent === undefined || percent === 100 || burst === undefined) return;
      const lossShare = percent / 100;
      const minimumBurst = lossShare / (1 - lossShare);
      if (burst <= minimumBurst) {
        problems.push(
          `loss.meanBurst: ${formatBurst(burst)} is below what a ${percent}% loss allows (must exceed ${+minimumBurst.toFixed(3)})`,
        );
      }
      return;
    }
    case 'gilbert-elliott-4':
      for (const key of ['p', 'r', 'lossInBad', 'lossInGood']) checkNumber(loss, key, 'loss.', probability, problems);
  }
}

export function validateImpairment(config: ImpairmentConfig): string[] {
  const problems: Problems = [];
  const fields: unknown = config;
  if (!isObject(fields)) return [`impairment: must be a mapping of fields (${show(fields)})`];
  unknownFields(fields, KNOWN_FIELDS['']!, '', problems);

  checkNumber(fields, 'delayMs', '', { min: 0 }, problems);

  const jitter = checkSection(fields, 'jitter', problems);
  if (jitter) {
    checkNumber(jitter, 'ms', 'jitter.', { min: 0, required: true }, problems);
    const distribution = jitter.distribution;
    if (distribution !== undefined && !JITTER_DISTRIBUTIONS.includes(distribution as never)) {
      problems.push(`jitter.distribution: unknown ${show(distribution)} (${JITTER_DISTRIBUTIONS.join(', ')})`);
    }
    if (jitter.reorder !== undefined && typeof jitter.reorder !== 'boolean') {
      problems.push(`jitter.reorder: must be true or false (${show(jitter.reorder)})`);
    }
  }

  checkLoss(fields, problems);

  const rate = checkSection(fields, 'rate', problems);
  if (rate) {
    checkNumber(rate, 'kbps', 'rate.', { min: 0, above: true, required: true }, problems);
    checkNumber(rate, 'overheadBytes', 'rate.', { min: 0, integer: true }, problems);
    checkNumber(rate, 'queuePackets', 'rate.', { min: 1, integer: true }, problems);
    checkNumber(rate, 'queueBytes', 'rate.', { min: 1, integer: true }, problems);
  }

  checkNumber(fields, 'duplicatePercent', '', { min: 0, max: 100 }, problems);

  const reorder = checkSection(fields, 'reorder', problems);
  if (reorder) {
    checkNumber(reorder, 'percent', 'reorder.', { min: 0, max: 100, required: true }, problems);
    checkNumber(reorder, 'gapMs', 'reorder.', { min: 0 }, problems);
  }

  const slot = checkSection(fields, 'slot', problems);
  if (slot) {
    const minMs = checkNumber(slot, 'minMs', 'slot.', { min: 0, required: true }, problems);
    const maxMs = checkNumber(slot, 'maxMs', 'slot.', { min: 0, above: true, required: true }, problems);
    if (minMs !== undefined && maxMs !== undefined && maxMs < minMs) {
      problems.push(`slot.maxMs: must not be below slot.minMs (${maxMs} < ${minMs})`);
    }
    checkNumber(slot, 'maxPackets', 'slot.', { min: 1, integer: true }, problems);
    checkNumber(slot, 'maxBytes', 'slot.', { min: 1, integer: true }, problems);
  }

  const outages = checkSection(fields, 'outages', problems);
  if (outages) {
    const everyS = checkNumber(outages, 'everyS', 'outages.', { min: 0, above: true, required: true }, problems);
    const durationMs = checkNumber(outages, 'durationMs', 'outages.', { min: 0, required: true }, problems);
    if (everyS !== undefined && durationMs !== undefined && durationMs >= everyS * 1000) {
      problems.push(`outages.durationMs: must be shorter than the interval of ${everyS} s (${durationMs})`);
    }
    checkNumber(outages, 'firstAtS', 'outages.', { min: 0 }, problems);
  }

  const trace = checkSection(fields, 'trace', problems);
  if (trace) {
    if (typeof trace.file !== 'string' || trace.file === '') problems.push(`trace.file: must name a Mahimahi trace file (${show(trace.file)})`);
    if (rate) problems.push('trace: rate and trace are both bottlenecks; give one of them');
  }
  return problems;
}
