// earshot calls Gajim 1.7.3 (Debian gajim, Jingle audio through Farstream), run headless as an auto-answering
// peer (src/interop/gajim-peer.ts with earshot's plugin, src/interop/gajim-plugin/), through a lab Prosody of
// its own, with a direct session-initiate to Gajim's full JID (Gajim has no JMI). Gajim has no DTLS-SRTP: a
// DTLS offer is the first case, and what Gajim answers to it is asserted; then a full call with speech both ways
// over earshot's plain-RTP option (`insecureRtp`).
// Needs root (Gajim runs in its own network and mount namespaces, as an unprivileged user) and gajim,
// gir1.2-farstream-0.2, gstreamer1.0-gl, xvfb, pulseaudio, pulseaudio-utils, sqlite3.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Endpoint, loadReference, type Call, type ReferenceAudio } from '../../src/call/index.js';
import { Lab, labAccountConfig } from '../../src/lab/index.js';
import { parseXml, type Element } from '../../src/util/index.js';
import { GajimPeer, type GajimAnsweredCall } from '../../src/interop/gajim-peer.js';
import { mb, skipUnlessDesktopClientCanRun, timeline } from '../helpers/desktop-client.js';
import { readWav, scoreHeard, summary } from '../helpers/heard-speech.js';

const CALL_MS = 8000;
const REQUIRED = ['gajim', 'setpriv', 'Xvfb', 'pulseaudio', 'pacat', 'parec', 'pactl', 'sqlite3', 'unshare', 'nsenter', 'ip'];
const NS_JINGLE = 'urn:xmpp:jingle:1';
const NS_DTLS = 'urn:xmpp:jingle:apps:dtls:0';

interface JingleLogEntry {
  direction: 'in' | 'out';
  text: string;
  at: number;
}

describe('interop: earshot calls Gajim 1.7.3 (headless, answering by itself)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'earshot-interop-gajim-'));
  let lab: Lab | undefined;
  let gajim: GajimPeer | undefined;
  let earshot: Endpoint | undefined;
  let reference: ReferenceAudio;
  const gajimRecording = join(dir, 'gajim-heard.wav');
  /** Every Jingle iq earshot sent or received, as text. */
  const jingleLog: JingleLogEntry[] = [];

  before(async function () {
    skipUnlessDesktopClientCanRun(this, {
      client: 'Gajim',
      tools: REQUIRED,
      rootBecause: 'Gajim runs in its own network namespace, as another user',
      packages: ['gajim', 'gir1.2-farstream-0.2', 'gstreamer1.0-gl', 'xvfb', 'pulseaudio', 'pulseaudio-utils', 'sqlite3'],
    });
    chmodSync(dir, 0o711); // Gajim runs as an unprivileged user and must reach its folders inside
    reference = await loadReference();
    lab = await Lab.start({ dir: join(dir, 'lab'), turn: false });
    gajim = await startGajim();
    earshot = await Endpoint.login(labAccountConfig(lab.info, 'alice'), {
      stanzaLog: (direction, text) => {
        if (text.includes(NS_JINGLE)) jingleLog.push({ direction, text, at: Date.now() });
      },
    });
    console.log(`      Gajim up and logged in ${gajim.startupMs} ms after start, at ${gajim.address}, ${mb(gajim.usage().rssBytes)} MB RSS`);
  });

  function startGajim(): Promise<GajimPeer> {
    const bob = labAccountConfig(lab!.info, 'bob');
    return GajimPeer.start({
      account: { jid: bob.jid, password: bob.password },
      workDir: join(dir, 'gajim'),
      play: reference.path,
      recordPath: gajimRecording,
      server: { host: lab!.info.host, port: lab!.info.ports.c2s },
      trustedCaPem: lab!.info.caPem,
    });
  }

  after(async () => {
    try {
      await earshot?.close();
    } finally {
      await gajim?.stop();
      await lab?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs in with its audio/video check passed and advertises Jingle RTP audio over ICE-UDP, without DTLS', async () => {
    assert.ok(gajim!.audioVideoAvailable, `Gajim's audio/video check failed (gir1.2-farstream-0.2, gstreamer1.0-gl): see ${gajim!.logFile}`);
    const { features } = await earshot!.connection.discoInfo(gajim!.jid);
    for (const feature of [NS_JINGLE, 'urn:xmpp:jingle:apps:rtp:1', 'urn:xmpp:jingle:apps:rtp:audio', 'urn:xmpp:jingle:transports:ice-udp:1']) {
      assert.ok(features.includes(feature), `Gajim does not advertise ${feature}: ${features.join(' ')}`);
    }
    assert.ok(!features.includes(NS_DTLS), 'Gajim 1.7.3 advertises DTLS-SRTP');
  });

  it('answers a DTLS-SRTP offer by itself, with an answer that carries no fingerprint', async () => {
    const peer = gajim!;
    const sid = `gajim-dtls-${Date.now()}`;
    const answered = peer.onCallAnswered.next();
    const call = await earshot!.call(peer.jid, { play: reference, loop: true, jmi: false, loopbackOnly: false, sid, connectTimeoutMs: 5000 });
    const [gajimCall] = await Promise.race([answered, delay(10_000, [undefined])]);
    const reply = await waitForJingle(jingleLog, 'in', sid, ['session-accept', 'session-terminate', 'content-remove'], 10_000);
    call.hangUp();
    const leg = await call.ended;
    const ended = await eventually(() => peer.events.find((event) => event.sid === sid && (event.kind === 'ended' || event.kind === 'error')), 5000);
    const initiate = jingleLog.find((entry) => entry.direction === 'out' && jingleOf(entry.text)?.attrs.action === 'session-initiate' && jingleOf(entry.text)?.attrs.sid === sid);
    console.log(`      earshot -> Gajim session-initiate (DTLS):\n${indent(initiate?.text)}\n      Gajim -> earshot:\n${indent(reply?.text)}`);
    console.log(`      earshot's leg: ${timeline(leg)}`);
    console.log(`      Gajim: answered ${gajimCall && initiate ? gajimCall.answeredAt - initiate.at : '?'} ms after the offer, session-accept ${reply && initiate ? reply.at - initiate.at : '?'} ms after it; then ${JSON.stringify(peer.events.filter((event) => event.sid === sid))}`);

    assert.ok(gajimCall, `the plugin did not accept the call: ${JSON.stringify(peer.events)}`);
    assert.equal(gajimCall.sid, sid);
    assert.ok(reply, 'Gajim sent no session-accept, session-terminate or content-remove');
    const jingle = jingleOf(reply.text)!;
    assert.equal(jingle.attrs.action, 'session-accept', `Gajim refused: ${reply.text}`);
    const description = jingle.getChild('content')?.getChild('description', 'urn:xmpp:jingle:apps:rtp:1');
    assert.equal(description?.attrs.media, 'audio');
    const transport = jingle.getChild('content')?.getChild('transport', 'urn:xmpp:jingle:transports:ice-udp:1');
    assert.ok(transport, `no ICE-UDP transport in Gajim's answer: ${reply.text}`);
    assert.equal(transport.getChild('fingerprint', NS_DTLS), undefined, 'Gajim answered with a DTLS fingerprint');
    // earshot offered DTLS-SRTP only and takes no answer without a fingerprint; Gajim hears the call end.
    assert.deepEqual({ condition: leg.end.condition, by: leg.end.by }, { condition: 'security-error', by: 'local' }, timeline(leg));
    // Gajim reports a session-terminate with any reason but success as an error, with the reason's text.
    assert.ok(ended, `Gajim did not report the call ended: ${JSON.stringify(peer.events)}`);
    assert.match(ended.detail, /^security-error \(DTLS-SRTP is required/);
  });

  it('talks plain RTP with earshot when asked explicitly (insecureRtp); speech crosses both ways', async () => {
    // Gajim 1.7.3 takes one call per start: once a call has ended, its CallManager still holds it, and Gajim
    // answers the next incoming call with content-remove and session-terminate (cancel) at once.
    await gajim!.stop();
    gajim = await startGajim();
    const peer = gajim;
    const sid = `gajim-rtp-${Date.now()}`;
    const answered = peer.onCallAnswered.next();
    const recordPath = join(dir, 'earshot-heard.wav');
    const placedAt = Date.now();
    const call = await earshot!.call(peer.jid, { play: reference, loop: true, jmi: false, loopbackOnly: false, sid, recordPath, insecureRtp: true });
    await fullCall(call, answered, placedAt);
  });

  async function fullCall(call: Call, answered: Promise<[GajimAnsweredCall]>, placedAt: number): Promise<void> {
    const peer = gajim!;
    const connected = await Promise.race([call.onConnected.next().then(() => true), call.ended.then(() => false)]);
    const [gajimCall] = await Promise.race([answered, delay(1000, [undefined])]);
    if (!connected) assert.fail(`the call did not connect: ${timeline(await call.ended)}`);
    assert.ok(gajimCall, 'Gajim never answered');
    const before = { usage: peer.usage(), at: performance.now() };
    await delay(CALL_MS);
    const hungUpAt = Date.now();
    call.hangUp();
    const leg = await call.ended;
    const usage = peer.usage();
    const cpuPercent = (100 * (usage.cpuSeconds - before.usage.cpuSeconds)) / ((performance.now() - before.at) / 1000);

    assert.deepEqual({ condition: leg.end.condition, by: leg.end.by }, { condition: 'success', by: 'local' }, timeline(leg));
    assert.ok(leg.received && leg.received.packets > (CALL_MS / 20) * 0.9, `earshot received ${leg.received?.packets} packets`);
    await delay(200); // Gajim's speaker monitor reaches the WAV in 40 ms blocks
    const gajimToEarshot = await scoreHeard(reference, gajimCall.playStartedAt, readWav(leg.recording!), leg.recordingStartedAt!);
    const earshotToGajim = await scoreHeard(reference, leg.sendingStartedAt!, readWav(gajimRecording), peer.recordingStartedAt!, hungUpAt);
    const figures = JSON.stringify({
      codec: leg.codec?.name,
      setupMs: leg.setupMs,
      answeredAfterMs: gajimCall.answeredAt - placedAt,
      gajimToEarshot: summary(gajimToEarshot),
      earshotToGajim: summary(earshotToGajim),
      gajim: { rssMb: mb(usage.rssBytes), cpuPercent: Math.round(cpuPercent) },
    });
    console.log(`      plain RTP: ${figures}`);
    assert.ok(leg.setupMs !== undefined && leg.setupMs < 5000, `setup took ${leg.setupMs} ms: ${timeline(leg)}`);
    assert.ok(gajimToEarshot.speechSeconds > 3 && gajimToEarshot.stoi > 0.5, `earshot did not hear Gajim's speech: ${figures}`);
    assert.ok(earshotToGajim.speechSeconds > 3 && earshotToGajim.stoi > 0.5, `Gajim did not hear earshot's speech: ${figures}`);
  }
});

function jingleOf(text: string): Element | undefined {
  return parseXml(text).getChild('jingle', NS_JINGLE);
}

function waitForJingle(log: JingleLogEntry[], direction: 'in' | 'out', sid: string, actions: string[], timeoutMs: number): Promise<JingleLogEntry | undefined> {
  return eventually(() => {
    return log.find((entry) => {
      const jingle = entry.direction === direction ? jingleOf(entry.text) : undefined;
      return jingle?.attrs.sid === sid && actions.includes(jingle.attrs.action);
    });
  }, timeoutMs);
}

/** The first value `find` gives within `timeoutMs`, checked every 50 ms; undefined if none. */
async function eventually<T>(find: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined || Date.now() > deadline) return found;
    await delay(50);
  }
}

function indent(text: string | undefined): string {
  return (text ?? '(none)').replace(/^/gm, '        ');
}
