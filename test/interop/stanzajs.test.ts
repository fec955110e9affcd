// earshot against an implementation nobody on earshot wrote: StanzaJS 12 (Jingle <-> SDP) driving libwebrtc
// (@roamhq/wrtc), through the lab's Prosody, in both call directions. StanzaJS has no JMI, so every call is a
// direct session-initiate to a full JID. Each side plays different speech, and each recording must match what
// the other side played (and not what the recording side played itself).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Endpoint, type Call, type CallLegResult, type ReferenceAudio } from '../../src/call/index.js';
import { loadReference } from '../../src/cli/media-options.js';
import { labAccountConfig, type Lab } from '../../src/lab/index.js';
import { readAudio, resample } from '../../src/media/index.js';
import { estimateDelay } from '../../src/metrics/index.js';
import { sharedLab } from '../helpers/lab.js';
import { StanzaJsPeer } from '../../src/interop/stanzajs-peer.js';

/** Long enough for > 150 packets of 20 ms each way, short enough to keep the file quick. */
const MEDIA_MS = 4000;
const ANALYSIS_RATE = 16_000;
/**
 * Each side starts playing and recording at its own moment (StanzaJS at ICE connected, earshot at DTLS
 * connected and first packet): measured delays were -330..+225 ms.
 */
const MAX_DELAY_MS = 2000;
/** Recordings are compared in windows of this many samples, each searched this far around the overall delay. */
const WINDOW = ANALYSIS_RATE / 2;
const SLACK = 0.2 * ANALYSIS_RATE;

describe('interop: earshot <-> StanzaJS + libwebrtc (lab Prosody)', function () {
  this.timeout(20_000);
  const out = mkdtempSync(join(tmpdir(), 'earshot-interop-stanzajs-'));
  const peers: StanzaJsPeer[] = [];
  let lab: Lab;
  let reference: ReferenceAudio;
  /** What StanzaJS plays: the reference speech backwards, speech-like yet unrelated to it. */
  let reversed: Float32Array;
  let earshot: Endpoint;

  async function stanzaPeer(username: string, resource: string): Promise<StanzaJsPeer> {
    const account = lab.info.accounts.find((candidate) => candidate.username === username);
    assert.ok(account, `the lab has no account ${username}`);
    const peer = await StanzaJsPeer.start({
      jid: `${account.jid}/${resource}`,
      password: account.password,
      websocketUrl: lab.info.websocketUrl,
      play: { samples: reversed, sampleRate: reference.sampleRate },
    });
    peers.push(peer);
    return peer;
  }

  before(async () => {
    lab = await sharedLab();
    reference = await loadReference();
    reversed = reference.samples.slice().reverse();
    earshot = await Endpoint.login(labAccountConfig(lab.info, 'carol'));
  });

  after(async () => {
    await Promise.all([earshot?.close(), ...peers.splice(0).map((peer) => peer.stop())]);
    rmSync(out, { recursive: true, force: true });
  });

  it('earshot calls StanzaJS: Opus both ways, each side hears the other', async () => {
    const callee = await stanzaPeer('dave', 'callee');
    callee.autoAnswer([bareJid(earshot.self)]);
    const recordPath = join(out, 'earshot-called-stanzajs.wav');
    const call = await earshot.call(callee.jid, { play: reference, jmi: false, recordPath });
    await Promise.race([call.onConnected.next(), call.ended]);
    await delay(MEDIA_MS);
    call.hangUp();
    const leg = await call.ended;
    await waitFor(() => callee.sessionEvents.some((event) => event.startsWith('terminated')), 3000);

    assertConnectedWithOpus(leg, 'local');
    assert.ok(callee.sessionEvents.includes('terminated: success'), callee.sessionEvents.join(', '));
    await assertEachHearsTheOther(leg, callee, 'earshot -> StanzaJS');
  });

  it('StanzaJS calls earshot: earshot answers an allowed caller, Opus both ways, each side hears the other', async () => {
    const caller = await stanzaPeer('dave', 'caller');
    const recordPath = join(out, 'stanzajs-called-earshot.wav');
    earshot.autoAnswer({ allow: [bareJid(caller.jid)], media: { play: reference, recordPath } });
    const incoming = nextIncomingCall(earshot);
    await caller.call(earshot.self);
    const { call, connected } = await incoming;
    await connected;
    await delay(MEDIA_MS);
    await caller.hangUp();
    const leg = await call.ended;

    assertConnectedWithOpus(leg, 'remote');
    assert.equal(leg.signalling, 'direct');
    assert.ok(caller.sessionEvents.includes('terminated: success'), caller.sessionEvents.join(', '));
    await assertEachHearsTheOther(leg, caller, 'StanzaJS -> earshot');
  });

  it('declines a StanzaJS caller that is not on the allow list, and no media flows', async () => {
    const stranger = await stanzaPeer('alice', 'stranger');
    earshot.autoAnswer({ allow: [`dave@${lab.info.domain}`], media: { play: reference } });
    const declined = earshot.onDeclined.next();
    const answered = nextIncomingCall(earshot);
    await assert.rejects(stranger.call(earshot.self), /ended before it was accepted: decline/);
    assert.deepEqual(await declined, [stranger.jid]);
    const answeredAnyway = await Promise.race([answered.then(() => true), delay(300, false)]);
    assert.equal(answeredAnyway, false, 'earshot answered a caller it should have declined');
    const connectedEvents = new Set(['session-accept received', 'ice connected', 'ice completed']);
    assert.ok(!stranger.sessionEvents.some((event) => connectedEvents.has(event)), stranger.sessionEvents.join(', '));
    assert.equal(stranger.heard().samples.length, 0, 'the declined caller received audio');
  });

  function assertConnectedWithOpus(leg: CallLegResult, hungUpBy: 'local' | 'remote'): void {
    const timeline = leg.timeline.map((entry) => `${entry.atMs} ${entry.event}`).join(', ');
    assert.equal(leg.codec?.name.toLowerCase(), 'opus', timeline);
    assert.equal(leg.codec?.clockRate, 48_000);
    assert.deepEqual({ condition: leg.end.condition, by: leg.end.by }, { condition: 'success', by: hungUpBy }, timeline);
    assert.ok(leg.setupMs !== undefined && leg.setupMs < 3000, `setup took ${leg.setupMs} ms: ${timeline}`);
    assert.ok(leg.received && leg.received.packets > 150, `earshot received ${leg.received?.packets} packets`);
    assert.ok(leg.sent.packets > 150, `earshot sent ${leg.sent.packets} packets`);
  }

  async function assertEachHearsTheOther(leg: CallLegResult, peer: StanzaJsPeer, label: string): Promise<void> {
    assert.ok(leg.recording, 'earshot recorded nothing');
    const earshotHeard = await readMono(leg.recording);
    const heard = peer.heard();
    const stanzaHeard = resample(heard.samples, heard.sampleRate, ANALYSIS_RATE);
    const heardOther = { earshot: match(reversed, earshotHeard), stanzaJS: match(reference.samples, stanzaHeard) };
    const heardItself = { earshot: match(reference.samples, earshotHeard), stanzaJS: match(reversed, stanzaHeard) };
    const figures = `${label}: ${JSON.stringify({ heardOther, heardItself })}`;
    // Measured on loopback: the speech the other side played gives window medians of 0.89-0.95, the recording
    // side's own speech 0.17-0.28 (what unrelated speech scores at its best lag). 0.6 and 0.45 leave a margin
    // both ways; a one-way failure (silence, noise, or a side hearing itself) lands far below 0.6.
    for (const side of ['earshot', 'stanzaJS'] as const) {
      assert.ok(heardOther[side].median > 0.6, `${side} did not hear the other side's speech: ${figures}`);
      assert.ok(heardItself[side].median < 0.45, `${side} heard its own speech: ${figures}`);
    }
  }

  /**
   * How well `heard` holds `played` (at the reference's rate): one delay for the whole recording, then the
   * correlation in 0.5 s windows, each aligned again near that delay. A jitter buffer that drops or
   * inserts a frame (earshot's does, 1-3 times in these 4 s) or stretches time (libwebrtc's NetEq) moves
   * the delay from that point on: that ruins one global correlation (measured 0.29-0.76) but not the
   * windows, and the median window says whether the speech arrived.
   */
  function match(played: Float32Array, heard: Float32Array): { delayMs: number; correlation: number; windows: number[]; median: number } {
    const source = resample(played, reference.sampleRate, ANALYSIS_RATE);
    const overall = estimateDelay(source, heard, ANALYSIS_RATE, { maxDelayMs: MAX_DELAY_MS });
    const lag = Math.round((overall.delayMs * ANALYSIS_RATE) / 1000);
    const windows: number[] = [];
    for (let start = 0; start + WINDOW <= heard.length; start += WINDOW) {
      const from = Math.max(0, start - lag - SLACK);
      const to = Math.min(source.length, start - lag + WINDOW + SLACK);
      if (to - from < WINDOW / 2) continue;
      const local = estimateDelay(source.subarray(from, to), heard.subarray(start, start + WINDOW), ANALYSIS_RATE, {
        maxDelayMs: ((WINDOW + 2 * SLACK) * 1000) / ANALYSIS_RATE,
      });
      windows.push(round(local.correlation));
    }
    const sorted = [...windows].sort((a, b) => a - b);
    const median = sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
    return { delayMs: round(overall.delayMs), correlation: round(overall.correlation), windows, median };
  }
});

/** Resolves with the next call the endpoint answers, watching for its connection from the moment it exists. */
function nextIncomingCall(endpoint: Endpoint): Promise<{ call: Call; connected: Promise<unknown> }> {
  return new Promise((resolve) => {
    const unsubscribe = endpoint.onIncomingCall.subscribe((call) => {
      unsubscribe();
      resolve({ call, connected: Promise.race([call.onConnected.next(), call.ended]) });
    });
  });
}

async function readMono(path: string): Promise<Float32Array> {
  const audio = await readAudio(path);
  return resample(audio.samples[0], audio.sampleRate, ANALYSIS_RATE);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function bareJid(jid: string): string {
  return jid.split('/')[0];
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await delay(20);
  }
}
