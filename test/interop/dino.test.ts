// earshot calls Dino 0.4.2 (Debian dino-im), run headless as an auto-answering peer (src/interop/dino-peer.ts),
// through a lab Prosody of its own: a direct session-initiate to Dino's full JID, then a JMI call to its bare
// JID. Each recording is scored (mosLqo) against what the other side played. Dino runs its microphone through
// WebRTC voice processing (echo canceller, noise suppressor, gain control): while earshot talks too, it
// suppresses much of Dino's own speech (measured mosLqo 1.2-1.4 against 3.3 with earshot silent). So the
// direct call is double talk, scored both ways, and in the JMI call earshot only listens.
// Needs root (Dino runs in its own network and mount namespaces) and dino-im, xvfb, dbus-x11, pulseaudio,
// pulseaudio-utils, sqlite3, gstreamer1.0-{plugins-good,plugins-bad,nice,pulseaudio}.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Endpoint, loadReference, type ReferenceAudio } from '../../src/call/index.js';
import { Lab, labAccountConfig } from '../../src/lab/index.js';
import { DinoPeer } from '../../src/interop/dino-peer.js';
import { mb, skipUnlessDesktopClientCanRun, timeline } from '../helpers/desktop-client.js';
import { readWav, scoreHeard, summary } from '../helpers/heard-speech.js';

const CALL_MS = 8000;
const REQUIRED = ['dino-im', 'Xvfb', 'dbus-daemon', 'gdbus', 'pulseaudio', 'pacat', 'parec', 'pactl', 'sqlite3', 'unshare', 'nsenter', 'ip'];

describe('interop: earshot calls Dino 0.4.2 (headless, answering by itself)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'earshot-interop-dino-'));
  let lab: Lab | undefined;
  let dino: DinoPeer | undefined;
  let earshot: Endpoint | undefined;
  let reference: ReferenceAudio;
  const dinoRecording = join(dir, 'dino-heard.wav');

  before(async function () {
    skipUnlessDesktopClientCanRun(this, {
      client: 'Dino',
      tools: REQUIRED,
      rootBecause: 'Dino runs in its own network namespace',
      packages: ['dino-im', 'xvfb', 'dbus-x11', 'pulseaudio', 'pulseaudio-utils', 'sqlite3', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-bad', 'gstreamer1.0-nice', 'gstreamer1.0-pulseaudio'],
    });
    reference = await loadReference();
    lab = await Lab.start({ dir: join(dir, 'lab') });
    const bob = labAccountConfig(lab.info, 'bob');
    dino = await DinoPeer.start({
      account: { jid: bob.jid, password: bob.password },
      workDir: join(dir, 'dino'),
      play: reference.path,
      recordPath: dinoRecording,
      server: { host: lab.info.host, port: lab.info.ports.c2s },
      trustedCaPem: lab.info.caPem,
    });
    earshot = await Endpoint.login(labAccountConfig(lab.info, 'alice'));
    console.log(`      Dino up and logged in ${dino.startupMs} ms after start, at ${dino.address}, ${mb(dino.usage().rssBytes)} MB RSS`);
  });

  after(async () => {
    try {
      await earshot?.close();
    } finally {
      await dino?.stop();
      await lab?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const signalling of ['direct', 'jmi'] as const) {
    const title =
      signalling === 'direct'
        ? 'answers a direct session-initiate to its full JID; both talk, speech crosses both ways'
        : 'answers a JMI propose to its bare JID; earshot listens and hears Dino clearly';
    it(title, async () => {
      const earshotTalks = signalling === 'direct';
      const play = earshotTalks ? reference : { ...reference, samples: new Float32Array(reference.samples.length) };
      const peer = dino!;
      const target = signalling === 'direct' ? peer.jid : peer.jid.split('/')[0];
      const answered = peer.onCallAnswered.next();
      const before = { usage: peer.usage(), at: performance.now() };
      const recordPath = join(dir, `earshot-heard-${signalling}.wav`);
      const placedAt = Date.now();
      // Dino's only address is its veth's, not loopback: earshot must offer and accept non-loopback candidates.
      const call = await earshot!.call(target, { play, loop: true, jmi: signalling === 'jmi', recordPath, loopbackOnly: false });
      const connected = await Promise.race([call.onConnected.next().then(() => true), call.ended.then(() => false)]);
      const [dinoCall] = await Promise.race([answered, delay(1000, [undefined])]);
      if (!connected) assert.fail(`the call did not connect: ${timeline(await call.ended)}`);
      assert.ok(dinoCall, 'Dino never answered');
      await delay(CALL_MS);
      const hungUpAt = Date.now();
      call.hangUp();
      const leg = await call.ended;
      const usage = peer.usage();
      const cpuPercent = (100 * (usage.cpuSeconds - before.usage.cpuSeconds)) / ((performance.now() - before.at) / 1000);

      assert.equal(leg.signalling, signalling);
      assert.equal(leg.codec?.name, 'opus', timeline(leg));
      assert.deepEqual({ condition: leg.end.condition, by: leg.end.by }, { condition: 'success', by: 'local' }, timeline(leg));
      assert.ok(leg.received && leg.received.packets > (CALL_MS / 20) * 0.9, `earshot received ${leg.received?.packets} packets`);

      await delay(200); // Dino's speaker monitor reaches the WAV in 40 ms blocks
      const dinoToEarshot = await scoreHeard(reference, dinoCall.playStartedAt, readWav(leg.recording!), leg.recordingStartedAt!);
      const earshotToDino = earshotTalks ? await scoreHeard(reference, leg.sendingStartedAt!, readWav(dinoRecording), peer.recordingStartedAt!, hungUpAt) : undefined;
      const figures = JSON.stringify({
        setupMs: leg.setupMs,
        answeredAfterMs: dinoCall.answeredAt - placedAt,
        dinoToEarshot: summary(dinoToEarshot),
        earshotToDino: earshotToDino && summary(earshotToDino),
        dino: { rssMb: mb(usage.rssBytes), cpuPercent: Math.round(cpuPercent) },
      });
      console.log(`      ${signalling}: ${figures}`);
      assert.ok(leg.setupMs !== undefined && leg.setupMs < 5000, `setup took ${leg.setupMs} ms: ${timeline(leg)}`);
      // Measured: Dino -> earshot 1.2-1.4 in double talk (STOI 0.70-0.85), 3.3 with earshot silent; earshot -> Dino 4.38.
      assert.ok(dinoToEarshot.speechSeconds > 3 && dinoToEarshot.stoi > 0.5, `earshot did not hear Dino's speech: ${figures}`);
      if (earshotToDino) {
        assert.ok(earshotToDino.speechSeconds > 3 && earshotToDino.mosLqo > 3.5, `Dino did not hear earshot clearly: ${figures}`);
      } else {
        assert.ok(dinoToEarshot.mosLqo > 2.5, `earshot, silent, did not hear Dino clearly: ${figures}`);
      }
    });
  }
});
