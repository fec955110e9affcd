import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSweep, sharedAccountPair, sweepPoints, writeSweepOutputs, type SweepCallResult } from '../../src/cli/sweep.js';
import { loadReference } from '../../src/cli/media-options.js';
import { loadProfile } from '../../src/netsim/index.js';
import { labAccountConfig } from '../../src/lab/index.js';
import { sharedLab } from '../helpers/lab.js';

describe('cli/sweep', () => {
  it('lays the grid out, with a loss of 0 counted once whatever the bursts', () => {
    const points = sweepPoints({ lossPercents: [0, 5], meanBursts: [1, 3], codecs: ['opus', 'PCMU'], seeds: 2 });
    assert.equal(points.length, 2 * 2 + 2 * 2 * 2);
    assert.deepEqual(points[0], { lossPercent: 0, meanBurst: 1, codec: 'opus', seed: 1 });
    assert.deepEqual(points.at(-1), { lossPercent: 5, meanBurst: 3, codec: 'PCMU', seed: 2 });
    assert.throws(() => sweepPoints({ lossPercents: [], meanBursts: [1], codecs: ['opus'], seeds: 1 }), /at least one loss/);
    assert.throws(() => sweepPoints({ lossPercents: [1], meanBursts: [1], codecs: ['opus'], seeds: 0 }), /seeds/);
  });

  it('runs a small real sweep on the lab: a row per call direction, and 10% loss scoring below none', async function () {
    this.timeout(40_000);
    const lab = await sharedLab();
    const outDir = mkdtempSync(join(tmpdir(), 'earshot-sweep-test-'));
    try {
      const finished: SweepCallResult[] = [];
      const result = await runSweep({
        points: sweepPoints({ lossPercents: [0, 10], meanBursts: [1], codecs: ['opus'], seeds: 1 }),
        baseProfile: loadProfile('clean'),
        reference: await loadReference(),
        durationS: 3,
        parallel: 2,
        // The lab's own pair, each slot with its own resources: the shared lab's account list stays as other tests expect.
        accounts: sharedAccountPair([labAccountConfig(lab.info, 'alice'), labAccountConfig(lab.info, 'bob')]),
        outDir,
        onCall: (call) => finished.push(call),
      });
      assert.equal(finished.length, 2);
      const paths = writeSweepOutputs(outDir, result, [['test', 'cli/sweep']]);
      const [header, ...lines] = readFileSync(paths.csv, 'utf8').trim().split('\n');
      assert.equal(header, 'loss,burst,codec,seed,direction,mosLqo,emodelMos,measuredLossPct,delayMs,error');
      assert.equal(lines.length, 4, lines.join('\n'));
      const rows = lines.map((line) => line.split(','));
      for (const cells of rows) assert.equal(cells[9], '', `no error: ${cells.join(',')}`);
      const mos = (loss: string) => rows.filter((cells) => cells[0] === loss).map((cells) => Number(cells[5]));
      assert.ok(Math.max(...mos('10')) < Math.min(...mos('0')), `mosLqo at 10% ${mos('10')} vs clean ${mos('0')}`);
      const measured = rows.filter((cells) => cells[0] === '10').map((cells) => Number(cells[7]));
      assert.ok(measured.every((loss) => loss > 3 && loss < 25), `measured loss ${measured}`);
      assert.ok(readFileSync(paths.html, 'utf8').includes('<svg'));
      assert.equal(JSON.parse(readFileSync(paths.json, 'utf8')).rows.length, 4);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
