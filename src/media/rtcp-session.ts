// RTCP for one RTP session as both transports run it: RFC 3550 compound reports (an SR or RR, then an SDES CNAME)
// at randomized intervals, and the peer's SRs and RRs with the round-trip time they allow. RtcpState is the pure
// core; this adds the clock, the report timer and werift's RTCP packet classes (werift's own reports are switched
// off: see rtp-transport.ts).
import {
  RtcpReceiverInfo,
  RtcpRrPacket,
  RtcpSenderInfo,
  RtcpSourceDescriptionPacket,
  RtcpSrPacket,
  SourceDescriptionChunk,
  SourceDescriptionItem,
  type RtcpPacket,
} from 'werift';
import type { RtpPacketFields } from './rtp-packet.js';
import { RtcpState, type RtcpReport, type RtcpReportBlock, type RtcpStats } from './rtcp-state.js';
import { wallClockMs } from './transport-common.js';

const SDES_CNAME = 1;

export class RtcpSession {
  private readonly state: RtcpState;
  private timer?: NodeJS.Timeout;

  /** `clockRateOf` gives the RTP clock rate of a payload type, or undefined for one that carries no audio timing. */
  constructor(
    private readonly ssrc: number,
    private readonly intervalMs: number,
    clockRateOf: (payloadType: number) => number | undefined,
  ) {
    this.state = new RtcpState(ssrc, intervalMs, clockRateOf);
  }

  /** Calls `sendReport` at the mean interval randomized by 0.5-1.5x (RFC 3550 6.3.1), until stop(). */
  start(sendReport: () => void): void {
    this.timer = setTimeout(() => {
      sendReport();
      if (this.timer) this.start(sendReport);
    }, this.intervalMs * (0.5 + Math.random()));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** An RTP packet of ours went out. */
  sent(packet: RtpPacketFields): void {
    this.state.onSent(packet, wallClockMs());
  }

  /** An RTP packet of the peer arrived at `arrivalMs` (performance.now()). */
  received(packet: RtpPacketFields, arrivalMs: number): void {
    this.state.onReceived(packet, performance.timeOrigin + arrivalMs);
  }

  /** Our report due now, as one compound packet: SR while we send, else RR, then SDES with `cname`. */
  compound(cname: string): RtcpPacket[] {
    const sdes = new RtcpSourceDescriptionPacket({
      chunks: [new SourceDescriptionChunk({ source: this.ssrc, items: [new SourceDescriptionItem({ type: SDES_CNAME, text: cname })] })],
    });
    return [toWeriftRtcp(this.state.buildReport(wallClockMs())), sdes];
  }

  /** The SRs and RRs of a compound packet that arrived at `arrivalMs` (performance.now()), with the RTT each allowed. */
  reports(compound: readonly RtcpPacket[], arrivalMs: number): RtcpReport[] {
    const reports: RtcpReport[] = [];
    for (const part of compound) {
      const report = fromWeriftRtcp(part);
      if (!report) continue;
      report.rttMs = this.state.onReport(report, performance.timeOrigin + arrivalMs);
      reports.push(report);
    }
    return reports;
  }

  stats(): RtcpStats {
    return this.state.stats();
  }
}

/** A compound packet as the one datagram it travels in. */
export function serializeCompound(compound: readonly RtcpPacket[]): Buffer {
  return Buffer.concat(compound.map((part) => part.serialize()));
}

function toWeriftRtcp(report: RtcpReport): RtcpSrPacket | RtcpRrPacket {
  const reports = report.blocks.map(
    (block) =>
      new RtcpReceiverInfo({
        ssrc: block.ssrc,
        fractionLost: Math.round(block.fractionLost * 256),
        packetsLost: block.packetsLost & 0xffffff,
        highestSequence: block.highestSequence,
        jitter: block.jitter,
        lsr: block.lsr,
        dlsr: block.dlsr,
      }),
  );
  if (!report.sender) return new RtcpRrPacket({ ssrc: report.ssrc, reports });
  return new RtcpSrPacket({ ssrc: report.ssrc, senderInfo: new RtcpSenderInfo(report.sender), reports });
}

function fromWeriftRtcp(packet: { type: number }): RtcpReport | undefined {
  const block = (info: RtcpReceiverInfo): RtcpReportBlock => ({
    ssrc: info.ssrc,
    fractionLost: info.fractionLost / 256,
    packetsLost: info.packetsLost >= 0x800000 ? info.packetsLost - 0x1000000 : info.packetsLost,
    highestSequence: info.highestSequence,
    jitter: info.jitter,
    lsr: info.lsr,
    dlsr: info.dlsr,
  });
  if (packet.type === RtcpSrPacket.type) {
    const sr = packet as RtcpSrPacket;
    const { ntpTimestamp, rtpTimestamp, packetCount, octetCount } = sr.senderInfo;
    return { type: 'sr', ssrc: sr.ssrc, sender: { ntpTimestamp, rtpTimestamp, packetCount, octetCount }, blocks: sr.reports.map(block) };
  }
  if (packet.type === RtcpRrPacket.type) {
    const rr = packet as RtcpRrPacket;
    return { type: 'rr', ssrc: rr.ssrc, blocks: rr.reports.map(block) };
  }
  return undefined;
}
