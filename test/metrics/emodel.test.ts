import assert from 'node:assert/strict';
import { burstRatio, eModel, findEModelCodec, mosFromR } from '../../src/metrics/emodel.js';

/** A loss pattern repeating `received` packets then a run of `lost`: loss lost/(received+lost), mean burst `lost`. */
function periodicLoss(received: number, lost: number, periods = 50): boolean[] {
  const period = [...Array<boolean>(received).fill(false), ...Array<boolean>(lost).fill(true)];
  return Array.from({ length: periods }, () => period).flat();
}

function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

describe('eModel (ITU-T G.107 narrowband)', () => {
  // /work/shared/PROFILES.md, "E-model MOS vs loss (G.107, default ratings, no delay)". The bursty column's
  // "burst B" is a Gilbert mean loss-run length; its BurstR, B (1 - loss), is what burstRatio() measures on a
  // pattern of runs of B, so those rows go through burstRatio() of a real pattern.
  const table: Array<{ loss: number; plcRandom: number; plcBursty: number; burst: number; noPlc: number; g729: number }> = [
    { loss: 0, plcRandom: 4.41, plcBursty: 4.41, burst: 1, noPlc: 4.41, g729: 4.1 },
    { loss: 1, plcRandom: 4.33, plcBursty: 4.33, burst: 1, noPlc: 3.83, g729: 3.95 },
    { loss: 5, plcRandom: 3.92, plcBursty: 3.87, burst: 2, noPlc: 2.17, g729: 3.34 },
    { loss: 10, plcRandom: 3.41, plcBursty: 3.11, burst: 3, noPlc: 1.48, g729: 2.75 },
    { loss: 20, plcRandom: 2.63, plcBursty: 1.72, burst: 4, noPlc: 1.12, g729: 2.02 },
  ];
  for (const row of table) {
    it(`reproduces the G.107 anchors at ${row.loss}% loss within 0.01 MOS`, () => {
      const at = (codec: 'PCMU' | 'G729', extra: { plc?: boolean; burstRatio?: number } = {}) =>
        eModel({ codec, lossPercent: row.loss, mouthToEarDelayMs: 0, ...extra }).mos;
      near(at('PCMU'), row.plcRandom, 0.01, 'G.711 + PLC, random');
      near(at('PCMU', { plc: false }), row.noPlc, 0.01, 'G.711 without PLC');
      near(at('G729'), row.g729, 0.01, 'G.729A + VAD');
      let bursty = 1;
      if (row.burst > 1) {
        const period = Math.round((row.burst * 100) / row.loss);
        const pattern = periodicLoss(period - row.burst, row.burst);
        bursty = burstRatio(pattern);
        near(bursty, row.burst * (1 - row.loss / 100), 1e-12, 'BurstR of the pattern');
      }
      near(at('PCMU', { burstRatio: bursty }), row.plcBursty, 0.01, `G.711 + PLC, burst ${row.burst}`);
    });
  }

  it('gives R = 93.2 at the defaults, the only delay term being listener echo (Idle = 0.149)', () => {
    const result = eModel({ codec: 'PCMA', lossPercent: 0, mouthToEarDelayMs: 0 });
    near(result.r, 93.206, 0.001, 'R');
    near(result.id, 0.149, 0.001, 'Id');
    assert.equal(result.ieEff, 0);
    assert.equal(result.band, 'narrowband');
    assert.equal(result.scale, 'narrowband');
    assert.match(result.codecSource, /G\.113 Appendix I/);
  });

  it("follows G.107's delay terms, not the 0.024 d shortcut", () => {
    // PROFILES.md lists 150/250/300 ms as 4.33/3.99/3.71: G.107 with echo delays T = Ta, Tr = 2 Ta agrees.
    for (const [delayMs, mos] of [[150, 4.33], [250, 3.99], [300, 3.71]]) {
      near(eModel({ codec: 'PCMU', lossPercent: 0, mouthToEarDelayMs: delayMs }).mos, mos, 0.01, `${delayMs} ms`);
    }
    // Its 400 ms anchor, 3.05, is the shortcut's (Id = 0.024 d + 0.11 (d - 177.3) = 34.1); G.107 gives R 62.2, MOS 3.22.
    const at400 = eModel({ codec: 'PCMU', lossPercent: 0, mouthToEarDelayMs: 400 });
    near(at400.r, 62.25, 0.01, 'R at 400 ms');
    near(at400.mos, 3.216, 0.001, 'MOS at 400 ms');
  });

  it('counts jitter-buffer discards as loss', () => {
    const split = eModel({ codec: 'PCMU', lossPercent: 3, jitterBufferDiscardPercent: 2, burstRatio: 1.5, mouthToEarDelayMs: 80 });
    const whole = eModel({ codec: 'PCMU', lossPercent: 5, burstRatio: 1.5, mouthToEarDelayMs: 80 });
    assert.equal(split.ppl, 5);
    assert.equal(split.mos, whole.mos);
  });

  it('treats a loss pattern more even than random as random', () => {
    const result = eModel({ codec: 'PCMU', lossPercent: 5, burstRatio: 0.5, mouthToEarDelayMs: 0 });
    assert.equal(result.burstRatio, 1);
    assert.equal(result.mos, eModel({ codec: 'PCMU', lossPercent: 5, mouthToEarDelayMs: 0 }).mos);
  });

  it('rejects what it cannot rate', () => {
    const base = { codec: 'PCMU' as const, lossPercent: 1, mouthToEarDelayMs: 0 };
    assert.throws(() => eModel({ ...base, codec: 'speex' as never }), /knows no codec 'speex'/);
    assert.throws(() => eModel({ ...base, lossPercent: -1 }), RangeError);
    assert.throws(() => eModel({ ...base, lossPercent: Number.NaN }), RangeError);
    assert.throws(() => eModel({ ...base, lossPercent: 60, jitterBufferDiscardPercent: 50 }), /exceed 100%/);
    assert.throws(() => eModel({ ...base, mouthToEarDelayMs: Number.POSITIVE_INFINITY }), RangeError);
    assert.throws(() => eModel({ ...base, burstRatio: 0 }), RangeError);
  });
});

describe('eModel (ITU-T G.107.1 wideband)', () => {
  it('rates Opus on the 129 scale and says how MOS was reached', () => {
    const result = eModel({ codec: findEModelCodec('OPUS')!, lossPercent: 0, mouthToEarDelayMs: 0 });
    assert.equal(result.band, 'wideband');
    assert.equal(result.scale, 'wideband-R/1.29');
    near(result.r, 129 - 19.96, 1e-9, 'R');
    near(result.mos, 4.183, 0.001, 'MOS');
    assert.equal(result.bpl, 19.5);
    assert.match(result.codecSource, /no ITU-T value/);
  });

  it('applies loss towards the wideband maximum of 129', () => {
    // Ie,eff = 19.96 + (129 - 19.96) * 5 / (5 / 2 + 19.5) = 44.74...
    const result = eModel({ codec: 'opus', lossPercent: 5, burstRatio: 2, mouthToEarDelayMs: 0 });
    near(result.ieEff, 19.96 + (109.04 * 5) / 22, 1e-9, 'Ie,eff');
    near(result.mos, mosFromR((129 - result.ieEff) / 1.29), 1e-12, 'MOS');
  });

  it('moves the narrowband delay impairment onto the wideband scale', () => {
    const narrow = eModel({ codec: 'PCMU', lossPercent: 0, mouthToEarDelayMs: 250 });
    const narrowAtZero = eModel({ codec: 'PCMU', lossPercent: 0, mouthToEarDelayMs: 0 });
    const wide = eModel({ codec: 'opus', lossPercent: 0, mouthToEarDelayMs: 250 });
    near(wide.id, 1.29 * (narrow.id - narrowAtZero.id), 1e-9, 'Id,WB');
  });

  it('knows G.722 and AMR-WB coding impairments but no sourced Bpl for them', () => {
    assert.equal(eModel({ codec: 'G722', lossPercent: 0, mouthToEarDelayMs: 0 }).r, 129 - 14);
    assert.equal(eModel({ codec: 'G722', bitrateKbps: 48, lossPercent: 0, mouthToEarDelayMs: 0 }).ie, 24);
    assert.equal(eModel({ codec: 'AMR-WB', bitrateKbps: 12.65, lossPercent: 0, mouthToEarDelayMs: 0 }).ie, 13);
    assert.equal(eModel({ codec: 'G722', lossPercent: 0, mouthToEarDelayMs: 0 }).bpl, null);
    assert.throws(() => eModel({ codec: 'G722', lossPercent: 1, mouthToEarDelayMs: 0 }), /no sourced packet-loss robustness/);
    assert.throws(() => eModel({ codec: 'AMR-WB', lossPercent: 0, mouthToEarDelayMs: 0 }), /bitrateKbps must be one of/);
    assert.throws(() => eModel({ codec: 'opus', plc: false, lossPercent: 0, mouthToEarDelayMs: 0 }), /without concealment/);
  });
});

describe('burstRatio', () => {
  it('is 1 for random-like loss, higher for runs, lower for evenly spread loss', () => {
    // Loss 1 in 4 at random has mean run 1 / (1 - 0.25) = 4/3; this pattern's runs are 1, 2 and 1 (mean 4/3).
    assert.equal(burstRatio([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0]), 1);
    assert.equal(burstRatio(periodicLoss(8, 2)), 2 * 0.8);
    assert.equal(burstRatio([true, false, true, false]), 0.5);
  });

  it('is 1 when the ratio is undefined: no packets, no loss, everything lost', () => {
    assert.equal(burstRatio([]), 1);
    assert.equal(burstRatio([0, 0, 0]), 1);
    assert.equal(burstRatio(new Uint8Array([1, 1, 1])), 1);
  });
});
