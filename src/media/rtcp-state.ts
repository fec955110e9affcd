// RTCP sender and receiver reports (RFC 3550 6.4, A.1, A.3, A.8) for one RTP session: a pure core with
// time passed in as Unix epoch ms; rtp-transport.ts sends and receives what it computes.
import type { RtpPacketFields } from './rtp-packet.js';

/** What the reports say: counts of our stream, reception statistics of the peer's, and RTT. */
export interface RtcpStats {
  /** Latest round-trip time from the peer's LSR/DLSR in a report about our stream. */
  rttMs?: number;
  packetsSent: number;
  /** Payload octets, as in an SR. */
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Cumulative loss of the incoming streams, by sequence numbers (RFC 3550 A.3). */
  packetsLost: number;
  /** Interarrival jitter of the incoming stream heard last (RFC 3550 A.8). */
  jitterMs?: number;
  /** What the peer's last report said about our stream. */
  remotePacketsLost?: number;
  remoteFractionLost?: number;
  remoteJitterMs?: number;
  rtcpSent: number;
  rtcpReceived: number;
}

/** One RTCP reception report block (RFC 3550 6.4.1), as sent by the peer or by us. */
export interface RtcpReportBlock {
  /** The SSRC this block reports on. */
  ssrc: number;
  /** 0-1, since the previous report. */
  fractionLost: number;
  /** Cumulative, may be negative with duplicates. */
  packetsLost: number;
  highestSequence: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  lsr: number;
  dlsr: number;
}

/** A parsed SR or RR. */
export interface RtcpReport {
  type: 'sr' | 'rr';
  /** The sender of this report. */
  ssrc: number;
  sender?: { ntpTimestamp: bigint; rtpTimestamp: number; packetCount: number; octetCount: number };
  blocks: RtcpReportBlock[];
  /** Set on received reports whose block about our SSRC allowed an RTT measurement. */
  rttMs?: number;
}

const SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const NTP_UNIX_OFFSET_S = 2_208_988_800;

interface Reception {
  clockRate?: number;
  baseSeq: number;
  maxSeq: number;
  cycles: number;
  badSeq: number;
  received: number;
  octets: number;
  expectedPrior: number;
  receivedPrior: number;
  jitter: number;
  lastArrivalMs?: number;
  lastTimestamp?: number;
  heardSinceReport: boolean;
}

/** What our RTCP needs to remember: counts of what we sent, statistics of what we received. */
export class RtcpState {
  private packetsSent = 0;
  private octetsSent = 0;
  private lastSent?: { timestamp: number; atMs: number; clockRate?: number };
  private readonly receptions = new Map<number, Reception>();
  private lastHeardSsrc?: number;
  /** Per remote SSRC: middle 32 bits of the NTP time of its last SR, and when it arrived. */
  private readonly lastSr = new Map<number, { compactNtp: number; arrivalMs: number }>();
  private rttMs?: number;
  private remote?: { packetsLost: number; fractionLost: number; jitterMs?: number };
  private reportsSent = 0;
  private reportsReceived = 0;

  constructor(
    readonly localSsrc: number,
    private readonly intervalMs: number,
    /** RTP clock rate of a payload type, or undefined where timestamps do not follow media time (telephone-event). */
    private readonly clockRateOf: (payloadType: number) => number | undefined,
  ) {}

  onSent(packet: RtpPacketFields, nowMs: number): void {
    this.packetsSent = (this.packetsSent + 1) >>> 0;
    this.octetsSent = (this.octetsSent + packet.payload.length) >>> 0;
    const clockRate = this.clockRateOf(packet.payloadType);
    if (clockRate !== undefined || !this.lastSent) this.lastSent = { timestamp: packet.timestamp, atMs: nowMs, clockRate };
  }

  onReceived(packet: RtpPacketFields, nowMs: number): void {
    let reception = this.receptions.get(packet.ssrc);
    if (!reception) {
      reception = newReception(packet.sequenceNumber);
      this.receptions.set(packet.ssrc, reception);
    } else if (!updateSequence(reception, packet.sequenceNumber)) {
      return;
    }
    reception.octets += packet.payload.length;
    reception.heardSinceReport = true;
    this.lastHeardSsrc = packet.ssrc;
    const clockRate = this.clockRateOf(packet.payloadType);
    if (clockRate === undefined) return;
    reception.clockRate ??= clockRate;
    if (clockRate !== reception.clockRate) return;
    if (reception.lastArrivalMs !== undefined && reception.lastTimestamp !== undefined) {
      const arrivalDelta = ((nowMs - reception.lastArrivalMs) * clockRate) / 1000;
      const timestampDelta = (packet.timestamp - reception.lastTimestamp) | 0;
      reception.jitter += (Math.abs(arrivalDelta - timestampDelta) - reception.jitter) / 16;
    }
    reception.lastArrivalMs = nowMs;
    reception.lastTimestamp = packet.timestamp;
  }

  /** Records a received SR/RR; returns the RTT it allowed to measure, if any. */
  onReport(report: RtcpReport, nowMs: number): number | undefined {
    this.reportsReceived++;
    if (report.sender) this.lastSr.set(report.ssrc, { compactNtp: compactNtp(report.sender.ntpTimestamp), arrivalMs: nowMs });
    let rttMs: number | undefined;
    for (const block of report.blocks) {
      if (block.ssrc !== this.localSsrc) continue;
      const clockRate = this.lastSent?.clockRate;
      this.remote = {
        packetsLost: block.packetsLost,
        fractionLost: block.fractionLost,
        jitterMs: clockRate ? (block.jitter / clockRate) * 1000 : undefined,
      };
      if (block.lsr === 0) continue;
      const rttUnits = (compactNtp(ntpFromUnixMs(nowMs)) - block.lsr - block.dlsr) >>> 0;
      if (rttUnits >= 0x80000000) continue; // the clock stepped back or a bogus DLSR
      rttMs = (rttUnits * 1000) / 65536;
      this.rttMs = rttMs;
    }
    return rttMs;
  }

  /** The SR (when we sent media within the last two intervals) or RR to send now. */
  buildReport(nowMs: number): RtcpReport {
    this.reportsSent++;
    const blocks: RtcpReportBlock[] = [];
    for (const [ssrc, reception] of this.receptions) {
      if (!reception.heardSinceReport) continue;
      reception.heardSinceReport = false;
      blocks.push(this.reportBlock(ssrc, reception, nowMs));
    }
    const lastSent = this.lastSent;
    if (!lastSent || nowMs - lastSent.atMs > 2 * this.intervalMs) return { type: 'rr', ssrc: this.localSsrc, blocks };
    const elapsedUnits = lastSent.clockRate ? Math.round(((nowMs - lastSent.atMs) * lastSent.clockRate) / 1000) : 0;
    return {
      type: 'sr',
      ssrc: this.localSsrc,
      sender: {
        ntpTimestamp: ntpFromUnixMs(nowMs),
        rtpTimestamp: (lastSent.timestamp + elapsedUnits) >>> 0,
        packetCount: this.packetsSent,
        octetCount: this.octetsSent,
      },
      blocks,
    };
  }

  stats(): RtcpStats {
    let packetsReceived = 0;
    let bytesReceived = 0;
    let packetsLost = 0;
    for (const reception of this.receptions.values()) {
      packetsReceived += reception.received;
      bytesReceived += reception.octets;
      packetsLost += cumulativeLost(reception);
    }
    const heard = this.lastHeardSsrc === undefined ? undefined : this.receptions.get(this.lastHeardSsrc);
    return {
      rttMs: this.rttMs,
      packetsSent: this.packetsSent,
      bytesSent: this.octetsSent,
      packetsReceived,
      bytesReceived,
      packetsLost,
      jitterMs: heard?.clockRate ? (heard.jitter / heard.clockRate) * 1000 : undefined,
      remotePacketsLost: this.remote?.packetsLost,
      remoteFractionLost: this.remote?.fractionLost,
      remoteJitterMs: this.remote?.jitterMs,
      rtcpSent: this.reportsSent,
      rtcpReceived: this.reportsReceived,
    };
  }

  private reportBlock(ssrc: number, reception: Reception, nowMs: number): RtcpReportBlock {
    const expected = reception.cycles + reception.maxSeq - reception.baseSeq + 1;
    const expectedInterval = expected - reception.expectedPrior;
    const receivedInterval = reception.received - reception.receivedPrior;
    reception.expectedPrior = expected;
    reception.receivedPrior = reception.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval) / 256;
    const sr = this.lastSr.get(ssrc);
    return {
      ssrc,
      fractionLost: Math.min(fraction, 255 / 256),
      packetsLost: cumulativeLost(reception),
      highestSequence: (reception.cycles + reception.maxSeq) >>> 0,
      jitter: Math.round(reception.jitter),
      lsr: sr?.compactNtp ?? 0,
      dlsr: sr ? Math.round(((nowMs - sr.arrivalMs) * 65536) / 1000) >>> 0 : 0,
    };
  }
}

function newReception(seq: number): Reception {
  return {
    baseSeq: seq,
    maxSeq: seq,
    cycles: 0,
    badSeq: SEQ_MOD + 1,
    received: 1,
    octets: 0,
    expectedPrior: 0,
    receivedPrior: 0,
    jitter: 0,
    heardSinceReport: false,
  };
}

/** RFC 3550 A.1 without the probation of new sources; false for a packet that is not counted. */
function updateSequence(reception: Reception, seq: number): boolean {
  const delta = (seq - reception.maxSeq) & 0xffff;
  if (delta < MAX_DROPOUT) {
    if (seq < reception.maxSeq) reception.cycles += SEQ_MOD;
    reception.maxSeq = seq;
  } else if (delta <= SEQ_MOD - MAX_MISORDER) {
    if (seq !== reception.badSeq) {
      reception.badSeq = (seq + 1) & 0xffff;
      return false;
    }
    // Two sequential packets after a large jump: the sender restarted its numbering.
    Object.assign(reception, { ...newReception(seq), octets: reception.octets, clockRate: reception.clockRate, jitter: reception.jitter });
    return true;
  }
  reception.received++;
  return true;
}

function cumulativeLost(reception: Reception): number {
  const expected = reception.cycles + reception.maxSeq - reception.baseSeq + 1;
  return Math.max(-0x800000, Math.min(0x7fffff, expected - reception.received));
}

function ntpFromUnixMs(unixMs: number): bigint {
  const seconds = Math.floor(unixMs / 1000);
  const fraction = Math.floor(((unixMs - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds + NTP_UNIX_OFFSET_S) << 32n) | BigInt(fraction);
}

/** The middle 32 bits of a 64-bit NTP timestamp, as used by LSR (RFC 3550 6.4.1). */
function compactNtp(ntp: bigint): number {
  return Number((ntp >> 16n) & 0xffffffffn);
}
