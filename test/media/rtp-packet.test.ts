import assert from 'node:assert/strict';
import {
  parseRtp,
  RtpParseError,
  sequenceDistance,
  serializeRtp,
  timestampDistance,
} from '../../src/media/rtp-packet.js';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex'));

describe('RTP packet', () => {
  it('parses a plain Opus packet and serializes it back byte for byte', () => {
    const bytes = hex(`
      80 6f      # V=2, no padding/extension/CSRC; M=0, PT=111
      1c 3a      # sequence 7226
      00 00 96 40 # timestamp 38464
      12 34 56 78 # SSRC
      f8 ff fe   # payload (an Opus TOC + 2 bytes)
    `);
    const packet = parseRtp(bytes);
    assert.deepEqual(
      { ...packet, payload: [...packet.payload] },
      {
        payloadType: 111,
        marker: false,
        sequenceNumber: 7226,
        timestamp: 38464,
        ssrc: 0x12345678,
        csrcs: [],
        extension: undefined,
        paddingLength: 0,
        payload: [0xf8, 0xff, 0xfe],
      },
    );
    assert.deepEqual(serializeRtp(packet), bytes);
  });

  it('reads the marker bit and PCMU payload type 0', () => {
    const packet = parseRtp(hex('80 80 ff ff ff ff ff ff de ad be ef ff ff'));
    assert.equal(packet.marker, true);
    assert.equal(packet.payloadType, 0);
    assert.equal(packet.sequenceNumber, 65535);
    assert.equal(packet.timestamp, 0xffffffff);
    assert.equal(packet.ssrc, 0xdeadbeef);
  });

  it('skips CSRCs and an RFC 8285 one-byte header extension', () => {
    const bytes = hex(`
      92 6f 00 01 00 00 00 a0 de ad be ef  # V=2, X=1, CC=2; PT 111, seq 1, ts 160
      00 00 00 2a 00 00 00 2b              # CSRCs 42, 43
      be de 00 01                          # extension profile 0xBEDE, one word
      10 ff 00 00                          # id 1 (audio level), len 1, value 0xff, padding
      01 02 03                             # payload
    `);
    const packet = parseRtp(bytes);
    assert.deepEqual(packet.csrcs, [42, 43]);
    assert.equal(packet.extension?.profile, 0xbede);
    assert.deepEqual([...packet.extension!.data], [0x10, 0xff, 0, 0]);
    assert.deepEqual([...packet.payload], [1, 2, 3]);
    assert.deepEqual(serializeRtp(packet, packet), bytes);
  });

  it('removes padding', () => {
    const bytes = hex('a0 08 00 05 00 00 01 40 00 00 00 07 d5 d5 d5 d5 00 00 03');
    const packet = parseRtp(bytes);
    assert.equal(packet.payloadType, 8);
    assert.equal(packet.paddingLength, 3);
    assert.deepEqual([...packet.payload], [0xd5, 0xd5, 0xd5, 0xd5]);
    assert.deepEqual(serializeRtp(packet, { paddingLength: 3 }), bytes);
  });

  it('rejects malformed packets with an RtpParseError', () => {
    const cases: Array<[string, RegExp]> = [
      ['80 6f 00 01', /too short/],
      ['00 01 00 00 21 12 a4 42 00 00 00 00', /version 0/], // a STUN header
      ['8f 6f 00 01 00 00 00 a0 de ad be ef 00 00 00 01', /15 CSRCs/],
      ['90 6f 00 01 00 00 00 a0 de ad be ef be de 00 04 10 ff', /extension/],
      ['a0 6f 00 01 00 00 00 a0 de ad be ef 01 02 00', /padding length 0/],
      ['a0 6f 00 01 00 00 00 a0 de ad be ef 01 09', /padding length 9/],
    ];
    for (const [bytes, message] of cases) {
      assert.throws(() => parseRtp(hex(bytes)), (error: Error) => error instanceof RtpParseError && message.test(error.message));
    }
  });

  it('never throws anything but RtpParseError on random bytes', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256));
      if (i % 2 === 0 && bytes.length > 0) bytes[0] = 0x80 | (bytes[0] & 0x3f); // version 2 half the time
      try {
        const packet = parseRtp(bytes);
        assert.ok(packet.payload.length <= bytes.length);
      } catch (error) {
        assert.ok(error instanceof RtpParseError, String(error));
      }
    }
  });

  it('refuses to serialize out-of-range fields', () => {
    const base = { payloadType: 111, sequenceNumber: 1, timestamp: 1, ssrc: 1, marker: false, payload: new Uint8Array(1) };
    assert.throws(() => serializeRtp({ ...base, payloadType: 128 }), RangeError);
    assert.throws(() => serializeRtp({ ...base, sequenceNumber: 65536 }), RangeError);
    assert.throws(() => serializeRtp({ ...base, timestamp: -1 }), RangeError);
    assert.throws(() => serializeRtp(base, { csrcs: new Array(16).fill(1) }), RangeError);
    assert.throws(() => serializeRtp(base, { extension: { profile: 0xbede, data: new Uint8Array(3) } }), RangeError);
  });

  it('measures sequence and timestamp distance across wrap-around', () => {
    assert.equal(sequenceDistance(65535, 0), 1);
    assert.equal(sequenceDistance(0, 65535), -1);
    assert.equal(sequenceDistance(100, 90), -10);
    assert.equal(timestampDistance(0xffffff00, 0x40), 0x140);
    assert.equal(timestampDistance(0x40, 0xffffff00), -0x140);
  });
});
