/**
 * A call's media as earshot sent and received it, as a classic libpcap file (pure `toPcap`, thin `writePcap`).
 *
 * Link type LINKTYPE_RAW (101): each record is a bare IPv4 packet. Earshot never sees link-layer frames
 * (it works above UDP sockets and SRTP), so Ethernet would mean inventing MAC addresses; raw IP carries
 * only what is true, and Wireshark/tshark decode it directly.
 * Each record: IPv4 header (checksum computed) + UDP header (checksum computed over the RFC 768
 * pseudo-header) + the decrypted RTP or RTCP bytes. RTP and RTCP share one port pair (RFC 5761 rtcp-mux,
 * which earshot always negotiates); decode with `tshark -d udp.port==PORT,rtp`.
 * Notes (such as "the capture stopped here") go in as syslog datagrams (RFC 5424 section 6 PRI, UDP port 514
 * at the local address), which tshark shows as text without touching the RTP port.
 */
import { writeFile } from 'node:fs/promises';
import { parseRtp, RtpParseError } from './rtp-packet.js';

export interface PcapPacket {
  /** When the packet was sent or received, epoch microseconds. */
  atUs: number;
  /** 'sent': local -> remote; 'received': remote -> local. */
  direction: 'sent' | 'received';
  /** The whole decrypted RTP packet (e.g. from serializeRtp) or RTCP compound packet. */
  bytes: Uint8Array;
  kind: 'rtp' | 'rtcp';
}

/** A line of text for whoever reads the capture, at a point in time. */
export interface PcapNote {
  /** Epoch microseconds. */
  atUs: number;
  /** ASCII, at most MAX_NOTE_CHARS characters. */
  text: string;
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

export const SYSLOG_PORT = 514;
export const MAX_NOTE_CHARS = 1000;

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
const MAX_EPOCH_US = 0x100000000 * 1e6;
/** Facility 1 (user-level), severity 5 (notice): 1 * 8 + 5. */
const SYSLOG_PRI = '<13>';

interface Datagram {
  atUs: number;
  from: Address;
  to: Address;
  payload: Uint8Array;
}

/** The capture file's bytes: packets and notes ordered by time (stable for equal times), each as IPv4/UDP. */
export function toPcap(packets: readonly PcapPacket[], endpoints: PcapEndpoints, notes: readonly PcapNote[] = []): Uint8Array {
  const local = checkEndpoint('local', endpoints.local);
  const remote = checkEndpoint('remote', endpoints.remote);
  const syslog: Address = { ip: local.ip, port: SYSLOG_PORT };
  const datagrams: Datagram[] = packets.map((packet, index) => {
    const problem = pcapPacketProblem(packet);
    if (problem) throw new PcapInputError(`packet ${index} (${packet.kind}, ${packet.direction}, atUs ${packet.atUs}): ${problem}`);
    const [from, to] = packet.direction === 'sent' ? [local, remote] : [remote, local];
    return { atUs: packet.atUs, from, to, payload: packet.bytes };
  });
  notes.forEach((note, index) => {
    checkNote(note, index);
    datagrams.push({ atUs: note.atUs, from: syslog, to: syslog, payload: new TextEncoder().encode(`${SYSLOG_PRI}earshot: ${note.text}`) });
  });
  datagrams.sort((a, b) => a.atUs - b.atUs);

  const total = datagrams.reduce((sum, d) => sum + RECORD_HEADER_BYTES + IPV4_HEADER_BYTES + UDP_HEADER_BYTES + d.payload.length, GLOBAL_HEADER_BYTES);
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
  datagrams.forEach((datagram, index) => {
    const ipLength = IPV4_HEADER_BYTES + UDP_HEADER_BYTES + datagram.payload.length;
    view.setUint32(offset, Math.floor(datagram.atUs / 1e6), true);
    view.setUint32(offset + 4, datagram.atUs % 1e6, true);
    view.setUint32(offset + 8, ipLength, true);
    view.setUint32(offset + 12, ipLength, true);
    offset += RECORD_HEADER_BYTES;
    writeIpv4Udp(out.subarray(offset, offset + ipLength), datagram, index & 0xffff);
    offset += ipLength;
  });
  return out;
}

/** Writes `toPcap(packets, endpoints, notes)` to `path`. */
export async function writePcap(path: string, packets: readonly PcapPacket[], endpoints: PcapEndpoints, notes: readonly PcapNote[] = []): Promise<void> {
  await writeFile(path, toPcap(packets, endpoints, notes));
}

/** Why `toPcap` would reject this packet, or undefined when it is fine. */
export function pcapPacketProblem(packet: PcapPacket): string | undefined {
  if (!Number.isInteger(packet.atUs) || packet.atUs < 0 || packet.atUs >= MAX_EPOCH_US) {
    return 'atUs must be integer epoch microseconds that fit pcap\'s 32-bit seconds';
  }
  if (packet.direction !== 'sent' && packet.direction !== 'received') return "direction must be 'sent' or 'received'";
  if (packet.bytes.length > MAX_UDP_PAYLOAD) return `${packet.bytes.length} bytes exceed the ${MAX_UDP_PAYLOAD}-byte UDP payload limit`;
  if (packet.kind === 'rtp') {
    try {
      parseRtp(packet.bytes);
    } catch (error) {
      if (error instanceof RtpParseError) return error.message;
      throw error;
    }
    if (isRtcpPacketType(packet.bytes[1])) return `payload type ${packet.bytes[1] & 0x7f} with marker reads as RTCP on a muxed port (RFC 5761)`;
    return undefined;
  }
  if (packet.kind === 'rtcp') {
    if (packet.bytes.length < 4 || packet.bytes[0] >> 6 !== 2 || !isRtcpPacketType(packet.bytes[1])) return 'not RTCP (need version 2 and packet type 192-223)';
    return undefined;
  }
  return "kind must be 'rtp' or 'rtcp'";
}

interface Address {
  ip: Uint8Array;
  port: number;
}

/** Network byte order from here on: IP and UDP headers are big-endian, unlike the pcap record headers. */
function writeIpv4Udp(packet: Uint8Array, { from, to, payload }: Datagram, identification: number): void {
  const udpLength = UDP_HEADER_BYTES + payload.length;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  packet[0] = 0x45; // version 4, header length 5 words
  view.setUint16(2, packet.length);
  view.setUint16(4, identification);
  view.setUint16(6, 0x4000); // don't fragment
  packet[8] = TTL;
  packet[9] = IP_PROTOCOL_UDP;
  packet.set(from.ip, 12);
  packet.set(to.ip, 16);
  view.setUint16(10, ~onesComplementSum(packet.subarray(0, IPV4_HEADER_BYTES), 0) & 0xffff);

  const udp = packet.subarray(IPV4_HEADER_BYTES);
  view.setUint16(IPV4_HEADER_BYTES, from.port);
  view.setUint16(IPV4_HEADER_BYTES + 2, to.port);
  view.setUint16(IPV4_HEADER_BYTES + 4, udpLength);
  udp.set(payload, UDP_HEADER_BYTES);
  // The RFC 768 pseudo-header: source and destination addresses (bytes 12-19 of the IP header), protocol, UDP length.
  const pseudoHeaderSum = onesComplementSum(packet.subarray(12, 20), IP_PROTOCOL_UDP + udpLength);
  // A computed 0 is sent as 0xffff: 0 means "no checksum" in UDP over IPv4.
  view.setUint16(IPV4_HEADER_BYTES + 6, ~onesComplementSum(udp, pseudoHeaderSum) & 0xffff || 0xffff);
}

/** RFC 1071: the one's complement sum of 16-bit big-endian words (an odd last byte padded with zero), folded to 16 bits. */
function onesComplementSum(bytes: Uint8Array, initial: number): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
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

function checkNote(note: PcapNote, index: number): void {
  if (!Number.isInteger(note.atUs) || note.atUs < 0 || note.atUs >= MAX_EPOCH_US) {
    throw new PcapInputError(`note ${index}: atUs must be integer epoch microseconds that fit pcap's 32-bit seconds`);
  }
  if (typeof note.text !== 'string' || note.text.length > MAX_NOTE_CHARS || !/^[\x20-\x7e]*$/.test(note.text)) {
    throw new PcapInputError(`note ${index}: text must be printable ASCII of at most ${MAX_NOTE_CHARS} characters`);
  }
}

/** RFC 5761 section 4: on a muxed port, RTCP is told from RTP by its second byte being 192-223. */
function isRtcpPacketType(secondByte: number): boolean {
  return secondByte >= 192 && secondByte <= 223;
}
