import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec, type CodecName } from '../../src/media/codec.js';
import { Playout, type PlayoutOptions } from '../../src/media/playout.js';
import type { RtpPacketFields } from '../../src/media/rtp-packet.js';
import { RtpSender } from '../../src/media/rtp-sender.js';
import { decodeWav } from '../../src/media/wav.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { bestLag, correlation, rms, sine } from '../helpers/signal.js';

interface Link {
  clock: FakeClock;
  sender: RtpSender;
  playout: Playout;
}

/** A sender wired to a playout through a fake network with fixed delay and a drop rule. */
function link(
  codecName: CodecName,
  audio: Float32Array,
  audioRate: number,
  playoutOptions: Partial<PlayoutOptions>,
  network: { delayMs?: number; drop?: (packet: RtpPacketFields, index: number) => boolean } = {},
): Link {
  const clock = new FakeClock(0);
  const playout = new Playout({ codec: createCodec(codecName), clock, finalizeOnExit: false, ...playoutOptions });
  let index = 0;
  const sender = new RtpSender({
    codec: createCodec(codecName),
    payloadType: codecName === 'opus' ? 111 : codecName === 'PCMU' ? 0 : 8,
    audio,
    audioRate,
    clock,
    ssrc: 1234,
    initialSequenceNumber: 65500,
    send: (packet) => {
      if (network.drop?.(packet, index++)) return;
      const arrival = clock.now() + (network.delayMs ?? 10);
      clock.setTimeout(() => playout.receive(packet, arrival), network.delayMs ?? 10);
    },
  });
  return { clock, sender, playout };
}

describe('Playout', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'earshot-playout-test-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('records what a listener hears: G.711 through a clean link', () => {
    const path = join(dir, 'pcmu.wav');
    const tone = sine(400, 8000, 8000, 0.4); // 1 s
    const { clock, sender, playout } = link('PCMU', tone, 8000, { recordPath: path, payloadType: 0 });
    sender.start();
    clock.advance(1200);
    playout.stop();
    playout.stop();
    const stats = playout.stats;
    assert.deepEqual(
      [stats.received, stats.played, stats.lost, stats.late, stats.duplicates, stats.concealed, stats.decodeErrors],
      [50, 50, 0, 0, 0, 0, 0],
    );
    assert.equal(stats.jitterMs, 0);
    const recording = decodeWav(readFileSync(path), path);
    assert.equal(recording.sampleRate, 8000);
    // One 20 ms frame per tick from the first packet (10 ms) until stop (1200 ms): 60 ticks.
    assert.equal(recording.samples[0].length, 60 * 160);
    const heard = recording.samples[0];
    const lag = bestLag(tone, heard, 800, 4000);
    assert.equal(lag, 320, 'initial 40 ms buffer');
    assert.ok(correlation(tone, heard, lag, 7000) > 0.999);
    assert.equal(rms(heard.subarray(0, lag)), 0, 'silence while the buffer fills');
    assert.ok(playout.log.entries.every((e) => e.fate === 'played'));
  });

  it('conceals lost Opus packets with audio, and counts them', () => {
    const path = join(dir, 'opus-loss.wav');
    const tone = sine(300, 48000, 48000, 0.3);
    const { clock, sender, playout } = link('opus', tone, 48000, { recordPath: path, payloadType: 111 }, { drop: (_, i) => i % 10 === 5 });
    const frames: Int16Array[] = [];
    playout.onAudio.subscribe((frame) => frames.push(frame));
    sender.start();
    clock.advance(1100);
    playout.stop();
    const stats = playout.stats;
    assert.deepEqual([stats.received, stats.lost, stats.concealed, stats.played], [45, 5, 5, 45]);
    // Ticks 0 and 1 are the initial buffering; tick 2 + k plays packet k, lost or not.
    assert.deepEqual([rms(frames[0]), rms(frames[1])], [0, 0]);
    const level = (k: number) => rms(frames[2 + k]);
    for (const lost of [5, 15, 25, 35, 45]) assert.ok(level(lost) > 2000, `concealment of packet ${lost}: rms ${level(lost)}`);
    for (let k = 0; k < 50; k++) assert.ok(frames[2 + k].length === 960 && level(k) > 300, `no gap at packet ${k}`);
    const recording = decodeWav(readFileSync(path), path);
    assert.equal(recording.sampleRate, 48000);
    assert.equal(recording.samples[0].length, frames.length * 960);
  });

  it('resamples the recording to the chosen rate', () => {
    const path = join(dir, 'pcma-16k.wav');
    const { clock, sender, playout } = link('PCMA', sine(400, 8000, 4000, 0.4), 8000, { recordPath: path, recordRate: 16000 });
    sender.start();
    clock.advance(700);
    playout.stop();
    const recording = decodeWav(readFileSync(path), path);
    assert.equal(recording.sampleRate, 16000);
    assert.equal(recording.samples[0].length, 2 * (playout.stats.playedOutMs * 8));
  });

  it('logs telephone events without playing them or counting their sequence numbers as lost', () => {
    const clock = new FakeClock(0);
    const playout = new Playout({ codec: createCodec('PCMU'), clock, payloadType: 0, telephoneEventPayloadType: 101 });
    const events: number[] = [];
    playout.onTelephoneEvent.subscribe((event) => events.push(event.event));
    const send = (seq: number, payloadType: number, payload: Uint8Array) =>
      playout.receive({ payloadType, sequenceNumber: seq, timestamp: 1000 + Math.min(seq, 2) * 160, ssrc: 9, marker: false, payload });
    send(0, 0, new Uint8Array(160).fill(0xff));
    clock.advance(20);
    send(1, 0, new Uint8Array(160).fill(0xff));
    clock.advance(20);
    send(2, 101, Uint8Array.of(5, 0x0a, 0x00, 0xa0)); // digit 5, volume 10, 160 units
    send(3, 101, Uint8Array.of(5, 0x8a, 0x03, 0x20)); // end of event, 800 units
    send(4, 101, Uint8Array.of(5, 0x8a, 0x03, 0x20)); // the end packet again (retransmission)
    send(4, 101, Uint8Array.of(5, 0x8a, 0x03, 0x20)); // a true duplicate
    send(5, 101, Uint8Array.of(1)); // too short to be an event
    send(6, 0, new Uint8Array(160).fill(0xff));
    clock.advance(100);
    playout.stop();
    assert.deepEqual(events, [5, 5, 5]);
    assert.deepEqual(
      playout.telephoneEvents.map(({ event, end, volume, duration }) => [event, end, volume, duration]),
      [
        [5, false, 10, 160],
        [5, true, 10, 800],
        [5, true, 10, 800],
      ],
    );
    const stats = playout.stats;
    assert.deepEqual([stats.received, stats.lost, stats.telephoneEvents, stats.ignored], [3, 0, 3, 1]);
    assert.equal(playout.log.entries.length, 8);
    assert.equal(playout.log.entries[5].fate, 'duplicate');
  });

  it('fails at construction when the recording cannot be created', () => {
    assert.throws(
      () => new Playout({ codec: createCodec('PCMU'), recordPath: join(dir, 'no-such-folder', 'x.wav'), finalizeOnExit: false }),
      /ENOENT/,
    );
  });

  it('ignores other payload types, replaces undecodable frames, and stops receiving after stop()', () => {
    const clock = new FakeClock(0);
    const playout = new Playout({ codec: createCodec('opus'), clock, payloadType: 111 });
    const base = { ssrc: 3, marker: false };
    playout.receive({ ...base, payloadType: 96, sequenceNumber: 1, timestamp: 0, payload: Uint8Array.of(1, 2) });
    playout.receive({ ...base, payloadType: 111, sequenceNumber: 2, timestamp: 960, payload: Uint8Array.of(0xff, 0xff, 0xff, 1, 2, 3) });
    clock.advance(100);
    const stats = playout.stats;
    assert.deepEqual([stats.ignored, stats.played, stats.decodeErrors], [1, 1, 1]);
    playout.stop();
    playout.receive({ ...base, payloadType: 111, sequenceNumber: 3, timestamp: 1920, payload: Uint8Array.of(0xf8) });
    assert.equal(playout.stats.received, 1);
  });
});
