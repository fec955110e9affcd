import assert from 'node:assert/strict';
import { Encoder } from '@evan/opus';
import { OpusCodec, twentyMsToc } from '../../src/media/opus-codec.js';
import { resample } from '../../src/util/resample.js';
import { readAudio } from '../../src/media/wav.js';
import { bestLag, correlation, rms, sine, speechPath, toInt16 } from '../helpers/signal.js';

const FRAME = 960;

function frames(pcm: Int16Array): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + FRAME <= pcm.length; i += FRAME) out.push(pcm.subarray(i, i + FRAME));
  return out;
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

describe('OpusCodec', () => {
  let speech: Int16Array;
  before(async () => {
    const audio = await readAudio(speechPath);
    speech = toInt16(resample(audio.samples[0], 16000, 48000)).subarray(0, 48000 * 4);
  });

  it('round-trips speech at 48 kHz mono, 20 ms frames, about the configured bitrate', () => {
    const codec = new OpusCodec();
    assert.deepEqual([codec.name, codec.rtpClockRate, codec.sampleRate, codec.frameSamples], ['opus', 48000, 48000, 960]);
    const packets = frames(speech).map((frame) => codec.encode(frame));
    const decoded = concat(packets.map((packet) => codec.decode(packet)));
    assert.equal(decoded.length, packets.length * FRAME);
    const kbps = (packets.reduce((n, p) => n + p.length, 0) * 8) / (packets.length * 20);
    assert.ok(kbps > 24 && kbps < 40, `${kbps.toFixed(1)} kbit/s`);
    // Opus delays by its look-ahead (6.5 ms = 312 samples at 48 kHz).
    const lag = bestLag(speech, decoded, 600, 48000 * 3);
    assert.ok(lag > 250 && lag < 400, `lag ${lag}`);
    assert.ok(correlation(speech, decoded, lag, 48000 * 3) > 0.9);
    codec.close();
  });

  it('honours the bitrate option', () => {
    const low = new OpusCodec({ bitrate: 12000 });
    const bytes = frames(speech).reduce((n, frame) => n + low.encode(frame).length, 0);
    const kbps = (bytes * 8) / (frames(speech).length * 20);
    assert.ok(kbps < 16, `${kbps.toFixed(1)} kbit/s`);
    assert.throws(() => new OpusCodec({ bitrate: 100 }), RangeError);
    assert.throws(() => new OpusCodec({ expectedLossPercent: 120 }), RangeError);
  });

  it('conceals a lost frame with 20 ms of audio that continues the signal, not silence', () => {
    const tone = toInt16(sine(220, 48000, FRAME * 30, 0.3));
    const sender = new OpusCodec();
    const receiver = new OpusCodec();
    const packets = frames(tone).map((frame) => sender.encode(frame));
    const out: Int16Array[] = [];
    for (let i = 0; i < 20; i++) out.push(receiver.decode(packets[i]));
    const concealed = receiver.conceal();
    assert.equal(concealed.length, FRAME);
    assert.ok(rms(concealed) > 0.5 * rms(out[19]), `concealment level ${rms(concealed)} vs ${rms(out[19])}`);
    // It continues the waveform: compare with what the decoder makes of the real frame 20.
    const reference = new OpusCodec();
    for (let i = 0; i < 20; i++) reference.decode(packets[i]);
    const truth = reference.decode(packets[20]);
    assert.ok(correlation(truth, concealed, 0, 480) > 0.8);
    assert.equal(receiver.decode(packets[21]).length, FRAME, 'decoding resumes');
  });

  it('conceals silence before the first packet', () => {
    const codec = new OpusCodec();
    assert.equal(rms(codec.conceal()), 0);
    assert.equal(codec.conceal().length, FRAME);
  });

  it('decodes stereo packets from the peer as mono', () => {
    const stereo = new Encoder({ channels: 2, sample_rate: 48000, application: 'voip' });
    const tone = toInt16(sine(440, 48000, FRAME * 10, 0.3));
    const codec = new OpusCodec();
    const out: Int16Array[] = [];
    for (const frame of frames(tone)) {
      const interleaved = new Int16Array(FRAME * 2);
      for (let i = 0; i < FRAME; i++) interleaved[2 * i] = interleaved[2 * i + 1] = frame[i];
      const packet = stereo.encode(interleaved);
      assert.equal(packet[0] & 0x04, 0x04, 'stereo TOC');
      out.push(codec.decode(packet));
    }
    const decoded = concat(out);
    assert.equal(decoded.length, tone.length);
    const lag = bestLag(tone, decoded, 600, FRAME * 6);
    assert.ok(correlation(tone, decoded, lag, FRAME * 6) > 0.95);
    assert.equal(codec.conceal().length, FRAME, 'concealment after stereo is still mono');
  });

  it('rejects bad input with errors, not crashes', () => {
    const codec = new OpusCodec();
    assert.throws(() => codec.encode(new Int16Array(480)), /960-sample/);
    assert.throws(() => codec.decode(new Uint8Array(0)), /empty/);
    assert.throws(() => codec.decode(Uint8Array.of(0xff, 0xff, 0xff, 1, 2, 3)));
    codec.close();
    assert.throws(() => codec.encode(new Int16Array(960)), /closed/);
  });

  it('builds a 20 ms TOC in the same mode, bandwidth and channels', () => {
    assert.equal(twentyMsToc(0x48), 0x48); // SILK wideband 20 ms stays
    assert.equal(twentyMsToc(0x40 | 0x04), 0x48 | 0x04); // SILK wideband 10 ms stereo -> 20 ms stereo
    assert.equal(twentyMsToc(0x4b), 0x48); // code 3 (several frames) -> code 0
    assert.equal(twentyMsToc(0x60), 0x68); // hybrid super-wideband 10 ms -> 20 ms
    assert.equal(twentyMsToc(0x78), 0x78); // hybrid fullband 20 ms stays
    assert.equal(twentyMsToc(0xf8), 0xf8); // CELT FB 20 ms
    assert.equal(twentyMsToc(0xe0), 0xf8); // CELT FB 2.5 ms -> 20 ms
  });
});
