import assert from 'node:assert/strict';
import { createCodec } from '../../src/media/codec.js';
import type { RtpPacketFields } from '../../src/media/rtp-packet.js';
import { RtpSender } from '../../src/media/rtp-sender.js';
import { decodeTelephoneEvent, dtmfDigit, dtmfEvent, dtmfPackets, encodeTelephoneEvent } from '../../src/media/telephone-event.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { sine } from '../helpers/signal.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));

describe('RFC 4733 telephone-event payload', () => {
  // event | E R volume | duration
  const golden: Array<[string, Parameters<typeof encodeTelephoneEvent>[0]]> = [
    ['05 0a 00a0', { event: 5, end: false, volume: 10, duration: 160 }], // digit 5, -10 dBm0, 20 ms at 8 kHz
    ['0b 8a 0320', { event: 11, end: true, volume: 10, duration: 800 }], // '#' ended after 100 ms at 8 kHz
    ['0f bf ffff', { event: 15, end: true, volume: 63, duration: 65535 }], // 'D', every field at its maximum
    ['00 00 12c0', { event: 0, end: false, volume: 0, duration: 4800 }], // '0', 100 ms at 48 kHz
  ];

  it('encodes and decodes the golden payloads both ways', () => {
    for (const [text, fields] of golden) {
      assert.equal(hex(encodeTelephoneEvent(fields)), text.replace(/\s/g, ''));
      assert.deepEqual(decodeTelephoneEvent(fromHex(text)), fields);
    }
  });

  it('ignores the reserved R bit when decoding, and refuses short payloads and out-of-range fields', () => {
    assert.deepEqual(decodeTelephoneEvent(fromHex('01 4a 00a0')), { event: 1, end: false, volume: 10, duration: 160 });
    assert.throws(() => decodeTelephoneEvent(fromHex('01 8a 00')), /4 bytes, got 3/);
    assert.throws(() => encodeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 }), /volume must be an integer in 0-63/);
    assert.throws(() => encodeTelephoneEvent({ event: 1, end: false, volume: 10, duration: 65536 }), /duration/);
  });

  it('maps DTMF digits to events 0-15 and back', () => {
    assert.deepEqual([...'0123456789*#ABCD'].map(dtmfEvent), [...Array(16).keys()]);
    assert.equal(dtmfEvent('a'), 12);
    assert.equal(dtmfDigit(11), '#');
    assert.equal(dtmfDigit(16), undefined);
    assert.throws(() => dtmfEvent('E'), /'E' is not a DTMF digit/);
    assert.throws(() => dtmfEvent('12'), /not a DTMF digit/);
  });
});

describe('dtmfPackets', () => {
  it('gives one packet per 20 ms with growing duration, the final one with E three times (8 kHz, 100 ms)', () => {
    assert.deepEqual(dtmfPackets('1', { clockRate: 8000 }).map(hex), [
      '010a00a0', // 160
      '010a0140', // 320
      '010a01e0', // 480
      '010a0280', // 640
      '018a0320', // 800, E
      '018a0320',
      '018a0320',
    ]);
  });

  it('counts the duration in 48 kHz units for Opus and rounds the length up to whole packets', () => {
    assert.deepEqual(dtmfPackets('#', { clockRate: 48000, durationMs: 50, volume: 20 }).map(hex), ['0b1403c0', '0b140780', '0b940b40', '0b940b40', '0b940b40']);
  });

  it('refuses bad digits and tones too long for the 16-bit duration', () => {
    assert.throws(() => dtmfPackets('x', { clockRate: 8000 }), /'x' is not a DTMF digit/);
    assert.throws(() => dtmfPackets('1', { clockRate: 48000, durationMs: 2000 }), /does not fit the 16-bit duration/);
    assert.throws(() => dtmfPackets('1', { clockRate: 8000, durationMs: 0 }), /durationMs must be positive/);
  });
});

describe('RtpSender telephone events, pause and mute', () => {
  function sender(clock: FakeClock) {
    const sent: RtpPacketFields[] = [];
    const rtp = new RtpSender({
      codec: createCodec('PCMU'),
      payloadType: 0,
      audio: sine(440, 8000, 8000, 0.3),
      audioRate: 8000,
      send: (packet) => sent.push(packet),
      clock,
      ssrc: 1,
      initialSequenceNumber: 100,
      initialTimestamp: 1000,
      loop: true,
    });
    return { rtp, sent };
  }

  it('sends a tone instead of audio, in sequence, with the tone start as timestamp; audio goes on at its own timestamp', async () => {
    const clock = new FakeClock(0);
    const { rtp, sent } = sender(clock);
    rtp.start(); // audio 100 @1000
    clock.advance(20); // audio 101 @1160
    const done = rtp.sendTelephoneEvent(126, dtmfPackets('9', { clockRate: 8000, durationMs: 40 }));
    clock.advance(80); // 4 event packets: 102-105
    await done;
    clock.advance(20); // audio again
    assert.deepEqual(
      sent.map((p) => [p.sequenceNumber, p.payloadType, p.timestamp, p.marker, p.payloadType === 126 ? hex(p.payload) : p.payload.length]),
      [
        [100, 0, 1000, true, 160],
        [101, 0, 1160, false, 160],
        [102, 126, 1320, true, '090a00a0'],
        [103, 126, 1320, false, '098a0140'],
        [104, 126, 1320, false, '098a0140'],
        [105, 126, 1320, false, '098a0140'],
        [106, 0, 1960, false, 160],
      ],
    );
    rtp.stop();
  });

  it('sends nothing while paused, then resumes with the timestamp moved on by the pause and the marker set', () => {
    const clock = new FakeClock(0);
    const { rtp, sent } = sender(clock);
    rtp.start();
    clock.advance(30); // packets at 0 and 20
    rtp.pause();
    clock.advance(1000);
    assert.equal(sent.length, 2);
    rtp.resume();
    clock.advance(10);
    const resumed = sent[2];
    assert.equal(resumed.sequenceNumber, 102);
    assert.equal(resumed.timestamp, 1000 + 2 * 160 + 50 * 160, 'the 1000 ms paused are 50 frames of timestamp');
    assert.equal(resumed.marker, true);
    rtp.stop();
  });

  it('sends encoded silence while muted and the audio again after', () => {
    const clock = new FakeClock(0);
    const { rtp, sent } = sender(clock);
    rtp.setMuted(true);
    rtp.start();
    clock.advance(50);
    rtp.setMuted(false);
    clock.advance(20);
    const pcmuSilence = 0xff;
    assert.ok(sent.slice(0, 3).every((p) => p.payload.every((byte) => byte === pcmuSilence)));
    assert.ok(sent[3].payload.some((byte) => byte !== pcmuSilence));
    rtp.stop();
  });

  it('rejects a tone when the sender is not running, and pending tones when it stops', async () => {
    const clock = new FakeClock(0);
    const { rtp } = sender(clock);
    await assert.rejects(rtp.sendTelephoneEvent(126, dtmfPackets('1', { clockRate: 8000 })), /not sending/);
    rtp.start();
    const pending = rtp.sendTelephoneEvent(126, dtmfPackets('1', { clockRate: 8000 }));
    rtp.stop();
    await assert.rejects(pending, /stopped before the tone was sent/);
  });
});
