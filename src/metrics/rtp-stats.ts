/**
 * Network statistics of one received RTP stream from its packet log: loss, duplicates, reordering, jitter-buffer
 * discards, RFC 3550 interarrival jitter, the RFC 3611 (4.7.2) burst/gap figures and G.107's burst ratio.
 *
 * Conventions
 * - One stream: the packets of `options.ssrc`, else of the first entry's SSRC; others are only counted.
 * - Sequence numbers are extended past 16-bit wraps (each one taken nearest to the highest seen so far), so
 *   reordering across 65535 -> 0 is handled. Without `sent`, the packets expected run from the lowest extended
 *   sequence number received to the highest: losses before the first or after the last received packet are
 *   invisible. With `sent` (the sender's log), the packets expected are exactly those sent.
 * - `lost` counts expected packets that never arrived, each once: unlike RFC 3550's cumulative counter it never
 *   goes negative, and duplicates are counted apart.
 * - Discards: a packet that arrived but was never played because the jitter buffer gave it fate 'late' (its
 *   slot had already been played or concealed) or 'dropped' (thrown away to cut delay) counts in `late` or
 *   `dropped`, not in `lost`. Both are lost to the listener, so the loss pattern behind the burst figures and
 *   the burst ratio treats them as lost (as RFC 3611 does with discards), and the E-model takes
 *   `discardPercent` as jitterBufferDiscardPercent.
 * - Jitter: RFC 3550 A.8 over the packets in arrival order (duplicates skipped), in ms. Timestamps are taken
 *   relative to the first expected packet's modulo 2^32, so they must stay within 2^31 ticks of it
 *   (12 h at 48 kHz).
 */
import { burstRatio } from './emodel.js';

export type ReceivedPacketFate = 'played' | 'late' | 'duplicate' | 'dropped';

/** What the statistics need of a received packet (media's PacketLogEntry fits). */
export interface ReceivedPacket {
  arrivalMs: number;
  seq: number;
  timestamp: number;
  ssrc?: number;
  payloadType?: number;
  fate?: ReceivedPacketFate;
}

/** What the statistics need of a sent packet (media's SentPacketEntry fits). */
export interface SentPacket {
  seq: number;
  timestamp: number;
}

export interface StreamOptions {
  /** RTP clock rate (48000 Opus, 8000 G.711). */
  clockRate: number;
  /** The sender's log of the same stream: losses are judged against what was sent. */
  sent?: readonly SentPacket[];
  /** The stream to measure; default the first entry's SSRC. */
  ssrc?: number;
  /** Jitter only over this payload type (telephone events carry their event's start timestamp); default all. */
  audioPayloadType?: number;
}

export interface RtpStatisticsOptions extends StreamOptions {
  /** RFC 3611 Gmin: received packets in a row that end a burst; default 16. */
  gmin?: number;
}

export interface RtpStatistics {
  expected: number;
  /** Distinct expected packets received (of which `late + dropped` were discarded unplayed). */
  received: number;
  /** Distinct received packets that `sent` does not list: outside all other counts. */
  unlisted: number;
  lost: number;
  /** lost / expected, percent. */
  lossPercent: number;
  /** Extra copies of packets already received. */
  duplicated: number;
  /** Packets that arrived after one with a higher sequence number. */
  reordered: number;
  /** Discarded unplayed by the jitter buffer as too late. */
  late: number;
  /** Discarded unplayed by the jitter buffer to cut delay (or on a reset). */
  dropped: number;
  /** (late + dropped) / expected, percent. */
  discardPercent: number;
  /** RFC 3550 interarrival jitter at the end of the stream, ms. */
  jitterMs: number;
  /** RFC 3611: share (0-1) of the packets in bursts that were lost or discarded. */
  burstDensity: number;
  /** RFC 3611: share (0-1) of the packets in gaps that were lost or discarded. */
  gapDensity: number;
  /** RFC 3611 mean burst and gap lengths, packets (0 when there is none). */
  meanBurstLengthPackets: number;
  meanGapLengthPackets: number;
  /** The longest RFC 3611 burst, packets. */
  maxBurstPackets: number;
  /** The longest run of consecutive lost or discarded packets. */
  maxConsecutiveLost: number;
  /** G.107 BurstR of the lost-or-discarded pattern (see burstRatio()). */
  burstRatio: number;
  /** Entries of other SSRCs, left out. */
  otherSsrcPackets: number;
}

const DEFAULT_GMIN = 16;
const MAX_EXPECTED = 50_000_000;

/** Slot states, one per expected packet (bit flags). */
const SLOT_RECEIVED = 1;
const SLOT_PLAYED = 2;
const SLOT_LATE = 4;
const SLOT_DROPPED = 8;

/**
 * A stream laid out per expected packet (slot, in sequence order), and its arrivals: the shared core of
 * rtpStatistics() and networkWindows().
 */
export interface StreamSlots {
  /** Flags per expected packet, read with slotOutcome(). */
  readonly state: Uint8Array;
  /** RTP timestamp of each slot relative to the first slot's, in ticks (lost slots interpolated without `sent`). */
  readonly slotTicks: Float64Array;
  /** Per non-duplicate packet of the stream, in arrival order: its RTP timestamp relative to the first slot's. */
  readonly arrivalMediaTicks: Float64Array;
  /** Per non-duplicate packet, in arrival order: arrival time minus timestamp, in ticks; NaN when left out of jitter. */
  readonly transitTicks: Float64Array;
  /** Distinct received packets `sent` does not list (outside the loss pattern). */
  readonly unlisted: number;
  readonly duplicated: number;
  readonly reordered: number;
  readonly otherSsrcPackets: number;
}

/** What became of an expected packet: reached the listener ('kept'), never arrived, or discarded unplayed. */
export type SlotOutcome = 'kept' | 'lost' | 'late' | 'dropped';

export function slotOutcome(state: number): SlotOutcome {
  if (!(state & SLOT_RECEIVED)) return 'lost';
  if (state & SLOT_PLAYED) return 'kept';
  if (state & SLOT_LATE) return 'late';
  if (state & SLOT_DROPPED) return 'dropped';
  return 'kept';
}

/** Summary network statistics of one received stream. */
export function rtpStatistics(received: readonly ReceivedPacket[], options: RtpStatisticsOptions): RtpStatistics {
  const gmin = options.gmin ?? DEFAULT_GMIN;
  if (!(Number.isInteger(gmin) && gmin >= 1)) throw new RangeError(`gmin must be a positive integer, got ${gmin}`);
  const slots = streamSlots(received, options);
  const { state } = slots;
  const expected = state.length;

  const missed = new Uint8Array(expected);
  let lost = 0;
  let late = 0;
  let dropped = 0;
  for (let i = 0; i < expected; i++) {
    const outcome = slotOutcome(state[i]);
    if (outcome === 'lost') lost++;
    else if (outcome === 'late') late++;
    else if (outcome === 'dropped') dropped++;
    missed[i] = outcome === 'kept' ? 0 : 1;
  }
  const bursts = burstGapFigures(missed, gmin);
  return {
    expected,
    received: expected - lost,
    unlisted: slots.unlisted,
    lost,
    lossPercent: percent(lost, expected),
    duplicated: slots.duplicated,
    reordered: slots.reordered,
    late,
    dropped,
    discardPercent: percent(late + dropped, expected),
    jitterMs: (rfc3550Jitter(slots.transitTicks) * 1000) / options.clockRate,
    ...bursts,
    burstRatio: burstRatio(missed),
    otherSsrcPackets: slots.otherSsrcPackets,
  };
}

/** The RFC 3550 A.8 running estimate J over transits in arrival order (NaN entries skipped), in ticks. */
function rfc3550Jitter(transitTicks: Float64Array): number {
  let jitter = 0;
  let previous = NaN;
  for (const transit of transitTicks) {
    if (Number.isNaN(transit)) continue;
    if (!Number.isNaN(previous)) jitter += (Math.abs(transit - previous) - jitter) / 16;
    previous = transit;
  }
  return jitter;
}

type BurstGapFigures = Pick<
  RtpStatistics,
  'burstDensity' | 'gapDensity' | 'meanBurstLengthPackets' | 'meanGapLengthPackets' | 'maxBurstPackets' | 'maxConsecutiveLost'
>;

/**
 * RFC 3611 4.7.2 on a finished loss pattern (1 = lost or discarded). A burst is the longest run that starts and
 * ends with a loss and holds no Gmin or more received packets in a row; the gaps are the rest. As the RFC
 * assumes, the stream is taken to be preceded and followed by Gmin received packets, so a loss with Gmin or more
 * received packets (or the stream's edge) on both sides lies in a gap, and every burst holds at least two losses.
 */
function burstGapFigures(missed: Uint8Array, gmin: number): BurstGapFigures {
  const total = missed.length;
  let totalLost = 0;
  let burstCount = 0;
  let burstPackets = 0;
  let burstLost = 0;
  let maxBurstPackets = 0;
  let maxConsecutiveLost = 0;
  let gapCount = 0;
  let run = 0;
  // The loss cluster being built: first and last loss, how many losses.
  let clusterStart = -1;
  let clusterEnd = -1;
  let clusterLost = 0;
  let previousBurstEnd = -1;
  const closeCluster = () => {
    if (clusterLost >= 2) {
      const length = clusterEnd - clusterStart + 1;
      burstCount++;
      burstPackets += length;
      burstLost += clusterLost;
      maxBurstPackets = Math.max(maxBurstPackets, length);
      if (clusterStart > previousBurstEnd + 1) gapCount++;
      previousBurstEnd = clusterEnd;
    }
  };
  for (let i = 0; i < total; i++) {
    if (!missed[i]) {
      run = 0;
      continue;
    }
    totalLost++;
    run++;
    maxConsecutiveLost = Math.max(maxConsecutiveLost, run);
    if (clusterLost > 0 && i - clusterEnd - 1 < gmin) {
      clusterEnd = i;
      clusterLost++;
    } else {
      closeCluster();
      clusterStart = clusterEnd = i;
      clusterLost = 1;
    }
  }
  closeCluster();
  if (previousBurstEnd < total - 1) gapCount++;
  const gapPackets = total - burstPackets;
  return {
    burstDensity: burstPackets ? burstLost / burstPackets : 0,
    gapDensity: gapPackets ? (totalLost - burstLost) / gapPackets : 0,
    meanBurstLengthPackets: burstCount ? burstPackets / burstCount : 0,
    meanGapLengthPackets: gapCount ? gapPackets / gapCount : 0,
    maxBurstPackets,
    maxConsecutiveLost,
  };
}

/** Lays a received stream out per expected packet (see StreamSlots). */
export function streamSlots(received: readonly ReceivedPacket[], options: StreamOptions): StreamSlots {
  const { clockRate, sent } = options;
  if (!(Number.isFinite(clockRate) && clockRate > 0)) throw new RangeError(`clockRate must be a positive number, got ${clockRate}`);
  received.forEach((packet, index) => checkPacket('received', index, packet, true));
  sent?.forEach((packet, index) => checkPacket('sent', index, packet, false));

  const ssrc = options.ssrc ?? received.find((packet) => packet.ssrc !== undefined)?.ssrc;
  const stream = received.filter((packet) => packet.ssrc === undefined || ssrc === undefined || packet.ssrc === ssrc);
  const otherSsrcPackets = received.length - stream.length;

  // Both logs are extended from the same starting point: the first sent packet, else the first received one.
  const origin = sent?.length ? sent[0].seq : stream.length ? stream[0].seq : 0;
  const receivedExt = extendSequenceNumbers(stream.map((packet) => packet.seq), origin);
  const sentExt = sent ? extendSequenceNumbers(sent.map((packet) => packet.seq), origin) : undefined;

  // Slot of each expected extended sequence number, over [low, high].
  const [low, span] = extent(sentExt ?? receivedExt);
  const slotOf = new Int32Array(span).fill(-1);
  let slotCount = span;
  if (sentExt) {
    // Mark the offsets sent, then number them in sequence order.
    sentExt.forEach((ext, i) => {
      if (slotOf[ext - low] !== -1) throw new RangeError(`sent log lists sequence number ${sent![i].seq} twice`);
      slotOf[ext - low] = i;
    });
    slotCount = 0;
    for (let offset = 0; offset < span; offset++) if (slotOf[offset] !== -1) slotOf[offset] = slotCount++;
  } else {
    for (let offset = 0; offset < span; offset++) slotOf[offset] = offset;
  }

  const first = sent?.length ? lowestBy(sent, sentExt!) : stream.length ? lowestBy(stream, receivedExt) : undefined;
  const timestampOrigin = first?.timestamp ?? 0;
  const ticksFrom = (timestamp: number) => (timestamp - timestampOrigin) | 0;

  const state = new Uint8Array(slotCount);
  const slotTicks = new Float64Array(slotCount).fill(NaN);
  if (sent && sentExt) sent.forEach((packet, i) => (slotTicks[slotOf[sentExt[i] - low]] = ticksFrom(packet.timestamp)));

  const arrivalMediaTicks = new Float64Array(stream.length);
  const transitTicks = new Float64Array(stream.length);
  let arrivals = 0;
  const [receivedLow, receivedSpan] = extent(receivedExt);
  const seen = new Uint8Array(receivedSpan);
  let highestArrived = -Infinity;
  let duplicated = 0;
  let reordered = 0;
  let unlisted = 0;
  stream.forEach((packet, i) => {
    const ext = receivedExt[i];
    const offset = ext - low;
    const slot = offset >= 0 && offset < span ? slotOf[offset] : -1;
    if (slot >= 0) state[slot] |= fateFlag(packet.fate);
    if (seen[ext - receivedLow]) {
      duplicated++;
      return;
    }
    seen[ext - receivedLow] = 1;
    if (ext < highestArrived) reordered++;
    highestArrived = Math.max(highestArrived, ext);
    const ticks = ticksFrom(packet.timestamp);
    if (slot >= 0) {
      state[slot] |= SLOT_RECEIVED;
      if (!sent) slotTicks[slot] = ticks;
    } else {
      unlisted++;
    }
    const inJitter = options.audioPayloadType === undefined || packet.payloadType === options.audioPayloadType;
    arrivalMediaTicks[arrivals] = ticks;
    transitTicks[arrivals++] = inJitter ? (packet.arrivalMs * clockRate) / 1000 - ticks : NaN;
  });
  if (!sent) interpolateGaps(slotTicks);

  return {
    state,
    slotTicks,
    arrivalMediaTicks: arrivalMediaTicks.subarray(0, arrivals),
    transitTicks: transitTicks.subarray(0, arrivals),
    unlisted,
    duplicated,
    reordered,
    otherSsrcPackets,
  };
}

/** Extends 16-bit sequence numbers, each taken nearest to the highest extended one so far (starting at `origin`). */
function extendSequenceNumbers(seqs: readonly number[], origin: number): number[] {
  let highest = origin;
  return seqs.map((seq) => {
    const ext = highest + ((((seq - highest) & 0xffff) << 16) >> 16);
    if (ext > highest) highest = ext;
    return ext;
  });
}

/** Lowest value and the span up to the highest, checked to be one stream's. */
function extent(exts: readonly number[]): [low: number, span: number] {
  if (exts.length === 0) return [0, 0];
  let low = Infinity;
  let high = -Infinity;
  for (const ext of exts) {
    if (ext < low) low = ext;
    if (ext > high) high = ext;
  }
  const span = high - low + 1;
  if (span > MAX_EXPECTED) throw new RangeError(`sequence numbers span ${span} packets: not one RTP stream`);
  return [low, span];
}

function lowestBy<T>(items: readonly T[], keys: readonly number[]): T {
  let best = 0;
  for (let i = 1; i < keys.length; i++) if (keys[i] < keys[best]) best = i;
  return items[best];
}

/** Fills NaN runs linearly between their neighbours (the ends are always set: they were received). */
function interpolateGaps(ticks: Float64Array): void {
  let lastKnown = -1;
  for (let i = 0; i < ticks.length; i++) {
    if (Number.isNaN(ticks[i])) continue;
    if (lastKnown >= 0 && i - lastKnown > 1) {
      const step = (ticks[i] - ticks[lastKnown]) / (i - lastKnown);
      for (let j = lastKnown + 1; j < i; j++) ticks[j] = ticks[lastKnown] + step * (j - lastKnown);
    }
    lastKnown = i;
  }
}

function fateFlag(fate: ReceivedPacketFate | undefined): number {
  switch (fate) {
    case 'played':
      return SLOT_PLAYED;
    case 'late':
      return SLOT_LATE;
    case 'dropped':
      return SLOT_DROPPED;
    default:
      return 0;
  }
}

function checkPacket(log: string, index: number, packet: ReceivedPacket | SentPacket, needsArrival: boolean): void {
  const { seq, timestamp } = packet;
  if (!(Number.isInteger(seq) && seq >= 0 && seq <= 0xffff)) throw new RangeError(`${log}[${index}].seq must be an integer 0-65535, got ${seq}`);
  if (!(Number.isInteger(timestamp) && timestamp >= 0 && timestamp <= 0xffffffff)) {
    throw new RangeError(`${log}[${index}].timestamp must be an integer 0-4294967295, got ${timestamp}`);
  }
  if (needsArrival && !Number.isFinite((packet as ReceivedPacket).arrivalMs)) {
    throw new RangeError(`${log}[${index}].arrivalMs must be a finite number, got ${(packet as ReceivedPacket).arrivalMs}`);
  }
}

function percent(part: number, whole: number): number {
  return whole ? (part * 100) / whole : 0;
}
