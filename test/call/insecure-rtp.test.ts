// Plain RTP (RTP/AVP, no DTLS-SRTP) between two earshot endpoints through the lab's Prosody, as earshot talks to
// Gajim 1.7: only when allowed (insecureRtp), reported as unencrypted, and refused by a callee that did not allow it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportBothEnds, scoreReport } from '../../src/call/index.js';
import { loadReference } from '../../src/cli/media-options.js';
import { summarize } from '../../src/cli/summary.js';
import { parseScenario, resolveLogins, runScenario } from '../../src/scenario/index.js';
import { sharedLab } from '../helpers/lab.js';
import { connectedCall, hangUpAfter, labEndpoints } from '../helpers/lab-endpoints.js';

const MEDIA_SECONDS = 3;

describe('calls with insecure RTP allowed (plain RTP/AVP, for peers without DTLS-SRTP)', function () {
  this.timeout(60_000);
  const out = mkdtempSync(join(tmpdir(), 'earshot-insecure-rtp-'));
  const endpoints = labEndpoints('alice', 'bob');
  after(() => rmSync(out, { recursive: true, force: true }));

  it('allowed at both ends: speech crosses both ways over plain RTP, is scored, and the report says unencrypted', async () => {
    const { call, incoming } = await connectedCall(endpoints.alice, endpoints.bob, {
      // Direct session-initiate, as Gajim (no JMI) needs it.
      caller: { jmi: false, insecureRtp: true, recordPath: join(out, 'alice.wav') },
      callee: { insecureRtp: true, recordPath: join(out, 'bob.wav') },
    });
    const [callerLeg, calleeLeg] = await hangUpAfter(MEDIA_SECONDS * 1000, call, incoming);

    // The callee chose plain RTP only because the offer had no DTLS fingerprint.
    assert.deepEqual([callerLeg.encryption, calleeLeg.encryption], ['none', 'none']);
    assert.ok(callerLeg.timeline.some((entry) => entry.event === 'media is plain RTP: unencrypted (insecure RTP allowed)'));
    const report = await scoreReport(reportBothEnds(callerLeg, calleeLeg), [call, incoming], { visqol: false });
    assert.equal(report.encryption, 'none');
    assert.equal(report.end.condition, 'success');
    assert.equal(report.codec?.name, 'opus');
    assert.ok(report.rttMs !== null, 'RTCP (ICE component 2) measured the round trip');
    for (const direction of report.directions) {
      const quality = direction.quality;
      assert.ok(quality && 'mosLqo' in quality, `not scored: ${JSON.stringify(quality)}`);
      assert.ok(quality.mosLqo > 4.0, `${direction.from} -> ${direction.to}: mosLqo ${quality.mosLqo} on a clean plain-RTP Opus call`);
      assert.equal(direction.packets.lost, 0);
      console.log(`      ${direction.from.split('@')[0]} -> ${direction.to.split('@')[0]}: mosLqo ${quality.mosLqo.toFixed(2)}, ${direction.packets.received} packets`);
    }
    assert.match(summarize(report), /^ {2}WARNING: unencrypted call: plain RTP without DTLS-SRTP \(--insecure-rtp\)/m);
  });

  it('allowed by the caller only: the callee refuses the plain RTP offer with security-error, saying DTLS-SRTP is required', async () => {
    const { alice, bob } = endpoints;
    const reference = await loadReference();
    bob.autoAnswer({ allow: ['alice@localhost'], media: { play: reference, loop: true } });
    const call = await alice.call(bob.self, { play: reference, jmi: false, insecureRtp: true });
    const leg = await call.ended;
    assert.equal(leg.end.condition, 'security-error');
    assert.equal(leg.end.by, 'remote');
    assert.equal(
      leg.end.text,
      "DTLS-SRTP is required: content '0' has no DTLS fingerprint (XEP-0320); earshot takes plain RTP only when insecure RTP is allowed explicitly",
    );
    assert.equal(leg.setupMs, undefined, 'no media connected');
  });

  it('a call script with insecureRtp: true gives it to both legs, and its report says unencrypted', async () => {
    const lab = await sharedLab();
    const scriptFile = join(out, 'gajim-like.yaml');
    const text = [
      'name: gajim-like',
      'accounts:',
      '  alice: { lab: alice }',
      '  bob: { lab: bob }',
      'calls:',
      '  - name: plain',
      '    caller: alice',
      '    callee: bob',
      '    via: direct',
      '    codec: pcmu',
      '    insecureRtp: true',
      '    steps: [answer: {}, wait: 1s, hangup: {}]',
      '',
    ].join('\n');
    writeFileSync(scriptFile, text);
    assert.throws(() => parseScenario(text.replace('insecureRtp: true', 'insecureRtp: yes please'), 'bad.yaml'), /insecureRtp/);
    const scenario = parseScenario(text, scriptFile);
    const run = await runScenario(scenario, { scriptFile, logins: resolveLogins(scenario, { lab: lab.info, baseDir: out }), outDir: join(out, 'run'), visqol: false });
    const report = run.calls[0]?.report;
    assert.equal(run.calls[0]?.error, null);
    assert.equal(report?.encryption, 'none');
    assert.equal(report?.end.condition, 'success');
    assert.deepEqual(report?.directions.map((direction) => (direction.packets.received ?? 0) > 30), [true, true]);
  });
});
