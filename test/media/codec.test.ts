import assert from 'node:assert/strict';
import { createCodec, G711Codec, parseCodecName, STATIC_PAYLOAD_TYPES } from '../../src/media/codec.js';
import { OpusCodec } from '../../src/media/opus-codec.js';
import { correlation, rms, sine, snrDb, toInt16 } from '../helpers/signal.js';

describe('createCodec', () => {
  it('creates each codec with its rates and frame size', () => {
    const shape = (name: 'opus' | 'PCMU' | 'PCMA') => {
      const codec = createCodec(name);
      return [codec.name, codec.rtpClockRate, codec.sampleRate, codec.frameSamples];
    };
    assert.deepEqual(shape('opus'), ['opus', 48000, 48000, 960]);
    assert.deepEqual(shape('PCMU'), ['PCMU', 8000, 8000, 160]);
    assert.deepEqual(shape('PCMA'), ['PCMA', 8000, 8000, 160]);
    assert.ok(createCodec('opus', { opus: { bitrate: 16000 } }) instanceof OpusCodec);
    assert.deepEqual(STATIC_PAYLOAD_TYPES, { PCMU: 0, PCMA: 8 });
    assert.throws(() => createCodec('G722' as 'opus'), /unknown codec "G722"/);
  });

  it('parses codec names case-insensitively', () => {
    assert.equal(parseCodecName('pcmu'), 'PCMU');
    assert.equal(parseCodecName('Opus'), 'opus');
    assert.equal(parseCodecName(' PCMA '), 'PCMA');
    assert.throws(() => parseCodecName('speex'), /expected opus, PCMU or PCMA/);
  });
});

describe('G711Codec', () => {
  for (const name of ['PCMU', 'PCMA'] as const) {
    it(`${name}: one byte per sample, ~38 dB SNR, and audible concealment`, () => {
      const codec = new G711Codec(name);
      const voice = toInt16(sine(160, 8000, 160 * 6, 0.3)); // 50-sample pitch period
      const payloads = [0, 1, 2, 3, 4].map((f) => codec.encode(voice.subarray(f * 160, (f + 1) * 160)));
      assert.ok(payloads.every((p) => p.length === 160));
      const decoded = payloads.map((p) => codec.decode(p));
      assert.ok(snrDb(voice.subarray(0, 160), decoded[0]) > 35);
      const concealed = codec.conceal();
      assert.equal(concealed.length, 160);
      assert.ok(rms(concealed) > 0.5 * rms(decoded[4]));
      assert.ok(correlation(voice.subarray(800, 880), concealed, 0, 80) > 0.9);
      assert.throws(() => codec.decode(new Uint8Array(0)), /empty/);
    });
  }
});
