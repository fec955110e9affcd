/**
 * A call's media as earshot sent and received it, as a classic libpcap file (pure `toPcap`, thin `writePcap`).
 *
 * Link type LINKTYPE_RAW (101): each record is a bare IPv4 packet. Earshot never sees link-layer frames
 * (it works above UDP sockets and SRTP), so Ethernet would mean inventing MAC addresses; raw IP carries
 * only what is true, and Wireshark/tshark decode it directly.
 * Each record: IPv4 header (checksum computed) + UDP header (checksum computed over the RFC 768
 * pseudo-header) + the decrypted RTP or RTCP bytes. RTP and RTCP share one port pair (RFC 5761 rtcp-mux,
 * which earshot always negotiates); decode with `tshark -d udp.port==PORT,rtp`.
 */
import { writeFile } from 'node:fs/promises';
import { parseRtp, RtpParseError } from '../media/rtp-packet.js';

export interface PcapPacket {
  /** When the packet was sent or received, epoch milliseconds (fractions keep microseconds). */
  atMs: number;
  /** 'sent': local -> remote; 'received': remote -> local. */
  direction: 'sent' | 'received';
  /** The whole decrypted RTP packet (e.g. from serializeRtp) or RTCP compound packet. */
  bytes: Uint8Array;
  kind: 'rtp' | 'rtcp';
}

export interface PcapEndpoint {
  /** Dotted-quad IPv4 address. */
  ip: string;
  port: number;
}

export interface PcapEndpoints {
  local: PcapEndpoint;
  remote: PcapEndpoint;
}

export class PcapInputError extends Error {
  override readonly name = 'PcapInputError';
}

const PCAP_MAGIC = 0xa1b2c3d4;
const SNAPLEN = 65535;
const LINKTYPE_RAW = 101;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const IPV4_HEADER_BYTES = 20;
const UDP_HEADER_BYTES = 8;
const IP_PROTOCOL_UDP = 17;
const TTL = 64;
const MAX_UDP_PAYLOAD = 0xffff - IPV4_HEADER_BYTES - UDP_HEADER_BYTES;

/** The capture file's bytes: packets ordered by time (stable for equal times), each as IPv4/UDP. */
export function toPcap(packets: readonly PcapPacket[], endpoints: PcapEndpoints): Uint8Array {
  const local = checkEndpoint('local', endpoints.local);
  const remote = checkEndpoint('remote', endpoints.remote);
  packets.forEach(checkPacket);
  const ordered = packets.slice().sort((a, b) => a.atMs - b.atMs);

  const total = ordered.reduce(
    (sum, p) => sum + RECORD_HEADER_BYTES + IPV4_HEADER_BYTES + UDP_HEADER_BYTES + p.bytes.length,
    GLOBAL_HEADER_BYTES,
  );
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  // Written little-endian: the file starts d4 c3 b2 a1, and every header field follows that byte order.
  view.setUint32(0, PCAP_MAGIC, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setInt32(8, 0, true); // thiszone: timestamps are UTC
  view.setUint32(12, 0, true); // sigfigs
  view.setUint32(16, SNAPLEN, true);
  view.setUint32(20, LINKTYPE_RAW, true);

  let offset = GLOBAL_HEADER_BYTES;
  ordered.forEach((packet, index) => {
    const [from, to] = packet.direction === 'sent' ? [local, remote] : [remote, local];
    const ipLength = IPV4_HEADER_BYTES + UDP_HEADER_BYTES + packet.bytes.length;
    const { seconds, microseconds } = splitTimestamp(packet.atMs);
    view.setUint32(offset, seconds, true);
    view.setUint32(offset + 4, microseconds, true);
    view.setUint32(offset + 8, ipLength, true);
    view.setUint32(offset + 12, ipLength, true);
    offset += RECORD_HEADER_BYTES;
    out.set(ipv4Udp(from, to, index & 0xffff, packet.bytes), offset);
    offset += ipLength;
  });
  return out;
}

/** Writes `toPcap(packets, endpoints)` to `path`. */
export async function writePcap(path: string, packets: readonly PcapPacket[], endpoints: PcapEndpoints): Promise<void> {
  await writeFile(path, toPcap(packets, endpoints));
}

interface Address {
  ip: Uint8Array;
  port: number;
}

/** Network byte order from here on: IP and UDP headers are big-endian, unlike the pcap record headers. */
function ipv4Udp(from: Address, to: Address, identification: number, payload: Uint8Array): Uint8Array {
  const udpLength = UDP_HEADER_BYTES + payload.length;
  const packet = new Uint8Array(IPV4_HEADER_BYTES + udpLength);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45; // version 4, header length 5 words
  view.setUint16(2, packet.length);
  view.setUint16(4, identification);
  view.setUint16(6, 0x4000); // don't fragment
  packet[8] = TTL;
  packet[9] = IP_PROTOCOL_UDP;
  packet.set(from.ip, 12);
  packet.set(to.ip, 16);
  view.setUint16(10, internetChecksum([packet.subarray(0, IPV4_HEADER_BYTES)]));

  const udp = packet.subarray(IPV4_HEADER_BYTES);
  const udpView = new DataView(udp.buffer, udp.byteOffset, udp.byteLength);
  udpView.setUint16(0, from.port);
  udpView.setUint16(2, to.port);
  udpView.setUint16(4, udpLength);
  udp.set(payload, UDP_HEADER_BYTES);
  const pseudoHeader = new Uint8Array(12);
  pseudoHeader.set(from.ip, 0);
  pseudoHeader.set(to.ip, 4);
  pseudoHeader[9] = IP_PROTOCOL_UDP;
  new DataView(pseudoHeader.buffer).setUint16(10, udpLength);
  // A computed 0 is sent as 0xffff: 0 means "no checksum" in UDP over IPv4.
  udpView.setUint16(6, internetChecksum([pseudoHeader, udp]) || 0xffff);
  return packet;
}

/** RFC 1071: one's complement of the one's complement sum of 16-bit words; each part of even length but the last. */
function internetChecksum(parts: Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) sum += (part[i] << 8) | (i + 1 < part.length ? part[i + 1] : 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function splitTimestamp(atMs: number): { seconds: number; microseconds: number } {
  const totalMicroseconds = Math.round(atMs * 1000);
  return { seconds: Math.floor(totalMicroseconds / 1e6), microseconds: totalMicroseconds % 1e6 };
}

function checkEndpoint(name: string, endpoint: PcapEndpoint): Address {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(endpoint.ip)?.slice(1).map(Number);
  if (!octets || octets.some((octet) => octet > 255)) {
    throw new PcapInputError(`${name} endpoint ip must be a dotted-quad IPv4 address, got ${JSON.stringify(endpoint.ip)}`);
  }
  if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 0xffff) {
    throw new PcapInputError(`${name} endpoint port must be an integer 1-65535, got ${endpoint.port}`);
  }
  return { ip: Uint8Array.from(octets), port: endpoint.port };
}

function checkPacket(packet: PcapPacket, index: number): void {
  const where = `packet ${index} (${packet.kind}, ${packet.direction}, atMs ${packet.atMs})`;
  if (!Number.isFinite(packet.atMs) || packet.atMs < 0 || packet.atMs >= 0x100000000 * 1000) {
    throw new PcapInputError(`${where}: atMs must be epoch milliseconds that fit pcap's 32-bit seconds`);
  }
  if (packet.direction !== 'sent' && packet.direction !== 'received') {
    throw new PcapInputError(`${where}: direction must be 'sent' or 'received'`);
  }
  if (packet.bytes.length > MAX_UDP_PAYLOAD) {
    throw new PcapInputError(`${where}: ${packet.bytes.length} bytes exceed the ${MAX_UDP_PAYLOAD}-byte UDP payload limit`);
  }
  if (packet.kind === 'rtp') {
    try {
      parseRtp(packet.bytes);
    } catch (error) {
      if (error instanceof RtpParseError) throw new PcapInputError(`${where}: ${error.message}`);
      throw error;
    }
    if (isRtcpPacketType(packet.bytes[1])) {
      throw new PcapInputError(`${where}: payload type ${packet.bytes[1] & 0x7f} with marker reads as RTCP on a muxed port (RFC 5761)`);
    }
  } else if (packet.kind === 'rtcp') {
    if (packet.bytes.length < 4 || packet.bytes[0] >> 6 !== 2 || !isRtcpPacketType(packet.bytes[1])) {
      throw new PcapInputError(`${where}: not RTCP (need version 2 and packet type 192-223)`);
    }
  } else {
    throw new PcapInputError(`${where}: kind must be 'rtp' or 'rtcp'`);
  }
}

/** RFC 5761 section 4: on a muxed port, RTCP is told from RTP by its second byte being 192-223. */
function isRtcpPacketType(secondByte: number): boolean {
  return secondByte >= 192 && secondByte <= 223;
}
