// What RtpTransport and PlainRtpTransport share, all pure: reading the parts of an SDP they act on, ICE candidate
// lines and which of them a loopback-only leg may use, how werift's ICE agent is told so, codec and packet checks,
// clock and pcap conversions.
import { isIPv4, isIPv6 } from 'node:net';
import { RtpTransportError, type IceServerConfig, type SdpCodec, type SelectedCandidatePair } from './media-transport.js';
import type { PcapEndpoints } from './pcap.js';
import type { RtpPacketFields } from './rtp-packet.js';

/** The first audio m-line of an SDP, and the session-level lines that apply to it. */
export interface SdpSummary {
  /** 'sha-256 AB:CD...' from session and media level. */
  fingerprints: string[];
  setup?: string;
  mid?: string;
  hasAudio: boolean;
  /** The m-line's transport profile: 'UDP/TLS/RTP/SAVPF', 'RTP/AVP'... */
  profile?: string;
  rtcpMux: boolean;
  codecs: SdpCodec[];
  iceUfrag?: string;
  icePwd?: string;
  /** The a=candidate lines of the audio m-line. */
  candidates: ParsedCandidate[];
}

export function parseSdpSummary(sdp: string): SdpSummary {
  if (typeof sdp !== 'string' || !sdp.startsWith('v=0')) throw new RtpTransportError('bad-sdp', 'remote SDP does not start with v=0');
  const lines = sdp.split(/\r?\n/);
  const summary: SdpSummary = { fingerprints: [], hasAudio: false, rtcpMux: false, codecs: [], candidates: [] };
  let inAudio = false;
  let seenAudio = false;
  const rtpmap = new Map<number, SdpCodec>();
  let order: number[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) {
      inAudio = line.startsWith('m=audio ') && !seenAudio;
      if (inAudio) {
        seenAudio = true;
        summary.hasAudio = true;
        const fields = line.split(' ');
        summary.profile = fields[2];
        order = fields.slice(3).map(Number);
      }
      continue;
    }
    const fingerprint = /^a=fingerprint:(\S+) (\S+)/.exec(line);
    if (fingerprint) summary.fingerprints.push(`${fingerprint[1].toLowerCase()} ${fingerprint[2].toUpperCase()}`);
    if (!inAudio && seenAudio) continue;
    const setup = /^a=setup:(\S+)/.exec(line);
    if (setup) summary.setup = setup[1];
    const ufrag = /^a=ice-ufrag:(\S+)/.exec(line);
    if (ufrag) summary.iceUfrag = ufrag[1];
    const pwd = /^a=ice-pwd:(\S+)/.exec(line);
    if (pwd) summary.icePwd = pwd[1];
    if (!inAudio) continue;
    if (line === 'a=rtcp-mux') summary.rtcpMux = true;
    if (line.startsWith('a=mid:')) summary.mid = line.slice('a=mid:'.length).trim();
    if (line.startsWith('a=candidate:')) summary.candidates.push(parseCandidate(line));
    const map = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(line);
    if (map) {
      const payloadType = Number(map[1]);
      rtpmap.set(payloadType, { payloadType, name: map[2], clockRate: Number(map[3]), ...(map[4] ? { channels: Number(map[4]) } : {}) });
    }
    const fmtp = /^a=fmtp:(\d+) (.+)$/.exec(line);
    if (fmtp) {
      const codec = rtpmap.get(Number(fmtp[1]));
      if (codec) codec.parameters = fmtp[2].trim();
    }
  }
  summary.codecs = order.map((payloadType) => rtpmap.get(payloadType) ?? staticCodec(payloadType)).filter((codec): codec is SdpCodec => !!codec);
  return summary;
}

function staticCodec(payloadType: number): SdpCodec | undefined {
  if (payloadType === 0) return { payloadType, name: 'PCMU', clockRate: 8000 };
  if (payloadType === 8) return { payloadType, name: 'PCMA', clockRate: 8000 };
  return undefined;
}

export interface ParsedCandidate {
  /** Normalized 'candidate:...' text. */
  text: string;
  foundation: string;
  component: number;
  transport: string;
  priority: number;
  address: string;
  port: number;
  type: string;
}

export function parseCandidate(raw: string): ParsedCandidate {
  const text = String(raw).trim().replace(/^a=/, '');
  const fields = text.split(/\s+/);
  const typeIndex = fields.indexOf('typ');
  if (
    !text.startsWith('candidate:') ||
    fields.length < 8 ||
    typeIndex !== 6 ||
    !/^\d+$/.test(fields[1]) ||
    !/^\d+$/.test(fields[3]) ||
    !/^\d+$/.test(fields[5])
  ) {
    throw new Error(`not an ICE candidate: '${text.slice(0, 120)}'`);
  }
  return {
    text,
    foundation: fields[0].slice('candidate:'.length),
    component: Number(fields[1]),
    transport: fields[2].toLowerCase(),
    priority: Number(fields[3]),
    address: fields[4],
    port: Number(fields[5]),
    type: fields[7],
  };
}

export function filterCandidateLines(sdp: string, keep: (candidate: ParsedCandidate) => boolean): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || keep(parseCandidate(line)))
    .join('\r\n');
}

/** Which IP families a leg's candidates may have: IPv4 (false), IPv4 and IPv6 (true), or IPv6 alone ('only'). */
export type Ipv6Policy = boolean | 'only';

export interface CandidatePolicy {
  loopbackOnly: boolean;
  ipv6: Ipv6Policy;
}

/** UDP only; of the allowed IP families; in loopback-only mode, loopback host candidates and relays only. */
export function usableCandidate(candidate: { transport: string; address: string; type: string }, policy: CandidatePolicy): boolean {
  if (candidate.transport !== 'udp') return false;
  if (!allowedFamily(candidate.address, policy.ipv6)) return false;
  if (!policy.loopbackOnly) return true;
  return candidate.type === 'relay' || isLoopback(candidate.address);
}

/** The two ends of an ICE candidate pair, as werift describes them. */
export interface CandidatePairEnds {
  localCandidate: { type: string; host: string; port: number };
  remoteCandidate: { type: string; host: string; port: number };
}

/**
 * With forceRelay, our end must be a relay; with ipv6 'only', both ends IPv6; in loopback-only mode, each end a
 * relay or a loopback address.
 */
export function usablePair(pair: CandidatePairEnds, policy: { loopbackOnly: boolean; ipv6?: Ipv6Policy; forceRelay?: boolean }): boolean {
  const { localCandidate: local, remoteCandidate: remote } = pair;
  if (policy.forceRelay && local.type !== 'relay') return false;
  if (policy.ipv6 === 'only' && !(isIPv6(local.host) && isIPv6(remote.host))) return false;
  if (!policy.loopbackOnly) return true;
  const allowed = (type: string, address: string) => type === 'relay' || isLoopback(address);
  return allowed(local.type, local.host) && allowed(remote.type, remote.host);
}

export function selectedCandidatePair(pair: CandidatePairEnds): SelectedCandidatePair {
  const end = (candidate: { type: string; host: string; port: number }) => ({ address: candidate.host, port: candidate.port, type: candidate.type });
  return { local: end(pair.localCandidate), remote: end(pair.remoteCandidate) };
}

/** The selected pair's addresses, as a capture writes them (see pcapIpv4). */
export function pairEndpoints(pair: CandidatePairEnds): PcapEndpoints {
  return {
    local: { ip: pcapIpv4(pair.localCandidate.host), port: pair.localCandidate.port },
    remote: { ip: pcapIpv4(pair.remoteCandidate.host), port: pair.remoteCandidate.port },
  };
}

/**
 * The servers werift's ICE agent gets: no STUN server in loopback-only mode, where a server-reflexive candidate is
 * useless and a STUN server werift cannot reach from a loopback socket stalls gathering for 5 s.
 */
export function reachableIceServers(iceServers: readonly IceServerConfig[], loopbackOnly: boolean): IceServerConfig[] {
  return loopbackOnly ? iceServers.filter((server) => !/^stuns?:/i.test(server.urls)) : [...iceServers];
}

/** Where werift's ICE agent gathers host candidates. */
export interface IceHostAddresses {
  useIpv4: boolean;
  useIpv6: boolean;
  additionalHostAddresses?: string[];
  interfaceAddresses?: { udp4: string; udp6?: string };
}

/** In loopback-only mode werift must not look at the interfaces at all: it would bind every one. */
export function iceHostAddresses(policy: CandidatePolicy): IceHostAddresses {
  const { loopbackOnly, ipv6 } = policy;
  if (!loopbackOnly) return { useIpv4: ipv6 !== 'only', useIpv6: ipv6 !== false };
  const loopbacks = ipv6 === 'only' ? ['::1'] : ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
  return {
    useIpv4: false,
    useIpv6: false,
    additionalHostAddresses: loopbacks,
    interfaceAddresses: { udp4: '127.0.0.1', ...(ipv6 ? { udp6: '::1' } : {}) },
  };
}

function allowedFamily(address: string, ipv6: Ipv6Policy): boolean {
  if (ipv6 === 'only') return isIPv6(address);
  return ipv6 || !isIPv6(address);
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

export function isTelephoneEvent(codec: SdpCodec): boolean {
  return codec.name.toLowerCase() === 'telephone-event';
}

export function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

export function checkCodec(codec: SdpCodec): void {
  if (!Number.isInteger(codec.payloadType) || codec.payloadType < 0 || codec.payloadType > 127) {
    throw new RangeError(`codec ${codec.name}: payload type must be 0-127, got ${codec.payloadType}`);
  }
  if (!codec.name || !Number.isInteger(codec.clockRate) || codec.clockRate <= 0) {
    throw new RangeError(`codec needs a name and a positive clock rate, got ${JSON.stringify(codec)}`);
  }
}

export function checkPacket(packet: RtpPacketFields): void {
  const field = (name: string, value: number, max: number) => {
    if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`RTP ${name} must be an integer 0-${max}, got ${value}`);
  };
  field('payloadType', packet.payloadType, 0x7f);
  field('sequenceNumber', packet.sequenceNumber, 0xffff);
  field('timestamp', packet.timestamp, 0xffffffff);
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A performance.now() reading as whole epoch microseconds. */
export function epochMicroseconds(performanceNowMs: number): number {
  return Math.round((performance.timeOrigin + performanceNowMs) * 1000);
}

/**
 * The capture's pcap holds IPv4 only: ::1 and IPv4-mapped addresses become their IPv4 form; any other IPv6
 * address is written as 127.0.0.1 (the ports stay real, which is what `tshark -d udp.port==N,rtp` needs).
 */
export function pcapIpv4(address: string): string {
  if (isIPv4(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return mapped && isIPv4(mapped) ? mapped : '127.0.0.1';
}
