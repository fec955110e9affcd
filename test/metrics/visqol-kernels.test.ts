import assert from 'node:assert/strict';
import { GammatoneFilterbank, type Spectrogram } from '../../src/metrics/visqol/gammatone.js';
import { nsim } from '../../src/metrics/visqol/nsim.js';
import { PatchComparator } from '../../src/metrics/visqol/patch-comparator.js';
import { PATCH_FRAMES } from '../../src/metrics/visqol/voice-activity.js';

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

describe("ViSQOL's patch search (PatchComparator)", () => {
  let state = 7;
  /** Band-major decibels above the floor, as prepareForComparison() leaves them. */
  const spectrogram = (frames: number, level = (_band: number, _frame: number) => NaN): Spectrogram => ({
    frames,
    data: Float64Array.from({ length: 21 * frames }, (_, i) => {
      const fixed = level(Math.floor(i / frames), i % frames);
      state = (state * 16807) % 2147483647;
      return Number.isNaN(fixed) ? (state / 2147483647) * 60 : fixed;
    }),
  });
  const SEARCH_TOLERANCE = 1e-6;

  it("gives nsim()'s similarity at every offset, in double precision from detailed(), within 1e-6 from the search", () => {
    const ref = spectrogram(60);
    const deg = spectrogram(45);
    const refStarts = [3, 30];
    const comparator = new PatchComparator(ref, refStarts, PATCH_FRAMES, deg);
    refStarts.forEach((refStart, patch) => {
      // 45 offsets: the kernel's last vector of four holds one, and patches run off the degraded end.
      const similarities = comparator.similarities(patch, 0, 44);
      assert.equal(similarities.length, 45);
      for (let offset = 0; offset < 45; offset++) {
        const expected = nsim(
          { data: ref.data, frames: ref.frames, start: refStart, width: PATCH_FRAMES },
          { data: deg.data, frames: deg.frames, start: offset, width: PATCH_FRAMES },
        );
        const detailed = comparator.detailed(patch, offset);
        assert.ok(Math.abs(detailed.similarity - expected.similarity) < 1e-12, `patch ${patch} offset ${offset}: ${detailed.similarity} vs ${expected.similarity}`);
        detailed.bandMeans.forEach((mean, band) => assert.ok(Math.abs(mean - expected.bandMeans[band]) < 1e-12, `band ${band}`));
        assert.ok(Math.abs(similarities[offset] - detailed.similarity) < SEARCH_TOLERANCE, `search at ${offset}: ${similarities[offset]} vs ${detailed.similarity}`);
      }
    });
  });

  it('keeps its precision where the degraded patch is flat (a dropout at the floor) and the reference is not', () => {
    // Single precision cross - muR muD would be off by ~1e-4 there, a fifth of the structure constant C3.
    const ref = spectrogram(40);
    const deg = spectrogram(40, (_band, frame) => (frame >= 10 && frame < 35 ? 12.3 : NaN));
    const comparator = new PatchComparator(ref, [5], PATCH_FRAMES, deg);
    const similarities = comparator.similarities(0, 0, 39);
    similarities.forEach((similarity, offset) => {
      const detailed = comparator.detailed(0, offset).similarity;
      assert.ok(Math.abs(similarity - detailed) < SEARCH_TOLERANCE, `offset ${offset}: ${similarity} vs ${detailed}`);
    });
  });

  it("gives an offset the same bits whatever range it is searched in, and each comparator its own signal's values", () => {
    const ref = spectrogram(50);
    const comparator = new PatchComparator(ref, [2, 25], PATCH_FRAMES, spectrogram(50));
    const whole = comparator.similarities(1, 0, 49);
    // Another comparator uses the shared kernel in between.
    const other = new PatchComparator(ref, [2], PATCH_FRAMES, spectrogram(30));
    const otherValues = other.similarities(0, 0, 29);
    for (const [first, last] of [[0, 0], [7, 7], [13, 18], [46, 49]]) {
      assert.deepEqual(comparator.similarities(1, first, last), whole.subarray(first, last + 1), `${first}..${last}`);
    }
    assert.deepEqual(other.similarities(0, 0, 29), otherValues);
  });

  it('refuses a patch or offsets it does not have, and a patch narrower than two frames', () => {
    const comparator = new PatchComparator(spectrogram(30), [0], PATCH_FRAMES, spectrogram(30));
    assert.throws(() => comparator.similarities(1, 0, 5), /reference patch 1 is not one of 0\.\.0/);
    assert.throws(() => comparator.similarities(0, 0, 30), /offsets 0\.\.30 are not within the degraded spectrogram's frames 0\.\.29/);
    assert.throws(() => comparator.detailed(0, -1), RangeError);
    assert.deepEqual(comparator.similarities(0, 5, 4), new Float64Array(0));
    assert.throws(() => new PatchComparator(spectrogram(30), [0], 1, spectrogram(30)), /patch width must be an integer of at least 2/);
  });
});
