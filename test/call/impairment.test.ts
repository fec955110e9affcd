// Live calls through earshot's own network impairment (lab Prosody): the configured loss and delay show in the
// call's statistics and measured mouth-to-ear delay, exactly as the impairment's fate log says, and scores fall.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportBothEnds, scoreReport, type CallReport, type Impairment } from '../../src/call/index.js';
import { loadProfile } from '../../src/netsim/index.js';
import { connectedCall, hangUpAfter, labEndpoints } from '../helpers/lab-endpoints.js';

const MEDIA_S = 4;

describe('calls through an impaired network', function () {
  this.timeout(40_000);
  const out = mkdtempSync(join(tmpdir(), 'earshot-impaired-'));
  const endpoints = labEndpoints('alice', 'bob');

  async function scoredCall(name: string, impairment?: Impairment): Promise<CallReport> {
    const { call, incoming } = await connectedCall(endpoints.alice, endpoints.bob, {
      to: 'bob@localhost',
      caller: { recordPath: join(out, `${name}-alice.wav`), impairment },
      callee: { recordPath: join(out, `${name}-bob.wav`) },
    });
    const [callerLeg, calleeLeg] = await hangUpAfter(MEDIA_S * 1000, call, incoming);
    return scoreReport(reportBothEnds(callerLeg, calleeLeg), [call, incoming], { visqol: false });
  }

  const mosLqo = (report: CallReport, index: number) => {
    const quality = report.directions[index].quality;
    assert.ok(quality && 'mosLqo' in quality, `direction ${index} not scored: ${JSON.stringify(quality)}`);
    return quality;
  };

  it('3g-lossy: the fate log\'s losses and delay are what the call measures, and it scores below a clean call', async () => {
    const clean = await scoredCall('clean');
    const lossy = await scoredCall('3g-lossy', { profile: loadProfile('3g-lossy'), seed: 11 });
    const impairment = lossy.impairment;
    assert.ok(impairment, 'the report names the impairment');
    assert.equal(impairment.profile, '3g-lossy');
    assert.equal(impairment.seed, 11);

    // Direction 0 (alice -> bob) went through alice's "up" model, direction 1 through her "down" model.
    for (const [index, figures] of [
      [0, impairment.up],
      [1, impairment.down],
    ] as const) {
      const network = lossy.directions[index].network;
      assert.ok(network);
      assert.equal(network.lost, figures.lost + figures.droppedByQueue + figures.lostInOutage, `direction ${index}: the receiver counts exactly the packets the impairment dropped`);
      const quality = mosLqo(lossy, index);
      // 200 ms of network delay, plus serialization at the profile's rate, packetization and the jitter buffer.
      assert.ok(quality.delayMs > 200 && quality.delayMs < 350, `direction ${index}: mouth-to-ear delay ${quality.delayMs} ms`);
      assert.ok(figures.meanDelayMs >= 200 && figures.meanDelayMs < 260, `direction ${index}: impairment delay ${figures.meanDelayMs} ms`);
    }
    assert.ok(lossy.rttMs !== null && lossy.rttMs > 400, `RTT ${lossy.rttMs} ms over two 200 ms legs`);
    const cleanScore = Math.min(mosLqo(clean, 0).mosLqo, mosLqo(clean, 1).mosLqo);
    const lossyScore = Math.min(mosLqo(lossy, 0).mosLqo, mosLqo(lossy, 1).mosLqo);
    assert.ok(lossyScore < cleanScore, `3g-lossy ${lossyScore} vs clean ${cleanScore}`);
    assert.ok((lossy.directions[0].emodel?.mos ?? 5) < (clean.directions[0].emodel?.mos ?? 0), 'the E-model sees the delay and loss too');
  });

  it('very-bad scores lower still', async () => {
    const bad = await scoredCall('very-bad', { profile: loadProfile('very-bad'), seed: 3 });
    const lossy = await scoredCall('3g-lossy-again', { profile: loadProfile('3g-lossy'), seed: 11 });
    const worst = (report: CallReport) => Math.min(mosLqo(report, 0).mosLqo, mosLqo(report, 1).mosLqo);
    assert.ok(worst(bad) < worst(lossy), `very-bad ${worst(bad)} vs 3g-lossy ${worst(lossy)}`);
    assert.ok((bad.directions[0].network?.lossPercent ?? 0) > 5, 'very-bad loses about 10%');
  });
});
