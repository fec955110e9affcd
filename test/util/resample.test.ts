import assert from 'node:assert/strict';
import { resample, Resampler } from '../../src/util/resample.js';
import { readAudio } from '../../src/media/wav.js';
import { bandSnrDb, rms, sine, speechPath } from '../helpers/signal.js';

describe('resample', () => {
  it('keeps speech above 35 dB SNR through 16k -> 48k -> 16k (passband to 7 kHz)', async () => {
    const speech = (await readAudio(speechPath)).samples[0];
    const up = resample(speech, 16000, 48000);
    assert.equal(up.length, speech.length * 3);
    const back = resample(up, 48000, 16000);
    assert.equal(back.length, speech.length);
    const snr = bandSnrDb(speech, back, 16000, 7000);
    assert.ok(snr > 35, `SNR ${snr.toFixed(1)} dB`);
  });

  it('preserves level and frequency of a tone (8k -> 48k, 44.1k -> 48k, 48k -> 7999)', () => {
    for (const [from, to] of [
      [8000, 48000],
      [44100, 48000],
      [48000, 7999],
    ]) {
      const tone = sine(1000, from, from, 0.5);
      const out = resample(tone, from, to);
      assert.equal(out.length, Math.ceil((tone.length * to) / from));
      const middle = out.subarray(Math.floor(to * 0.1), Math.floor(to * 0.9));
      const expected = sine(1000, to, out.length, 0.5).subarray(Math.floor(to * 0.1), Math.floor(to * 0.9));
      assert.ok(Math.abs(20 * Math.log10(rms(middle) / (0.5 / Math.SQRT2))) < 0.05, `${from}->${to} level`);
      let maxError = 0;
      for (let i = 0; i < middle.length; i++) maxError = Math.max(maxError, Math.abs(middle[i] - expected[i]));
      assert.ok(maxError < 1e-3, `${from}->${to} waveform error ${maxError}`);
    }
  });

  it('removes what would alias when downsampling', () => {
    const out = resample(sine(6000, 48000, 48000, 0.5), 48000, 8000); // 6 kHz is above 8 kHz's Nyquist
    const level = 20 * Math.log10(rms(out.subarray(800, 7200)) / 0.5);
    assert.ok(level < -70, `alias at ${level.toFixed(1)} dB`);
  });

  it('streams in 20 ms chunks with the same result as one call', () => {
    const input = sine(440, 48000, 48000, 0.3);
    const whole = resample(input, 48000, 16000);
    const resampler = new Resampler(48000, 16000);
    const parts: number[] = [];
    for (let i = 0; i < input.length; i += 960) parts.push(...resampler.process(input.subarray(i, i + 960)));
    parts.push(...resampler.flush());
    assert.equal(parts.length, whole.length);
    for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(parts[i] - whole[i]) < 1e-6, `sample ${i}`);
    assert.equal(resampler.flush().length, 0);
    assert.throws(() => resampler.process(input), /flushed/);
  });

  it('copies when the rates match and rejects nonsense rates', () => {
    const input = Float32Array.of(0.1, 0.2);
    const same = resample(input, 8000, 8000);
    assert.deepEqual(same, input);
    assert.notEqual(same, input);
    assert.throws(() => new Resampler(0, 8000), RangeError);
    assert.throws(() => new Resampler(8000, 44100.5), RangeError);
  });
});
