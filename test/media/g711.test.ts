import assert from 'node:assert/strict';
import {
  alawToLinear,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
  linearToAlaw,
  linearToMulaw,
  mulawToLinear,
  WaveformRepetitionConcealer,
} from '../../src/media/g711.js';
import { correlation, rms, sine, snrDb, toInt16 } from '../helpers/signal.js';

describe('G.711', () => {
  it('mu-law matches the reference values', () => {
    // Silence is 0xFF; full scale is 0x80 (positive) / 0x00 (negative); 1000 -> 0xCE -> 988.
    assert.equal(linearToMulaw(0), 0xff);
    assert.equal(linearToMulaw(-1), 0x7f);
    assert.equal(linearToMulaw(32767), 0x80);
    assert.equal(linearToMulaw(-32768), 0x00);
    assert.equal(linearToMulaw(1000), 0xce);
    assert.equal(mulawToLinear(0xce), 988);
    assert.equal(mulawToLinear(0xff), 0);
    assert.equal(mulawToLinear(0x7f), 0);
    assert.equal(mulawToLinear(0x80), 32124);
    assert.equal(mulawToLinear(0x00), -32124);
    assert.equal(mulawToLinear(0xf0), 120); // segment 0, step 8: (15 * 8 + 132) - 132
  });

  it('A-law matches the reference values', () => {
    // Silence encodes as 0xD5 (even bits inverted); 0xAA / 0x2A are +/- full scale.
    assert.equal(linearToAlaw(0), 0xd5);
    assert.equal(linearToAlaw(-1), 0x55);
    assert.equal(linearToAlaw(32767), 0xaa);
    assert.equal(linearToAlaw(-32768), 0x2a);
    assert.equal(linearToAlaw(1000), 0xfa);
    assert.equal(alawToLinear(0xfa), 1008);
    assert.equal(alawToLinear(0xd5), 8);
    assert.equal(alawToLinear(0x55), -8);
    assert.equal(alawToLinear(0xaa), 32256);
    assert.equal(alawToLinear(0x2a), -32256);
  });

  it('every code point survives decode -> encode', () => {
    for (let code = 0; code < 256; code++) {
      assert.equal(mulawToLinear(linearToMulaw(mulawToLinear(code))), mulawToLinear(code));
      assert.equal(linearToAlaw(alawToLinear(code)), code);
    }
  });

  it('round trip error stays within half a quantization step of the segment', () => {
    for (let x = -32768; x <= 32767; x++) {
      const muError = Math.abs(mulawToLinear(linearToMulaw(x)) - x);
      if (Math.abs(x) <= 32635) assert.ok(muError <= (Math.abs(x) + 132) / 32 + 1, `mu-law ${x}: error ${muError}`);
      const aError = Math.abs(alawToLinear(linearToAlaw(x)) - x);
      assert.ok(aError <= Math.max(8, Math.abs(x) / 32) + 1, `A-law ${x}: error ${aError}`);
    }
  });

  it('gives the textbook ~38 dB SNR on a -10 dBFS tone, for both laws', () => {
    const tone = toInt16(sine(1004, 8000, 8000, 0.3));
    assert.ok(snrDb(tone, decodeMulaw(encodeMulaw(tone))) > 35);
    assert.ok(snrDb(tone, decodeAlaw(encodeAlaw(tone))) > 35);
  });
});

describe('WaveformRepetitionConcealer', () => {
  const rate = 8000;
  const frame = 160;
  const voice = toInt16(sine(200, rate, frame * 12, 0.4)); // 40-sample pitch period

  function primed(): WaveformRepetitionConcealer {
    const plc = new WaveformRepetitionConcealer(rate, frame);
    for (let f = 0; f < 5; f++) plc.good(voice.subarray(f * frame, (f + 1) * frame));
    return plc;
  }

  it('continues a voiced signal instead of going silent', () => {
    const concealed = primed().conceal();
    const truth = voice.subarray(5 * frame, 6 * frame);
    assert.ok(correlation(truth, concealed, 0, 80) > 0.95, 'first 10 ms follow the waveform');
    assert.ok(rms(concealed.subarray(0, 80)) > 0.9 * rms(truth));
  });

  it('fades over a long loss and is silent after 60 ms', () => {
    const plc = primed();
    const levels = [0, 1, 2, 3].map(() => rms(plc.conceal()));
    assert.ok(levels[0] > levels[1] && levels[1] > levels[2] && levels[2] > 0);
    assert.equal(levels[3], 0);
  });

  it('cross-fades into the first good frame after a loss', () => {
    const plc = primed();
    plc.conceal();
    const next = voice.subarray(6 * frame, 7 * frame);
    const out = plc.good(next);
    assert.equal(out.length, frame);
    assert.deepEqual(out.subarray(30), next.subarray(30), 'only the first quarter pitch period is blended');
    assert.ok(correlation(next, out) > 0.99);
  });

  it('gives silence when nothing was received yet', () => {
    assert.equal(rms(new WaveformRepetitionConcealer(rate, frame).conceal()), 0);
  });
});
