// End-to-end calls between two earshot endpoints through the lab's real Prosody: JMI and direct, each codec,
// declined callers, and Jingle requests that belong to no call.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CALL_FEATURES, reportBothEnds, scoreReport, type CallLegResult, type CallReport } from '../../src/call/index.js';
import { labAccountConfig } from '../../src/lab/index.js';
import { readAudio } from '../../src/media/index.js';
import { el, parseXml } from '../../src/util/index.js';
import { StanzaError, XmppConnection } from '../../src/xmpp/index.js';
import { loadReference } from '../../src/cli/media-options.js';
import { sharedLab } from '../helpers/lab.js';
import { connectedCall, hangUpAfter, labEndpoints } from '../helpers/lab-endpoints.js';

const MEDIA_SECONDS = 2;

describe('calls between two earshot endpoints (lab Prosody)', function () {
  this.timeout(30_000);
  const out = mkdtempSync(join(tmpdir(), 'earshot-calls-'));
  const endpoints = labEndpoints('alice', 'bob');

  async function callBob(name: string, options: { jmi: boolean; codec?: 'opus' | 'PCMU' | 'PCMA' }, score = false): Promise<CallReport> {
    const codecs = options.codec ? [options.codec] : undefined;
    const { call, incoming } = await connectedCall(endpoints.alice, endpoints.bob, {
      to: options.jmi ? 'bob@localhost' : undefined,
      caller: { codecs, jmi: options.jmi, recordPath: join(out, `${name}-alice.wav`) },
      callee: { codecs, recordPath: join(out, `${name}-bob.wav`) },
    });
    const [callerLeg, calleeLeg] = await hangUpAfter(MEDIA_SECONDS * 1000, call, incoming);
    const report = reportBothEnds(callerLeg, calleeLeg);
    return score ? scoreReport(report, [call, incoming], { visqol: false }) : report;
  }

  async function assertCallCarriedMedia(report: CallReport, codec: string): Promise<void> {
    assert.equal(report.codec?.name.toLowerCase(), codec.toLowerCase());
    assert.equal(report.end.condition, 'success');
    assert.ok(report.setupMs !== null && report.setupMs < 3000, `setup took ${report.setupMs} ms`);
    for (const direction of report.directions) {
      const { sent, received, lost } = direction.packets;
      assert.ok(sent !== null && sent >= 90, `${direction.from} sent ${sent} packets in ${MEDIA_SECONDS} s`);
      assert.ok(received !== null && received >= sent - 25, `${direction.to} received ${received} of ${sent}`);
      assert.equal(lost, 0);
      assert.ok(direction.jitterMs !== null && direction.jitterMs < 10, `jitter ${direction.jitterMs} ms on loopback`);
      assert.ok(direction.recording);
      const recording = await readAudio(direction.recording);
      const seconds = recording.samples[0].length / recording.sampleRate;
      assert.ok(seconds > MEDIA_SECONDS - 0.5 && seconds < MEDIA_SECONDS + 0.5, `recorded ${seconds} s`);
    }
  }

  it('rings with JMI, negotiates Opus, and carries speech both ways, scored as clean', async () => {
    const report = await callBob('jmi-opus', { jmi: true }, true);
    for (const direction of report.directions) {
      const quality = direction.quality;
      assert.ok(quality && 'mosLqo' in quality, `not scored: ${JSON.stringify(quality)}`);
      assert.ok(quality.mosLqo > 4.0, `mosLqo ${quality.mosLqo} on a clean Opus call`);
      assert.ok(quality.delayMs > 20 && quality.delayMs < 150, `mouth-to-ear delay ${quality.delayMs} ms on loopback`);
      assert.equal(direction.network?.lost, 0);
      assert.equal(direction.emodel?.band, 'wideband');
      assert.ok((direction.emodel?.mos ?? 0) > 4.0);
      assert.equal(direction.emodel?.delayFrom, 'recording');
    }
    assert.equal(report.signalling, 'jmi');
    const events = report.timeline.map((entry) => entry.event);
    for (const step of ['propose sent', 'ringing', 'proceed received', 'session-initiate sent', 'session-accept received', 'media connected', 'session-terminate sent']) {
      assert.ok(events.includes(step), `timeline lacks "${step}": ${events.join(', ')}`);
    }
    // The callee's device acknowledged the propose with a XEP-0184 receipt before it rang or proceeded.
    const delivered = events.findIndex((event) => /^propose delivered to bob@localhost\/earshot-/.test(event));
    assert.ok(delivered > events.indexOf('propose sent') && delivered < events.indexOf('proceed received'), events.join(', '));
    await assertCallCarriedMedia(report, 'opus');
  });

  it('calls a full JID with a direct session-initiate, PCMU', async () => {
    const report = await callBob('direct-pcmu', { jmi: false, codec: 'PCMU' });
    assert.equal(report.signalling, 'direct');
    assert.ok(!report.timeline.some((entry) => entry.event === 'propose sent'));
    await assertCallCarriedMedia(report, 'PCMU');
    assert.equal(report.codec?.clockRate, 8000);
  });

  it('negotiates PCMA when that is all the caller offers', async () => {
    await assertCallCarriedMedia(await callBob('jmi-pcma', { jmi: true, codec: 'PCMA' }), 'PCMA');
  });

  it('declines callers that are not allowed, by JMI reject and by session-terminate', async () => {
    const { alice, bob } = endpoints;
    const reference = await loadReference();
    bob.autoAnswer({ allow: ['carol@localhost'], media: { play: reference } });
    for (const jmi of [true, false]) {
      const declined = bob.onDeclined.next();
      const call = await alice.call(jmi ? 'bob@localhost' : bob.self, { play: reference, jmi });
      const leg: CallLegResult = await call.ended;
      assert.equal((await declined)[0], alice.self);
      assert.equal(leg.end.condition, 'decline');
      assert.equal(leg.end.by, 'remote');
      assert.equal(leg.setupMs, undefined, 'a declined call never connects');
      assert.equal(leg.sent.packets, 0);
    }
  });

  it('gives up on a peer that acknowledges the session-initiate but never answers, with reason timeout', async () => {
    const lab = await sharedLab();
    const silent = await XmppConnection.connect(labAccountConfig(lab.info, 'dave'), { features: [...CALL_FEATURES] });
    try {
      const received: string[] = [];
      silent.handleIq('set', 'jingle', 'urn:xmpp:jingle:1', (iq) => {
        const jingle = iq.getChild('jingle', 'urn:xmpp:jingle:1');
        received.push(`${jingle?.attrs.action} ${jingle?.getChild('reason')?.getChildElements()[0]?.name ?? ''}`.trim());
        return undefined;
      });
      const started = performance.now();
      const call = await endpoints.alice.call(silent.jid, { play: await loadReference(), jmi: false, ringTimeoutMs: 1000 });
      const leg = await call.ended;
      assert.equal(leg.end.condition, 'timeout');
      assert.ok(performance.now() - started < 2500);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(received[0], 'session-initiate');
      assert.equal(received.at(-1), 'session-terminate timeout');
    } finally {
      await silent.close();
    }
  });

  it('ends a call to a resource that does not exist at once, with the server\'s refusal as the reason', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const call = await endpoints.alice.call('bob@localhost/nowhere', { play: await loadReference(), jmi: false });
      const leg = await call.ended;
      assert.equal(leg.end.condition, 'failed-application');
      assert.match(leg.end.text ?? '', /service-unavailable/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(unhandled, [], 'an iq error must never become an unhandled rejection (the CLI would crash)');
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it('answers a Jingle request for no known session with item-not-found and unknown-session', async () => {
    const iq = el('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'transport-info', sid: 'no-such-session' }, el('content', { creator: 'initiator', name: '0' }));
    const { alice, bob } = endpoints;
    const error = await alice.connection.iq('set', bob.self, iq).then(
      () => assert.fail('an unknown session was acknowledged'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StanzaError);
    assert.equal(error.condition, 'item-not-found');
    assert.equal(error.application?.name, 'unknown-session');
  });

  it('answers a request that is not valid Jingle with bad-request and keeps a running call going', async () => {
    const { alice, bob } = endpoints;
    const { call, incoming } = await connectedCall(alice, bob, { to: 'bob@localhost' });

    const garbage = parseXml(`<jingle xmlns="urn:xmpp:jingle:1" action="session-info"/>`); // no sid
    const error = await alice.connection.iq('set', bob.self, garbage).then(
      () => assert.fail('a Jingle request without sid was acknowledged'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StanzaError);
    assert.equal(error.condition, 'bad-request');

    const outOfOrder = el('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'session-accept', sid: call.id }, el('content', { creator: 'initiator', name: '0' }));
    const refusal = await alice.connection.iq('set', bob.self, outOfOrder).then(
      () => assert.fail('a session-accept to the responder was acknowledged'),
      (e: unknown) => e,
    );
    assert.ok(refusal instanceof StanzaError);
    assert.equal(refusal.application?.name, 'out-of-order');

    const [callerLeg, calleeLeg] = await hangUpAfter(1000, call, incoming);
    assert.equal(callerLeg.end.condition, 'success');
    assert.equal(calleeLeg.end.by, 'remote');
    assert.ok((calleeLeg.received?.packets ?? 0) > 30, 'media went on after the bad requests');
  });
});
