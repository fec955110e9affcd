import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parseXml, type Element } from '../../src/util/index.js';
import { sharedLab } from '../helpers/lab.js';
import { sine } from '../helpers/signal.js';
import { StanzaJsPeer, type StanzaJsPeerOptions } from '../../src/interop/stanzajs-peer.js';

const NS_JINGLE = 'urn:xmpp:jingle:1';
const NS_RTP = 'urn:xmpp:jingle:apps:rtp:1';
const NS_ICE_UDP = 'urn:xmpp:jingle:transports:ice-udp:1';
const NS_DTLS = 'urn:xmpp:jingle:apps:dtls:0';

// Tests run from dist/test/interop/; the fixtures stay in the source tree.
const fixtures = new URL('../../../test/fixtures/stanzajs/', import.meta.url);
/** Set to rewrite the fixtures from this run instead of comparing against them. */
const updateFixtures = process.env.UPDATE_STANZAJS_FIXTURES === '1';
/** Values that differ between runs or machines: stanza and session ids, JIDs, ICE credentials, SSRCs, ports, candidate priorities. */
const RUN_SPECIFIC_ATTRIBUTES = new Set(['to', 'from', 'sid', 'ufrag', 'pwd', 'ssrc', 'port', 'track', 'foundation', 'priority']);
/** Elements whose `id` is run-specific (a payload type's or header extension's id is not). */
const RUN_SPECIFIC_IDS = new Set(['iq', 'stream']);
const RUN_SPECIFIC_PARAMETERS = new Set(['cname', 'msid']);

describe('StanzaJsPeer: StanzaJS + libwebrtc through the lab Prosody', function () {
  this.timeout(30_000);
  const peers: StanzaJsPeer[] = [];

  async function connect(username: string, extra: Partial<StanzaJsPeerOptions> = {}): Promise<StanzaJsPeer> {
    const lab = await sharedLab();
    const account = lab.info.accounts.find((candidate) => candidate.username === username);
    assert.ok(account, `the lab has no account ${username}`);
    const peer = await StanzaJsPeer.start({ jid: account.jid, password: account.password, websocketUrl: lab.info.websocketUrl, ...extra });
    peers.push(peer);
    return peer;
  }

  const closeAll = () => Promise.all(peers.splice(0).map((peer) => peer.stop()));

  describe('a call with a different tone each way', () => {
    const callerHz = 440;
    const calleeHz = 1000;
    let caller: StanzaJsPeer;
    let callee: StanzaJsPeer;
    let setupMs: number;

    before(async () => {
      caller = await connect('alice', { play: { samples: sine(callerHz, 48_000, 48_000, 0.25), sampleRate: 48_000 } });
      // 16 kHz input also exercises the resampling to libwebrtc's 48 kHz.
      callee = await connect('bob', { play: { samples: sine(calleeHz, 16_000, 16_000, 0.25), sampleRate: 16_000 } });
      callee.autoAnswer([caller.jid.split('/')[0]]);
      const startedAt = performance.now();
      await caller.call(callee.jid);
      await Promise.all([caller.waitForMedia(5_000), callee.waitForMedia(5_000)]);
      setupMs = performance.now() - startedAt;
      await delay(3_000);
      const calleeEnded = waitFor(() => callee.sessionEvents.some((event) => event.startsWith('terminated')), 3_000);
      await caller.hangUp();
      await calleeEnded;
    });

    after(closeAll);

    it('sets up within two seconds, from session-initiate to audio both ways', () => {
      assert.ok(setupMs < 2_000, `setup took ${setupMs.toFixed(0)} ms`);
    });

    it('each side records the tone the other side played, and not its own', () => {
      for (const [peer, heard, own] of [
        [caller, calleeHz, callerHz],
        [callee, callerHz, calleeHz],
      ] as const) {
        const { samples, sampleRate } = peer.heard();
        const seconds = samples.length / sampleRate;
        assert.ok(seconds > 2.5 && seconds < 4, `${peer.jid} recorded ${seconds.toFixed(2)} s`);
        // Skip the first 200 ms: jitter buffer start-up.
        const steady = samples.subarray(Math.round(0.2 * sampleRate));
        const heardShare = toneShare(steady, heard, sampleRate);
        const ownShare = toneShare(steady, own, sampleRate);
        assert.ok(heardShare > 0.5, `${peer.jid}: ${heard} Hz carries ${heardShare.toFixed(3)} of the energy`);
        assert.ok(ownShare < 0.05, `${peer.jid}: its own ${own} Hz carries ${ownShare.toFixed(3)} of the energy`);
      }
    });

    it("keeps each recording in real time from its first sample: the other side's tone begins on it a mouth-to-ear delay after it was played", () => {
      // The interop matrix scores a StanzaJS recording on the sender's time line through these two instants.
      // Measured 23-31 ms here: one 20 ms Opus frame, and NetEq starts playing with an almost empty buffer.
      for (const [peer, other] of [
        [caller, callee],
        [callee, caller],
      ] as const) {
        const { samples, sampleRate } = peer.heard();
        const onsetS = toneOnset(samples, sampleRate) / sampleRate;
        const delayMs = peer.recordingStartedAt! + onsetS * 1000 - other.speechStartedAt!;
        assert.ok(delayMs > 0 && delayMs < 250, `${peer.jid} heard the tone ${delayMs.toFixed(0)} ms after ${other.jid} played it`);
      }
    });

    it('logs the session in order, with one session-terminate', () => {
      assertInOrder(caller.sessionEvents, ['session-initiate sent', 'session-accept received', 'session-terminate sent', 'terminated: success']);
      assertInOrder(callee.sessionEvents, ['session-initiate received', 'session-accept sent', 'session-terminate received', 'terminated: success']);
      assert.ok(caller.sessionEvents.some((event) => event === 'ice connected' || event === 'ice completed'), caller.sessionEvents.join(', '));
      assert.equal(caller.sessionEvents.filter((event) => event === 'session-terminate sent').length, 1);
      assert.equal(callee.sessionEvents.filter((event) => event === 'session-terminate sent').length, 0);
    });

    it("offers what earshot relies on: ice-udp, DTLS actpass, Opus/48000/2, rtcp-mux, no candidates in the offer", () => {
      const initiate = jingleSent(caller, 'session-initiate')[0];
      const content = initiate.getChild('content');
      assert.equal(content?.attrs.creator, 'initiator');
      const description = content?.getChild('description', NS_RTP);
      assert.equal(description?.attrs.media, 'audio');
      assert.ok(description?.getChild('rtcp-mux'));
      const opus = description?.getChildren('payload-type').find((payload) => payload.attrs.name === 'opus');
      assert.deepEqual({ clockrate: opus?.attrs.clockrate, channels: opus?.attrs.channels }, { clockrate: '48000', channels: '2' });
      const transport = content?.getChild('transport', NS_ICE_UDP);
      assert.ok(transport?.attrs.ufrag && transport.attrs.pwd, 'ufrag and pwd in the offer');
      assert.equal(transport?.getChildren('candidate').length, 0);
      assert.equal(transport?.getChild('fingerprint', NS_DTLS)?.attrs.setup, 'actpass');
      assert.equal(initiate.getChild('group')?.attrs.semantics, 'BUNDLE');
    });

    it('still sends what test/fixtures/stanzajs holds, up to ids, keys and ports', () => {
      const fresh: Record<string, Element> = {
        'session-initiate.xml': jingleSent(caller, 'session-initiate')[0],
        'session-accept.xml': jingleSent(callee, 'session-accept')[0],
        'transport-info-candidate.xml': jingleSent(caller, 'transport-info').find((jingle) => jingle.toString().includes('ip="127.0.0.1"'))!,
        'transport-info-gathering-complete.xml': jingleSent(callee, 'transport-info').find((jingle) => jingle.toString().includes('gathering-complete'))!,
        'session-terminate.xml': jingleSent(caller, 'session-terminate')[0],
      };
      for (const [name, jingle] of Object.entries(fresh)) {
        assert.ok(jingle, `this run produced no ${name}`);
        const iq = jingle.parent as Element;
        if (updateFixtures) writeFileSync(new URL(name, fixtures), `${iq.toString()}\n`);
        const golden = parseXml(readFileSync(new URL(name, fixtures), 'utf8'));
        assert.equal(shape(iq), shape(golden), `${name} changed: refresh the fixtures with UPDATE_STANZAJS_FIXTURES=1 if that is expected`);
      }
    });

    it('answers with DTLS active and trickles only loopback candidates, then <gathering-complete/>', () => {
      const accept = jingleSent(callee, 'session-accept')[0];
      assert.equal(accept.getChild('content')?.getChild('transport', NS_ICE_UDP)?.getChild('fingerprint', NS_DTLS)?.attrs.setup, 'active');
      for (const peer of [caller, callee]) {
        const transports = jingleSent(peer, 'transport-info').map((jingle) => jingle.getChild('content')?.getChild('transport', NS_ICE_UDP));
        const addresses = transports.flatMap((transport) => transport?.getChildren('candidate') ?? []).map((candidate) => candidate.attrs.ip);
        assert.ok(addresses.length > 0, `${peer.jid} sent candidates`);
        for (const address of addresses) assert.ok(address === '127.0.0.1' || address === '::1', `${peer.jid} signalled ${address}`);
        assert.ok(transports.some((transport) => transport?.getChild('gathering-complete')), `${peer.jid} sent gathering-complete`);
      }
    });
  });

  describe('errors and closing', () => {
    afterEach(closeAll);

    it('fails a call to an offline resource quickly, naming the error', async () => {
      const caller = await connect('alice');
      const startedAt = performance.now();
      await assert.rejects(caller.call(`bob@${(await sharedLab()).info.domain}/not-online`), /service-unavailable/);
      assert.ok(performance.now() - startedAt < 3_000);
      assert.ok(caller.sessionEvents.includes('session-initiate error received: service-unavailable'), caller.sessionEvents.join(', '));
    });

    it('declines an unanswered incoming call on hangUp, which fails the call with that reason', async () => {
      const caller = await connect('alice');
      const callee = await connect('bob');
      // Watched from the start: the refusal may arrive while hangUp() is still waiting for its acknowledgement.
      const refused = assert.rejects(caller.call(callee.jid), /decline/);
      // The callee has processed the session-initiate once the caller holds its IQ result.
      await waitFor(() => caller.jingleStanzas.some((record) => record.direction === 'received' && /type=['"]result['"]/.test(record.xml)), 3_000);
      await callee.hangUp();
      await refused;
      assert.ok(caller.sessionEvents.includes('terminated: decline'), caller.sessionEvents.join(', '));
    });

    it('fails to connect with a wrong password, saying so', async () => {
      const lab = await sharedLab();
      await assert.rejects(
        StanzaJsPeer.start({ jid: `alice@${lab.info.domain}`, password: 'wrong password', websocketUrl: lab.info.websocketUrl }),
        /authentication failed/,
      );
    });

    it('stops idempotently and refuses to call once stopped', async () => {
      const peer = await connect('carol');
      await Promise.all([peer.stop(), peer.stop()]);
      await peer.stop();
      await assert.rejects(peer.call(`bob@${(await sharedLab()).info.domain}/anything`), /stopped/);
    });
  });
});

/** The share of the signal's energy at `hz` (Goertzel): 1 for a pure tone at hz, near 0 for anything else. */
function toneShare(samples: Float32Array, hz: number, sampleRate: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let previous = 0;
  let beforePrevious = 0;
  let energy = 0;
  for (const sample of samples) {
    const current = sample + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
    energy += sample * sample;
  }
  const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  return energy === 0 ? 0 : (2 * power) / (samples.length * energy);
}

/** Index of the first sample of the first 10 ms with an RMS above 0.05 (the tones play at 0.25 peak); throws when none has. */
function toneOnset(samples: Float32Array, sampleRate: number): number {
  const block = sampleRate / 100;
  for (let start = 0; start + block <= samples.length; start += block) {
    let energy = 0;
    for (let i = start; i < start + block; i++) energy += samples[i] * samples[i];
    if (Math.sqrt(energy / block) > 0.05) return start;
  }
  throw new Error('no tone in the recording');
}

/** The <jingle/> elements of the IQs a peer sent with this action. */
function jingleSent(peer: StanzaJsPeer, action: string): Element[] {
  const found = peer.jingleStanzas
    .filter((record) => record.direction === 'sent')
    .map((record) => parseXml(record.xml).getChild('jingle', NS_JINGLE))
    .filter((jingle): jingle is Element => jingle?.attrs.action === action);
  assert.ok(found.length > 0, `${peer.jid} sent no ${action}`);
  return found;
}

/** Namespace-resolved structure with sorted attributes; run-specific values and the fingerprint's text become `*`. */
function shape(element: Element): string {
  const name = element.getName();
  const runSpecific = (key: string) =>
    RUN_SPECIFIC_ATTRIBUTES.has(key) ||
    (key === 'id' && RUN_SPECIFIC_IDS.has(name)) ||
    (key === 'value' && name === 'parameter' && RUN_SPECIFIC_PARAMETERS.has(element.attrs.name));
  const attributes = Object.entries(element.attrs)
    .filter(([key]) => key !== 'xmlns' && !key.startsWith('xmlns:'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ` ${key}="${runSpecific(key) ? '*' : value}"`)
    .join('');
  const children = element.children
    .map((child) => (typeof child !== 'string' ? shape(child) : child.trim() === '' ? '' : name === 'fingerprint' ? '*' : child))
    .join('');
  return `<{${element.getNS() ?? ''}}${name}${attributes}>${children}</>`;
}

function assertInOrder(events: string[], expected: string[]): void {
  let from = 0;
  for (const event of expected) {
    const at = events.indexOf(event, from);
    assert.ok(at >= 0, `"${event}" missing after position ${from} in: ${events.join(', ')}`);
    from = at + 1;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await delay(20);
  }
}
