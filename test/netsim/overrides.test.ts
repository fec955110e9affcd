// Overrides as users type them on the command line, and what they do to a profile.
import assert from 'node:assert/strict';
import type { Profile } from '../../src/netsim/config.js';
import { applyOverrides, OverrideError, parseOverrides } from '../../src/netsim/overrides.js';
import { loadProfile } from '../../src/netsim/profile-file.js';

function parseError(flags: Parameters<typeof parseOverrides>[0]): string {
  try {
    parseOverrides(flags);
  } catch (error) {
    assert.ok(error instanceof OverrideError);
    return error.message;
  }
  assert.fail('accepted');
}

describe('profile overrides', () => {
  it('reads values with and without units', () => {
    assert.deepEqual(parseOverrides({ loss: '5%', burst: '2', delay: '120ms', jitter: '30ms', rate: '256kbps', seed: '7' }), {
      lossPercent: 5,
      meanBurst: 2,
      delayMs: 120,
      jitterMs: 30,
      rateKbps: 256,
      seed: 7,
    });
    assert.deepEqual(parseOverrides({ loss: '0.5', delay: '0.12s', jitter: '30', rate: '1.5Mbps' }), {
      lossPercent: 0.5,
      delayMs: 120,
      jitterMs: 30,
      rateKbps: 1500,
    });
    assert.deepEqual(parseOverrides({ rate: '64000bps' }), { rateKbps: 64 });
    assert.deepEqual(parseOverrides({}), {});
  });

  it('says what is wrong with each flag', () => {
    assert.equal(parseError({ loss: '120%' }), '--loss: "120%" is more than 100%');
    assert.equal(parseError({ loss: '-1%' }), '--loss: "-1%" is not a loss percentage (like 5% or 0.5)');
    assert.equal(parseError({ loss: '5 dB' }), '--loss: "5 dB": the unit must be % (or none)');
    assert.equal(parseError({ burst: '0.5' }), '--burst: "0.5" is below 1 packet (a burst is the mean run of lost packets)');
    assert.equal(parseError({ delay: '2min' }), '--delay: "2min": the unit must be ms or s');
    assert.equal(parseError({ jitter: 'lots' }), '--jitter: "lots" is not a duration (like 120ms or 0.12s)');
    assert.equal(parseError({ rate: '0kbps' }), '--rate: "0kbps" would let nothing through (use a profile with an outage for that)');
    assert.equal(parseError({ rate: '5 furlongs' }), '--rate: "5 furlongs": the unit must be bps, kbps, Mbps or Gbps');
    assert.equal(parseError({ seed: '1.5' }), '--seed: "1.5" is not a whole number 0..4294967295');
  });

  it('applies to both directions of every phase, keeping what is not overridden', () => {
    const profile = applyOverrides(loadProfile('3g-lossy'), parseOverrides({ loss: '5%', burst: '2', delay: '120ms', jitter: '30ms' }));
    const [phase] = profile.phases;
    assert.deepEqual(phase!.up, { delayMs: 120, jitter: { ms: 30 }, loss: { model: 'gilbert-elliott', percent: 5, meanBurst: 2 }, rate: { kbps: 50 } });
    assert.deepEqual(phase!.down.rate, { kbps: 200 });
    assert.deepEqual(phase!.down.loss, { model: 'gilbert-elliott', percent: 5, meanBurst: 2 });
    assert.match(profile.source, /; overridden by --loss 5% --burst 2 --delay 120ms --jitter 30ms$/);
  });

  it('makes an existing loss bursty with --burst alone, and keeps bursts with --loss alone', () => {
    const bursty = applyOverrides(loadProfile('very-bad'), { meanBurst: 3 });
    assert.deepEqual(bursty.phases[0]!.up.loss, { model: 'gilbert-elliott', percent: 10, meanBurst: 3 });
    const wifi = applyOverrides(loadProfile('wifi-congested'), { lossPercent: 8 });
    assert.deepEqual(wifi.phases[0]!.down.loss, { model: 'gilbert-elliott', percent: 8, meanBurst: 2 });
    const random = applyOverrides(loadProfile('clean'), { lossPercent: 3 });
    assert.deepEqual(random.phases[0]!.down.loss, { model: 'random', percent: 3 });
  });

  it('leaves the outage of a handover alone but overrides the phases around it', () => {
    const profile = applyOverrides(loadProfile('handover-lte-3g'), { lossPercent: 4, rateKbps: 256 });
    assert.deepEqual(profile.phases.map((phase) => phase.up.loss), [
      { model: 'random', percent: 4 },
      { model: 'random', percent: 100 },
      { model: 'random', percent: 4 },
    ]);
    assert.deepEqual(profile.phases.map((phase) => phase.down.rate?.kbps), [256, 256, 256]);
  });

  it('rejects a burst too short for the loss, with the reason', () => {
    assert.throws(
      () => applyOverrides(loadProfile('3g-lossy'), parseOverrides({ loss: '60%', burst: '1.2' })),
      (error: Error) => {
        assert.ok(error instanceof OverrideError);
        assert.equal(
          error.message,
          '--loss 60% --burst 1.2 on profile 3g-lossy: loss.meanBurst: 1.2 is below what a 60% loss allows (must exceed 1.5) (in phase at 0 s up, phase at 0 s down)',
        );
        return true;
      },
    );
  });

  it('refuses --burst where there is no loss to make bursty', () => {
    assert.throws(() => applyOverrides(loadProfile('clean'), { meanBurst: 2 }), /--burst 2: there is no loss to make bursty in phase at 0 s up; give --loss too/);
  });

  it('removes jitter and loss set to zero, and returns the profile untouched without overrides', () => {
    const profile = applyOverrides(loadProfile('3g-typical'), { lossPercent: 0, jitterMs: 0 });
    assert.deepEqual(profile.phases[0]!.up, { delayMs: 250, rate: { kbps: 1200 } });
    const original: Profile = loadProfile('lte');
    assert.equal(applyOverrides(original, { seed: 4 }), original);
  });
});
