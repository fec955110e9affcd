/**
 * Collects a call leg's decrypted RTP and RTCP, as RtpTransport sent and received it, for a pcap file
 * (`RtpTransportOptions.capture`; pcap.ts writes the file). One capture per transport: the pcap's addresses
 * are that transport's selected ICE candidate pair.
 *
 * Memory is bounded by `maxPackets`. Once it is reached, later packets are counted but not kept, and the
 * pcap says so in a note (a syslog datagram) at the moment the capture stopped.
 * Per packet, `add` copies the bytes into the end of a shared slab and keeps one small record: no typed
 * array per packet (each costs ~200 bytes of its own, more than a typical Opus packet).
 */
import { logger } from '../util/index.js';
import { pcapPacketProblem, writePcap, type PcapEndpoints, type PcapNote, type PcapPacket } from './pcap.js';

const log = logger('media/packet-capture');

/** 100 000 packets: about 16 minutes of a two-way call at 20 ms packets; about 25 MB held with 130-byte packets. */
export const DEFAULT_MAX_CAPTURED_PACKETS = 100_000;

/**
 * The addresses written when the transport never reported its selected candidate pair (it never connected):
 * loopback, local port 5004 (RTP's registered default, RFC 3551 section 8) and remote port 5006.
 */
export const PLACEHOLDER_ENDPOINTS: PcapEndpoints = {
  local: { ip: '127.0.0.1', port: 5004 },
  remote: { ip: '127.0.0.1', port: 5006 },
};

/** Slabs start small (many short calls in one process) and double up to the largest size. */
const FIRST_SLAB_BYTES = 64 * 1024;
const LARGEST_SLAB_BYTES = 1024 * 1024;

interface CaptureRecord {
  atUs: number;
  direction: PcapPacket['direction'];
  kind: PcapPacket['kind'];
  slab: number;
  offset: number;
  length: number;
}

export interface PacketCaptureOptions {
  /** Packets kept, both directions and RTP and RTCP together. Default DEFAULT_MAX_CAPTURED_PACKETS. */
  maxPackets?: number;
}

export class PacketCapture {
  readonly maxPackets: number;
  private readonly records: CaptureRecord[] = [];
  private readonly slabs: Uint8Array[] = [];
  private slabUsed = 0;
  private currentEndpoints?: PcapEndpoints;
  private notKept = 0;
  private fullAtUs?: number;

  constructor(options: PacketCaptureOptions = {}) {
    const maxPackets = options.maxPackets ?? DEFAULT_MAX_CAPTURED_PACKETS;
    if (!Number.isInteger(maxPackets) || maxPackets < 1) throw new RangeError(`maxPackets must be a positive integer, got ${maxPackets}`);
    this.maxPackets = maxPackets;
  }

  /** Keeps a copy of one whole decrypted RTP packet or RTCP compound packet, sent or received at `atUs` (epoch microseconds). */
  add(direction: PcapPacket['direction'], kind: PcapPacket['kind'], bytes: Uint8Array, atUs: number): void {
    if (this.records.length >= this.maxPackets) {
      if (this.notKept++ === 0) {
        this.fullAtUs = atUs;
        log.warn(`packet capture full at ${this.maxPackets} packets: later packets are not captured`);
      }
      return;
    }
    let slab = this.slabs.at(-1);
    if (!slab || this.slabUsed + bytes.length > slab.length) {
      const size = Math.max(bytes.length, Math.min(LARGEST_SLAB_BYTES, 2 * (slab?.length ?? FIRST_SLAB_BYTES / 2)));
      slab = new Uint8Array(size);
      this.slabs.push(slab);
      this.slabUsed = 0;
    }
    slab.set(bytes, this.slabUsed);
    this.records.push({ atUs, direction, kind, slab: this.slabs.length - 1, offset: this.slabUsed, length: bytes.length });
    this.slabUsed += bytes.length;
  }

  /** The selected ICE candidate pair, from the transport; the last one set is written. */
  setEndpoints(endpoints: PcapEndpoints): void {
    this.currentEndpoints = { local: { ...endpoints.local }, remote: { ...endpoints.remote } };
  }

  /** What `writeTo` uses as addresses: the selected pair, or PLACEHOLDER_ENDPOINTS. Decode with `-d udp.port==<local.port>,rtp`. */
  get endpoints(): PcapEndpoints {
    return this.currentEndpoints ?? PLACEHOLDER_ENDPOINTS;
  }

  /** Packets kept. */
  get packetCount(): number {
    return this.records.length;
  }

  /** Packets seen after the capture was full. */
  get packetsNotKept(): number {
    return this.notKept;
  }

  /**
   * Writes the pcap. Packets that a pcap cannot hold as RTP/RTCP on one muxed port (a peer's RTP whose
   * payload type and marker read as RTCP, RFC 5761 section 4) are left out, and a note says how many.
   */
  async writeTo(path: string): Promise<void> {
    const packets = this.records
      .map(({ atUs, direction, kind, slab, offset, length }): PcapPacket => ({ atUs, direction, kind, bytes: this.slabs[slab].subarray(offset, offset + length) }))
      .filter((packet) => !pcapPacketProblem(packet));
    const notes: PcapNote[] = [];
    const leftOut = this.records.length - packets.length;
    const lastUs = this.records.at(-1)?.atUs ?? Math.round((performance.timeOrigin + performance.now()) * 1000);
    if (leftOut > 0) notes.push({ atUs: lastUs, text: `${leftOut} captured packets are not valid RTP/RTCP on a muxed port and are left out` });
    if (this.fullAtUs !== undefined) {
      notes.push({ atUs: this.fullAtUs, text: `capture full: only the first ${this.maxPackets} packets are kept; ${this.notKept} later packets are not in this file` });
    }
    await writePcap(path, packets, this.endpoints, notes);
  }
}
