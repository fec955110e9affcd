import assert from 'node:assert/strict';
import type { ImpairmentConfig, JitterDistribution } from '../../src/netsim/config.js';
import { ImpairmentConfigError, NetworkModel } from '../../src/netsim/model.js';
import { parseMahimahiTrace } from '../../src/netsim/mahimahi-trace.js';
import { burstLengths, delays, drive, mean, median, standardDeviation, within } from './drive.js';

// Long runs: 100k packets at 50 pps is 2000 s of simulated time. Tolerances are stated per assertion.
const LONG = 100_000;

function run(config: ImpairmentConfig, seed = 1, packets = LONG, intervalMs = 20, sizeBytes = 100) {
  return drive(new NetworkModel(config, { seed }), packets, intervalMs, sizeBytes);
}

function share(count: number, total: number): number {
  return count / total;
}

describe('NetworkModel', () => {
  describe('loss', () => {
    it('random loss: measured mean within 10% of the configured 5%', () => {
      const { fates } = run({ loss: { model: 'random', percent: 5 } });
      within(share(fates.filter((f) => f.fate === 'lost').length, LONG), 0.05, 0.1, 'loss');
    });

    for (const [percent, meanBurst] of [
      [5, 2],
      [20, 4],
    ] as const) {
      it(`Gilbert-Elliott ${percent}% with bursts of ${meanBurst}: mean loss and mean burst within 10%`, () => {
        const { fates } = run({ loss: { model: 'gilbert-elliott', percent, meanBurst } });
        within(share(fates.filter((f) => f.fate === 'lost').length, LONG), percent / 100, 0.1, 'loss');
        within(mean(burstLengths(fates)), meanBurst, 0.1, 'mean burst');
        assert.ok(fates.every((f) => (f.fate === 'lost') === (f.lossState === 'bad')), 'everything lost in Bad, nothing in Good');
      });
    }

    it('four-parameter Gilbert-Elliott: loss = good share x lossInGood + bad share x lossInBad, within 10%', () => {
      const { fates } = run({ loss: { model: 'gilbert-elliott-4', p: 0.05, r: 0.3, lossInBad: 0.8, lossInGood: 0.01 } });
      const badShare = 0.05 / 0.35;
      within(share(fates.filter((f) => f.fate === 'lost').length, LONG), (1 - badShare) * 0.01 + badShare * 0.8, 0.1, 'loss');
      within(share(fates.filter((f) => f.lossState === 'bad').length, LONG), badShare, 0.1, 'time in Bad');
    });
  });

  describe('delay and jitter', () => {
    it('fixed delay only: every packet takes exactly delayMs', () => {
      const { deliveries, fates } = run({ delayMs: 80 }, 1, 1000);
      assert.deepEqual(new Set(delays(fates)), new Set([80]));
      assert.deepEqual(deliveries.map((d) => d.atMs), deliveries.map((d) => d.id * 20 + 80));
    });

    const expectedSpread: Record<JitterDistribution, number> = { uniform: 10 / Math.sqrt(3), normal: 10, pareto: 10, paretonormal: 10 };
    for (const distribution of ['uniform', 'normal', 'pareto', 'paretonormal'] as const) {
      it(`${distribution} +-10 ms around 100 ms (reorder allowed): mean within 1%, standard deviation within 10%`, () => {
        const measured = delays(run({ delayMs: 100, jitter: { ms: 10, distribution, reorder: true } }).fates);
        within(mean(measured), 100, 0.01, 'mean delay');
        within(standardDeviation(measured), expectedSpread[distribution], 0.1, 'standard deviation');
        if (distribution === 'uniform') {
          assert.ok(Math.min(...measured) >= 90 && Math.max(...measured) <= 110, 'uniform stays within +-J');
        }
        if (distribution === 'pareto') {
          assert.ok(Math.min(...measured) >= 100 - 0.83 * 10, 'pareto is bounded below (at -0.82 J)');
          const spikes = measured.filter((d) => d > 100 + 3 * 10).length;
          assert.ok(spikes > 1000, `pareto has a long tail (${spikes} packets over +3 J; a normal would give about 135)`);
          assert.ok(Math.max(...measured) <= 100 + 4 * 10 + 0.01, 'the tail is cut at +4 J like netem tables');
          assert.ok(median(measured) < mean(measured) - 1, 'pareto: median below mean');
        }
      });
    }

    it('clips the total delay at 0: uniform +-20 on 5 ms gives no negative delay and a mean of 7.81 ms (within 3%)', () => {
      const measured = delays(run({ delayMs: 5, jitter: { ms: 20, reorder: true } }).fates);
      assert.ok(Math.min(...measured) === 0);
      // E[max(0, 5 + U(-20, 20))] = 25^2 / 2 / 40.
      within(mean(measured), 7.8125, 0.03, 'mean delay');
      within(share(measured.filter((d) => d === 0).length, measured.length), 15 / 40, 0.05, 'share clipped to 0');
    });

    it('keeps order by default, pushing packets later (the mean rises above the configured delay)', () => {
      const { deliveries, fates } = run({ delayMs: 100, jitter: { ms: 30 } }, 3, 20_000);
      assert.deepEqual(deliveries.map((d) => d.id), fates.map((f) => f.id));
      for (let i = 1; i < fates.length; i++) assert.ok(fates[i]!.deliverAtMs! >= fates[i - 1]!.deliverAtMs!);
      const average = mean(delays(fates));
      // Measured +3.0 ms over the configured 100 ms (seed 3).
      assert.ok(average > 102 && average < 104.5, `ordered mean delay ${average}`);
    });

    it('reorders with jitter.reorder true (uniform +-30 ms at 20 ms spacing: over 10% arrive after a later packet)', () => {
      const { deliveries } = run({ delayMs: 100, jitter: { ms: 30, reorder: true } }, 3, 20_000);
      const late = deliveries.filter((d, i) => i > 0 && d.id < deliveries[i - 1]!.id).length;
      assert.ok(share(late, deliveries.length) > 0.1, `reordered share ${share(late, deliveries.length)}`);
    });

    it('explicit reordering: 5% overtake the packet before them (within 10%; the share is 5% x 95% as a packet cannot overtake another overtaker)', () => {
      const { fates } = run({ delayMs: 100, reorder: { percent: 5, gapMs: 30 } });
      const overtaking = fates.filter((f, i) => i > 0 && f.deliverAtMs! < fates[i - 1]!.deliverAtMs!).length;
      within(share(overtaking, LONG), 0.05 * 0.95, 0.1, 'overtaking share');
      assert.deepEqual(new Set(delays(fates)), new Set([100, 70]));
    });
  });

  describe('rate', () => {
    it('under capacity: no drops, each packet delayed by its serialization time (100 B + 28 B overhead at 64 kbps = 16 ms)', () => {
      const { fates } = run({ rate: { kbps: 64, overheadBytes: 28 } }, 1, 1000);
      assert.deepEqual(new Set(delays(fates)), new Set([16]));
    });

    it('over capacity: throughput equals the configured 32 kbps within 2%, the drop-tail queue drops the excess', () => {
      // 100 B every 20 ms is 40 kbps into a 32 kbps link with a 20-packet queue.
      const { fates, deliveries } = run({ rate: { kbps: 32, queuePackets: 20 } }, 1, 20_000);
      const firstMs = deliveries[0]!.atMs;
      const lastMs = deliveries.at(-1)!.atMs;
      const bits = (deliveries.length - 1) * 100 * 8;
      within(bits / (lastMs - firstMs), 32, 0.02, 'throughput kbps');
      within(share(fates.filter((f) => f.fate === 'dropped-queue').length, fates.length), 0.2, 0.02, 'dropped share');
      // A full queue of 20 packets at 25 ms each bounds the delay.
      assert.ok(Math.max(...delays(fates)) <= 20 * 25);
    });

    it('a byte limit drops what does not fit (1000 B queue holds 4 packets of 250 B)', () => {
      const model = new NetworkModel({ rate: { kbps: 8, queueBytes: 1000 } }, { seed: 1 });
      const fates = Array.from({ length: 6 }, (_, id) => model.enqueue({ id, sizeBytes: 250 }, 0).fate);
      assert.deepEqual(fates, ['delivered', 'delivered', 'delivered', 'delivered', 'dropped-queue', 'dropped-queue']);
    });
  });

  describe('outages', () => {
    it('loses 400 ms every 10 s (4% of packets), and nothing arrives inside an outage shifted by the delay', () => {
      const { fates, deliveries } = run({ delayMs: 50, outages: { everyS: 10, durationMs: 400 } });
      within(share(fates.filter((f) => f.fate === 'outage').length, LONG), 0.04, 0.01, 'outage share');
      for (const fate of fates) {
        const inOutage = fate.sentAtMs >= 10_000 && fate.sentAtMs % 10_000 < 400;
        assert.equal(fate.fate === 'outage', inOutage, `packet sent at ${fate.sentAtMs}`);
      }
      assert.ok(deliveries.every((d) => (d.atMs - 50) < 10_000 || (d.atMs - 50) % 10_000 >= 400));
    });
  });

  describe('slot', () => {
    it('delivers only at slot boundaries: slots of 5-15 ms add on average E[L^2]/2E[L] = 5.42 ms (within 10%)', () => {
      const { fates, deliveries } = run({ delayMs: 20, slot: { minMs: 5, maxMs: 15 } });
      const times = [...new Set(deliveries.map((d) => d.atMs))];
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 5, 'boundaries at least minMs apart');
      assert.ok(delays(fates).every((d) => d >= 20));
      within(mean(delays(fates)) - 20, (10 ** 2 + 10 ** 2 / 12) / (2 * 10), 0.1, 'mean wait for a slot');
    });

    it('releases packets together in bursts, at most maxPackets per slot', () => {
      const model = new NetworkModel({ slot: { minMs: 10, maxMs: 10, maxPackets: 2 } }, { seed: 1 });
      const sent = Array.from({ length: 5 }, (_, id) => model.enqueue({ id, sizeBytes: 100 }, 1).deliverAtMs);
      assert.deepEqual(sent, [10, 10, 20, 20, 30]);
    });
  });

  describe('trace-driven capacity', () => {
    // 250 opportunities in the first half second (one every 2 ms), a single one at the end: 3 Mbps then an outage.
    const traceText = Array.from({ length: 250 }, (_, i) => String(1 + 2 * i)).join('\n') + '\n1000\n';
    const trace = parseMahimahiTrace(traceText);

    it('a saturating sender gets exactly the trace: one 1500-byte packet per opportunity, looping every 1000 ms', () => {
      const model = new NetworkModel({ trace: { file: 'half.trace' } }, { seed: 1, traceDeliveriesMs: trace.deliveriesMs });
      const { deliveries } = drive(model, 3000, 1, 1500);
      const perSecond = [0, 1, 2].map((second) => deliveries.filter((d) => Math.floor((d.atMs - 1) / 1000) === second).length);
      assert.deepEqual(perSecond, [251, 251, 251]);
      const secondHalf = deliveries.filter((d) => d.atMs % 1000 > 499 && d.atMs % 1000 !== 0);
      assert.equal(secondHalf.length, 0, 'nothing in the trace gap');
      assert.deepEqual(deliveries.slice(0, 3).map((d) => d.atMs), [1, 3, 5]);
    });

    it('packets share an opportunity or need several, as in Mahimahi', () => {
      const model = new NetworkModel({ trace: { file: 'half.trace' } }, { seed: 1, traceDeliveriesMs: trace.deliveriesMs });
      const at = [750, 750, 3000, 100].map((sizeBytes, id) => model.enqueue({ id, sizeBytes }, 0).deliverAtMs);
      assert.deepEqual(at, [1, 1, 5, 7]);
      assert.equal(model.enqueue({ id: 4, sizeBytes: 100 }, 600).deliverAtMs, 1000, 'waits out the gap for the last opportunity');
      assert.equal(model.enqueue({ id: 5, sizeBytes: 1500 }, 600).deliverAtMs, 1001, 'then the next loop');
    });
  });

  it('duplicates 2% of packets (within 10%), each copy delivered with duplicate: true', () => {
    const { fates, deliveries } = run({ delayMs: 40, duplicatePercent: 2 });
    const copies = deliveries.filter((d) => d.duplicate);
    within(share(copies.length, LONG), 0.02, 0.1, 'duplicate share');
    assert.deepEqual(copies.map((d) => d.id), fates.filter((f) => f.duplicated).map((f) => f.id));
  });

  describe('determinism', () => {
    const everything: ImpairmentConfig = {
      delayMs: 60,
      jitter: { ms: 15, distribution: 'paretonormal' },
      loss: { model: 'gilbert-elliott', percent: 3, meanBurst: 2 },
      rate: { kbps: 48, queuePackets: 10 },
      duplicatePercent: 1,
      reorder: { percent: 1, gapMs: 20 },
      slot: { minMs: 2, maxMs: 8 },
      outages: { everyS: 30, durationMs: 500 },
    };

    it('same seed, same inputs: an identical fate log and delivery sequence', () => {
      assert.deepEqual(run(everything, 42, 20_000), run(everything, 42, 20_000));
    });

    it('a different seed gives a different fate log', () => {
      assert.notDeepEqual(run(everything, 42, 20_000).fates, run(everything, 43, 20_000).fates);
    });

    it('adding jitter does not change which packets are lost (each stage has its own random stream)', () => {
      const loss = { model: 'random', percent: 10 } as const;
      const lost = (config: ImpairmentConfig) => run(config, 7, 5000).fates.map((f) => f.fate === 'lost');
      assert.deepEqual(lost({ loss }), lost({ loss, jitter: { ms: 20 } }));
    });
  });

  describe('reconfigure (timed phases)', () => {
    it('keeps queued packets, then applies the new phase (with order kept)', () => {
      const model = new NetworkModel({ delayMs: 100 }, { seed: 1 });
      model.enqueue({ id: 1, sizeBytes: 100 }, 0);
      model.reconfigure({ delayMs: 10, outages: { everyS: 1, durationMs: 200, firstAtS: 0 } }, 50);
      assert.equal(model.enqueue({ id: 2, sizeBytes: 100 }, 60).fate, 'outage', 'outage schedule counts from the phase start');
      assert.equal(model.enqueue({ id: 3, sizeBytes: 100 }, 260).deliverAtMs, 270);
      assert.deepEqual(model.deliverable(99), []);
      assert.deepEqual(model.deliverable(100), [{ id: 1, sizeBytes: 100, duplicate: false }]);
      assert.equal(model.nextDeliveryTime(), 270);
    });
  });

  describe('bad input', () => {
    it('refuses an invalid config with every problem listed', () => {
      assert.throws(
        () => new NetworkModel({ delayMs: -5, loss: { model: 'random', percent: 120 } }, { seed: 1 }),
        (error: unknown) =>
          error instanceof ImpairmentConfigError &&
          error.problems.join('\n') === 'delayMs: must not be negative (-5)\nloss.percent: must be 0..100 (120)',
      );
    });

    it('refuses a trace config without the trace itself', () => {
      assert.throws(() => new NetworkModel({ trace: { file: 'verizon.down' } }, { seed: 1 }), /trace\.file: verizon\.down must be read/);
    });

    it('refuses time going backwards and impossible sizes', () => {
      const model = new NetworkModel({}, { seed: 1 });
      model.enqueue({ id: 1, sizeBytes: 100 }, 100);
      assert.throws(() => model.enqueue({ id: 2, sizeBytes: 100 }, 99), /time went backwards/);
      assert.throws(() => model.enqueue({ id: 3, sizeBytes: Number.NaN }, 100), /impossible size/);
    });
  });
});
