import assert from 'node:assert/strict';
import { alignGlobally, bestLag, upperEnvelope } from '../../src/metrics/visqol/alignment.js';
import { CrossCorrelation } from '../../src/metrics/visqol/cross-correlation.js';

function random(length: number, seed: number): Float64Array {
  let state = seed;
  return Float64Array.from({ length }, () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647 - 0.5;
  });
}

/** The correlation at every lag -(L-1)..L-1 by its definition. */
function directCorrelation(a: Float64Array, b: Float64Array): { lags: number[]; values: number[] } {
  const longest = Math.max(a.length, b.length);
  const lags: number[] = [];
  const values: number[] = [];
  for (let lag = 1 - longest; lag < longest; lag++) {
    let sum = 0;
    for (let n = 0; n < b.length; n++) if (n + lag >= 0 && n + lag < a.length) sum += a[n + lag] * b[n];
    lags.push(lag);
    values.push(sum);
  }
  return { lags, values };
}

describe('CrossCorrelation (WebAssembly)', () => {
  it('finds the peak lag, its value and the runner-up of the direct correlation, at lengths equal and not', () => {
    const kernel = new CrossCorrelation();
    // Transforms of 8 to 16384 points (an even and an odd number of radix-2 stages); a shorter signal after a
    // longer one at the same size (2048) must not see the longer one's samples.
    const cases = [[1, 2, 5], [3, 2, 6], [5, 7, 1], [100, 100, 2], [640, 600, 3], [300, 640, 4], [3000, 2900, 8], [4200, 4100, 9]];
    for (const [aLength, bLength, seed] of cases) {
      const a = random(aLength, seed);
      const b = random(bLength, seed + 10);
      const inputs = kernel.inputs(aLength, bLength);
      inputs.a.set(a);
      inputs.b.set(b);
      const peak = kernel.peak(aLength, bLength);
      const { lags, values } = directCorrelation(a, b);
      const best = values.indexOf(Math.max(...values));
      const others = values.filter((_, i) => i !== best);
      assert.equal(peak.lag, lags[best], `${aLength} x ${bLength}`);
      assert.ok(Math.abs(peak.value - values[best]) < 1e-12 * aLength, `${peak.value} vs ${values[best]}`);
      assert.ok(Math.abs(peak.runnerUp - Math.max(...others)) < 1e-12 * aLength, `${peak.runnerUp} vs ${Math.max(...others)}`);
    }
  });

  it('reports a tie as a runner-up equal to the peak, and the first lag of the tie', () => {
    const kernel = new CrossCorrelation();
    const inputs = kernel.inputs(4, 4);
    inputs.a.set([1, 0, 0, 0]);
    inputs.b.set([1, 0, 0, 1]);
    const peak = kernel.peak(4, 4);
    assert.equal(peak.lag, -3);
    assert.equal(peak.value, peak.runnerUp);
  });
});

describe('alignGlobally', () => {
  it("applies fft.js's bestLag() of the upper envelopes to patch-sized signals: delays, advances, and lags left alone", () => {
    const reference = random(6400, 7);
    for (const shift of [0, 37, -250, 3500]) {
      const degraded = new Float64Array(6400);
      for (let i = 0; i < degraded.length; i++) degraded[i] = reference[i - shift] ?? 0;
      const expected = bestLag(upperEnvelope(reference), upperEnvelope(degraded));
      const applied = expected === 0 || Math.abs(expected) > 3200 ? 0 : expected;
      assert.equal(alignGlobally(reference, { data: degraded, origin: 0 }).lag, applied, `shift ${shift}`);
    }
  });
});
