import assert from 'node:assert/strict';
import type { ImpairmentConfig } from '../../src/netsim/config.js';
import { validateImpairment } from '../../src/netsim/validate.js';

/** For configs as a profile file could hold them, shape unchecked. */
function check(config: unknown): string[] {
  return validateImpairment(config as ImpairmentConfig);
}

describe('validateImpairment', () => {
  it('accepts a full, sensible config', () => {
    assert.deepEqual(
      check({
        delayMs: 20,
        jitter: { ms: 5, distribution: 'pareto', reorder: false },
        loss: { model: 'gilbert-elliott', percent: 2, meanBurst: 2 },
        rate: { kbps: 1000, overheadBytes: 28, queuePackets: 50, queueBytes: 64000 },
        duplicatePercent: 0.5,
        reorder: { percent: 1, gapMs: 10 },
        slot: { minMs: 0.8, maxMs: 10, maxPackets: 4, maxBytes: 6000 },
        outages: { everyS: 60, durationMs: 3000, firstAtS: 5 },
      }),
      [],
    );
  });

  it('names the field, the rule and the value', () => {
    assert.deepEqual(check({ loss: { model: 'gilbert-elliott', percent: 60, meanBurst: 1.0 } }), [
      'loss.meanBurst: 1.0 is below what a 60% loss allows (must exceed 1.5)',
    ]);
    assert.deepEqual(check({ delayMs: -5 }), ['delayMs: must not be negative (-5)']);
    assert.deepEqual(check({ loss: { model: 'random', percent: 120 } }), ['loss.percent: must be 0..100 (120)']);
    assert.deepEqual(check({ jitter: { ms: 5, distribution: 'gauss' } }), [
      'jitter.distribution: unknown "gauss" (uniform, normal, pareto, paretonormal)',
    ]);
  });

  it('catches the rest of the field set', () => {
    assert.deepEqual(
      check({
        delayMs: '20',
        jitter: { ms: -1, reorder: 'yes' },
        loss: { model: 'gilbert-elliott-4', p: 5, r: 0.5, lossInBad: 1 },
        rate: { kbps: 0, queuePackets: 2.5 },
        duplicatePercent: 101,
        reorder: { gapMs: 5 },
        slot: { minMs: 10, maxMs: 5 },
        outages: { everyS: 1, durationMs: 1000 },
        trace: { file: '' },
        latency: 5,
      }),
      [
        'latency: unknown field (known: delayMs, jitter, loss, rate, duplicatePercent, reorder, slot, outages, trace)',
        'delayMs: must be a number ("20")',
        'jitter.ms: must not be negative (-1)',
        'jitter.reorder: must be true or false ("yes")',
        'loss.p: must be a probability 0..1 (5)',
        'loss.lossInGood: required',
        'rate.kbps: must be above 0 (0)',
        'rate.queuePackets: must be a whole number (2.5)',
        'duplicatePercent: must be 0..100 (101)',
        'reorder.percent: required',
        'slot.maxMs: must not be below slot.minMs (5 < 10)',
        'outages.durationMs: must be shorter than the interval of 1 s (1000)',
        'trace.file: must name a Mahimahi trace file ("")',
        'trace: rate and trace are both bottlenecks; give one of them',
      ],
    );
  });

  it('rejects Gilbert-Elliott at 100% and bursts under one packet, and unknown loss models', () => {
    assert.deepEqual(check({ loss: { model: 'gilbert-elliott', percent: 100, meanBurst: 3 } }), [
      'loss.percent: must be below 100 for Gilbert-Elliott (100)',
    ]);
    assert.deepEqual(check({ loss: { model: 'gilbert-elliott', percent: 1, meanBurst: 0.5 } }), ['loss.meanBurst: must be at least 1 (0.5)']);
    assert.deepEqual(check({ loss: { model: 'bursty', percent: 1 } }), [
      'loss.model: unknown "bursty" (random, gilbert-elliott, gilbert-elliott-4)',
    ]);
  });
});
