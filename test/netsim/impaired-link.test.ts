// The live shell: real timers deliver what the model decides, phases switch on time, and stop() ends it all.
import assert from 'node:assert/strict';
import { ImpairedLink, type Profile } from '../../src/netsim/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const handover: Profile = {
  name: 'test-handover',
  source: 'test',
  phases: [
    { atS: 0, name: 'fast', up: { delayMs: 30 }, down: { delayMs: 5 } },
    { atS: 0.25, name: 'outage', up: { loss: { model: 'random', percent: 100 } }, down: {} },
  ],
};

describe('netsim/ImpairedLink', () => {
  it('delays each direction by its own model and switches phase on time, counted from the first packet', async () => {
    const link = new ImpairedLink(handover, 1);
    const delivered: Array<{ id: number; afterMs: number }> = [];
    for (let id = 0; id < 20; id++) {
      const sentAt = performance.now();
      link.outbound('rtp', 100, () => delivered.push({ id, afterMs: performance.now() - sentAt }));
      await sleep(20);
    }
    await sleep(60);
    link.stop();
    const before = delivered.filter((d) => d.id < 10);
    assert.ok(before.length >= 9, `packets before the outage arrive (${before.length})`);
    for (const d of before) assert.ok(d.afterMs >= 29 && d.afterMs < 80, `packet ${d.id} took ${d.afterMs.toFixed(1)} ms`);
    assert.ok(!delivered.some((d) => d.id >= 14), 'nothing gets through once the outage phase began');
    const fates = link.fates('up');
    assert.equal(fates.length, 20);
    assert.ok(fates.filter((f) => f.fate === 'lost').length >= 5);
  });

  it('replays: the same seed gives the same fates', () => {
    const lossy: Profile = { name: 'lossy', source: 'test', phases: [{ atS: 0, up: { loss: { model: 'gilbert-elliott', percent: 20, meanBurst: 3 } }, down: {} }] };
    const run = (seed: number) => {
      const link = new ImpairedLink(lossy, seed, () => 0);
      for (let i = 0; i < 200; i++) link.outbound('rtp', 100, () => undefined);
      link.stop();
      return link.fates('up').map((fate) => fate.fate).join();
    };
    assert.equal(run(42), run(42));
    assert.notEqual(run(42), run(43));
  });

  it('delivers nothing after stop()', async () => {
    const link = new ImpairedLink({ name: 'slow', source: 'test', phases: [{ atS: 0, up: {}, down: { delayMs: 20 } }] }, 1);
    let delivered = 0;
    link.inbound('rtp', 100, () => delivered++);
    link.stop();
    await sleep(40);
    assert.equal(delivered, 0);
  });
});
