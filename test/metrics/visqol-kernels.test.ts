import assert from 'node:assert/strict';
import { GammatoneFilterbank } from '../../src/metrics/visqol/gammatone.js';

describe("ViSQOL's gammatone frame kernel", () => {
  it('gives a frame the same bits whether the kernel pairs it with a next frame or with padding (odd counts)', () => {
    const filterbank = new GammatoneFilterbank(16_000);
    let state = 11;
    const noise = Float64Array.from({ length: filterbank.windowSize + 4 * filterbank.hop }, () => {
      state = (state * 16807) % 2147483647;
      return state / 2147483647 - 0.5;
    });
    const five = filterbank.analyseFrames(noise, 0, 5);
    for (const count of [1, 2, 3, 4]) assert.deepEqual(filterbank.analyseFrames(noise, 0, count), five.subarray(0, 21 * count), `${count} frames`);
    // The last frame, alone and ending on the signal's last sample.
    assert.deepEqual(filterbank.analyseFrames(noise, 4 * filterbank.hop, 1), five.subarray(4 * 21));
  });
});
