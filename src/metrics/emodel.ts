/**
 * The E-model: a planning estimate of call quality from the codec, packet loss and delay.
 * Narrowband: ITU-T G.107 (06/2015), every parameter at its default except Ie, Bpl, Ppl, BurstR and the
 * delays. Wideband: ITU-T G.107.1, R on its 0-129 scale, reported as MOS through R / 1.29.
 *
 * Delay. G.107's defaults (T = Tr = Ta = 0) describe a connection without delay. A mouth-to-ear delay Ta is
 * taken to apply to the echo paths too, with echo cancelled to TELR = 65 dB (G.107's default): talker echo
 * T = Ta and listener echo round trip Tr = 2 Ta, as in G.107's own delay figures. So Id = Idte(T) + Idle(Tr)
 * + Idd(Ta), each by G.107's formula (not the 0.024 d + 0.11 (d - 177.3) H(d - 177.3) shortcut).
 * At the defaults, Id reduces to Idle = 0.149 (listener echo with WEPL 110 dB, Tr = 0; Idte = 0 for T < 1 ms,
 * Idd = 0 up to 100 ms). With Ro - Is = 93.355 that gives the familiar default R = 93.2.
 */

export type EModelCodec = 'PCMU' | 'PCMA' | 'G729' | 'G722' | 'AMR-WB' | 'opus';

export interface EModelInput {
  /** Case-insensitive (SDP names work: 'opus', 'pcmu'). */
  codec: EModelCodec;
  /** Packets lost in the network, percent of those sent (0-100). */
  lossPercent: number;
  /** G.107 BurstR: 1 for random loss, above 1 for bursty loss (see burstRatio()). Default 1; below 1 counts as 1. */
  burstRatio?: number;
  /** One-way mouth-to-ear delay: network, jitter buffer, packetization and codec. */
  mouthToEarDelayMs: number;
  /** Packets the jitter buffer discarded (late, or to cut delay), percent of those sent; adds to the loss. Default 0. */
  jitterBufferDiscardPercent?: number;
  /** G.711 only: whether the receiver conceals lost packets (earshot's G.711 decoder does). Default true. */
  plc?: boolean;
  /** G.722 (64, 56 or 48; default 64) and AMR-WB (one of its nine modes; required). Ignored for the others. */
  bitrateKbps?: number;
}

export interface EModelResult {
  /** Transmission rating: 0-100 narrowband, 0-129 wideband. */
  r: number;
  /** MOS-CQE, 1-4.5. */
  mos: number;
  band: 'narrowband' | 'wideband';
  /** How `mos` was reached: the G.107 polynomial on R, or on R / 1.29 for the wideband scale. */
  scale: 'narrowband' | 'wideband-R/1.29';
  ie: number;
  ieEff: number;
  /** Delay impairment (wideband: on the 129 scale). */
  id: number;
  /** Packet-loss robustness used; null when the codec has no sourced value (then loss must be 0). */
  bpl: number | null;
  /** Loss plus discards, percent. */
  ppl: number;
  /** The BurstR applied (at least 1). */
  burstRatio: number;
  /** Where ie and bpl come from. */
  codecSource: string;
}

interface CodecImpairment {
  band: 'narrowband' | 'wideband';
  ie: (bitrateKbps: number | undefined) => number;
  /** Bpl with concealment; the value without it where one is sourced. */
  bpl: number | null;
  bplWithoutPlc?: number;
  source: string;
}

const G711: CodecImpairment = {
  band: 'narrowband',
  // ITU-T G.113 Appendix I: G.711 Ie = 0; Bpl = 25.1 with G.711 Appendix I concealment, 4.3 without.
  ie: () => 0,
  bpl: 25.1,
  bplWithoutPlc: 4.3,
  source: 'ITU-T G.113 Appendix I (G.711: Ie 0; Bpl 25.1 with Appendix I PLC, 4.3 without)',
};

// ITU-T G.113 Appendix IV, provisional wideband planning values Ie,WB by mode (kbit/s).
const AMR_WB_IE: ReadonlyMap<number, number> = new Map([
  [6.6, 41], [8.85, 26], [12.65, 13], [14.25, 10], [15.85, 7], [18.25, 5], [19.85, 3], [23.05, 1], [23.85, 8],
]);
// ITU-T G.113 Appendix IV, G.722 Ie,WB at 64 / 56 / 48 kbit/s (planning-guide values).
const G722_IE: ReadonlyMap<number, number> = new Map([[64, 14], [56, 18], [48, 24]]);

const CODECS: Readonly<Record<EModelCodec, CodecImpairment>> = {
  PCMU: G711,
  PCMA: G711,
  G729: {
    band: 'narrowband',
    // ITU-T G.113 Appendix I: G.729A with VAD, Ie = 11, Bpl = 19.
    ie: () => 11,
    bpl: 19,
    source: 'ITU-T G.113 Appendix I (G.729A + VAD: Ie 11, Bpl 19)',
  },
  G722: {
    band: 'wideband',
    ie: (kbps = 64) => rateLookup('G722', G722_IE, kbps),
    // No sourced Bpl for G.722 is at hand: its E-model holds only without loss.
    bpl: null,
    source: 'ITU-T G.113 Appendix IV (G.722 Ie,WB 14/18/24 at 64/56/48 kbit/s); no sourced Bpl',
  },
  'AMR-WB': {
    band: 'wideband',
    ie: (kbps) => rateLookup('AMR-WB', AMR_WB_IE, kbps),
    bpl: null,
    source: 'ITU-T G.113 Appendix IV (AMR-WB Ie,WB by mode); no sourced Bpl',
  },
  opus: {
    band: 'wideband',
    // No ITU-T value exists for Opus. A published research estimate for 13 kbit/s wideband VBR gives Ie,WB 19.96,
    // Bpl 19.5 under random loss and 16.9 under bursty loss. earshot applies it at every bitrate: Opus only gets
    // better with bitrate, so above 13 kbit/s this overstates the coding impairment. Bpl is the random-loss value
    // for every loss pattern, G.107's way: burstiness enters through BurstR alone.
    ie: () => 19.96,
    bpl: 19.5,
    source:
      'no ITU-T value for Opus: research estimate for 13 kbit/s wideband VBR (Ie,WB 19.96, Bpl 19.5 random loss), applied at every bitrate (pessimistic above 13 kbit/s)',
  },
};

export const EMODEL_CODECS = Object.freeze(Object.keys(CODECS) as EModelCodec[]);

/** The E-model's name for a codec, case-insensitive (SDP names work), or undefined. */
export function findEModelCodec(name: string): EModelCodec | undefined {
  return EMODEL_CODECS.find((codec) => codec.toLowerCase() === name.toLowerCase());
}

/** G.107 (narrowband) or G.107.1 (wideband) rating and MOS for one direction of a call. */
export function eModel(input: EModelInput): EModelResult {
  const codecName = findEModelCodec(String(input.codec));
  if (!codecName) throw new RangeError(`the E-model knows no codec '${input.codec}'; it knows ${EMODEL_CODECS.join(', ')}`);
  const codec = CODECS[codecName];
  const lossPercent = checkPercent('lossPercent', input.lossPercent);
  const discardPercent = checkPercent('jitterBufferDiscardPercent', input.jitterBufferDiscardPercent ?? 0);
  const ppl = lossPercent + discardPercent;
  if (ppl > 100 + 1e-9) throw new RangeError(`loss ${lossPercent}% plus discards ${discardPercent}% exceed 100%`);
  const burstRatio = input.burstRatio ?? 1;
  if (!(Number.isFinite(burstRatio) && burstRatio > 0)) throw new RangeError(`burstRatio must be a positive number, got ${burstRatio}`);
  const delayMs = input.mouthToEarDelayMs;
  if (!(Number.isFinite(delayMs) && delayMs >= 0)) throw new RangeError(`mouthToEarDelayMs must be a non-negative number, got ${delayMs}`);

  const plc = input.plc ?? true;
  if (!plc && codec.bplWithoutPlc === undefined) throw new RangeError(`no sourced Bpl for ${codecName} without concealment`);
  const bpl = plc ? codec.bpl : (codec.bplWithoutPlc as number);
  if (bpl === null && ppl > 0) {
    throw new RangeError(`no sourced packet-loss robustness (Bpl) for ${codecName}: its E-model holds only without loss`);
  }
  const ie = codec.ie(input.bitrateKbps);
  // G.107 defines BurstR for random (1) and bursty (> 1) loss; a pattern more even than random counts as random.
  const appliedBurstRatio = Math.max(1, burstRatio);
  const delays = delayTerms(delayMs);

  if (codec.band === 'narrowband') {
    const ieEff = effectiveIe(ie, 95, ppl, appliedBurstRatio, bpl ?? 0);
    const id = delays.idte + delays.idle + delays.idd;
    const r = RO - simultaneousImpairment(delays.talkerEchoMs) - id - ieEff;
    const common = { ie, ieEff, id, bpl, ppl, burstRatio: appliedBurstRatio, codecSource: codec.source };
    return { r, mos: mosFromR(r), band: 'narrowband', scale: 'narrowband', ...common };
  }
  // G.107.1: R = 129 - Id,WB - Ie,eff,WB, the loss term growing towards the 129 scale's maximum. Id,WB here is the
  // narrowband delay and echo impairment above its zero-delay value, moved onto the wideband scale (x 1.29).
  const ieEff = effectiveIe(ie, WIDEBAND_R_MAX, ppl, appliedBurstRatio, bpl ?? 0);
  const id = WIDEBAND_SCALE * (delays.idte + delays.idle - IDLE_AT_ZERO_DELAY + delays.idd);
  const r = WIDEBAND_R_MAX - id - ieEff;
  const common = { ie, ieEff, id, bpl, ppl, burstRatio: appliedBurstRatio, codecSource: codec.source };
  return { r, mos: mosFromR(r / WIDEBAND_SCALE), band: 'wideband', scale: 'wideband-R/1.29', ...common };
}

/** G.107 Annex B: MOS-CQE from the narrowband rating R. */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/**
 * G.107's BurstR of a loss pattern (truthy = lost, in sequence order), by the two-state Markov model:
 * p = P(loss | previous received) and r = P(received | previous lost), estimated as p = loss runs / received
 * packets and r = loss runs / lost packets; BurstR = 1 / (p + r). That equals G.107's other definition, the
 * observed mean loss-run length over the one random loss at the same rate would give (1 / (1 - loss)).
 * 1 for random loss, above 1 for bursty loss, below 1 for losses more evenly spread than random.
 * No loss, or everything lost: 1 (the ratio is undefined; neither is burstier than random).
 */
export function burstRatio(pattern: ArrayLike<boolean | number>): number {
  let lost = 0;
  let lossRuns = 0;
  let previousLost = false;
  for (let i = 0; i < pattern.length; i++) {
    const isLost = Boolean(pattern[i]);
    if (isLost) {
      lost++;
      if (!previousLost) lossRuns++;
    }
    previousLost = isLost;
  }
  const received = pattern.length - lost;
  if (lost === 0 || received === 0) return 1;
  const p = lossRuns / received;
  const r = lossRuns / lost;
  return 1 / (p + r);
}

const WIDEBAND_R_MAX = 129;
const WIDEBAND_SCALE = 1.29;

// G.107 default parameters (06/2015, Table 1).
const SLR = 8; // send loudness rating, dB
const RLR = 2; // receive loudness rating, dB
const STMR = 15; // sidetone masking rating, dB
const LSTR = 18; // listener sidetone rating, dB
const DS = 3; // D-value of the telephone, send side
const TELR = 65; // talker echo loudness rating, dB
const WEPL = 110; // weighted echo path loss, dB
const QDU = 1; // quantizing distortion units
const NC = -70; // circuit noise, dBm0p
const NFOR = -64; // noise floor, dBmp
const PS = 35; // room noise, send side, dB(A)
const PR = 35; // room noise, receive side, dB(A)
const MT = 100; // delay below which Idd is 0, ms

const OLR = SLR + RLR;
/** Total noise at the 0 dBr point, No (G.107 7.2). */
const NO = (() => {
  const pre = PR + 10 * Math.log10(1 + 10 ** ((10 - LSTR) / 10));
  const nor = RLR - 121 + pre + 0.008 * (pre - 35) ** 2;
  const nos = PS - SLR - DS - 100 + 0.004 * (PS - OLR - DS - 14) ** 2;
  const nfo = NFOR + RLR;
  return 10 * Math.log10(10 ** (NC / 10) + 10 ** (nos / 10) + 10 ** (nor / 10) + 10 ** (nfo / 10));
})();
/** Basic signal-to-noise ratio Ro = 94.77 at the defaults. */
const RO = 15 - 1.5 * (SLR + NO);

/** Is = Iolr + Ist + Iq (G.107 7.3); 1.41 at the defaults. Ist depends a little on the talker echo delay T. */
function simultaneousImpairment(talkerEchoMs: number): number {
  const xolr = OLR + 0.2 * (64 + NO - RLR);
  const iolr = 20 * ((1 + (xolr / 8) ** 8) ** (1 / 8) - xolr / 8);
  const stmro = -10 * Math.log10(10 ** (-STMR / 10) + Math.exp(-talkerEchoMs / 4) * 10 ** (-TELR / 10));
  const ist =
    12 * (1 + ((stmro - 13) / 6) ** 8) ** (1 / 8) -
    28 * (1 + ((stmro + 1) / 19.4) ** 35) ** (1 / 35) -
    13 * (1 + ((stmro - 3) / 33) ** 13) ** (1 / 13) +
    29;
  const q = 37 - 15 * Math.log10(QDU);
  const g = 1.07 + 0.258 * q + 0.0602 * q * q;
  const y = (RO - 100) / 15 + 46 / 8.4 - g / 9;
  const z = 46 / 30 - g / 40;
  const iq = 15 * Math.log10(1 + 10 ** y + 10 ** z);
  return iolr + ist + iq;
}

/** G.107 7.4 delay terms for mouth-to-ear delay Ta, with T = Ta and Tr = 2 Ta (see the file header). */
function delayTerms(mouthToEarMs: number): { idte: number; idle: number; idd: number; talkerEchoMs: number } {
  return {
    idte: talkerEchoImpairment(mouthToEarMs),
    idle: listenerEchoImpairment(2 * mouthToEarMs),
    idd: absoluteDelayImpairment(mouthToEarMs),
    talkerEchoMs: mouthToEarMs,
  };
}

function talkerEchoImpairment(t: number): number {
  // Below 1 ms talker echo is sidetone (G.107 7.4).
  if (t < 1) return 0;
  const terv = TELR - 40 * Math.log10((1 + t / 10) / (1 + t / 150)) + 6 * Math.exp(-0.3 * t * t);
  const roe = -1.5 * (NO - RLR);
  const re = 80 + 2.5 * (terv - 14);
  return ((roe - re) / 2 + Math.sqrt((roe - re) ** 2 / 4 + 100) - 1) * (1 - Math.exp(-t));
}

function listenerEchoImpairment(tr: number): number {
  const rle = 10.5 * (WEPL + 7) * (tr + 1) ** -0.25;
  return (RO - rle) / 2 + Math.sqrt((RO - rle) ** 2 / 4 + 169);
}

function absoluteDelayImpairment(ta: number): number {
  if (ta <= MT) return 0;
  const x = Math.log2(ta / MT);
  return 25 * ((1 + x ** 6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2);
}

const IDLE_AT_ZERO_DELAY = listenerEchoImpairment(0);

/** Ie,eff = Ie + (max - Ie) Ppl / (Ppl / BurstR + Bpl): max is 95 narrowband, 129 wideband. */
function effectiveIe(ie: number, max: number, ppl: number, burstR: number, bpl: number): number {
  if (ppl === 0) return ie;
  return ie + ((max - ie) * ppl) / (ppl / burstR + bpl);
}

function rateLookup(codec: string, table: ReadonlyMap<number, number>, kbps: number | undefined): number {
  const ie = kbps === undefined ? undefined : table.get(kbps);
  if (ie === undefined) throw new RangeError(`${codec} bitrateKbps must be one of ${[...table.keys()].join(', ')}, got ${kbps}`);
  return ie;
}

function checkPercent(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0 && value <= 100)) throw new RangeError(`${name} must be a percentage 0-100, got ${value}`);
  return value;
}
