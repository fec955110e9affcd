// The media layer: RTP over ICE with DTLS-SRTP (rtp-transport.ts) or, on request, plain (plain-rtp-transport.ts),
// both on werift (with ice-rtp-transport.ts and rtcp-session.ts, the only files that import it), packet capture, and audio: files, codecs,
// pacing, jitter buffer, playout.
export * from './audio-index.js';
export {
  RtpTransport,
  RtpTransportError,
  type PacketGate,
  type IceServerConfig,
  type SdpCodec,
  type RtpTransportOptions,
  type RtpTransportState,
  type RtpTransportFailure,
  type RtpTransportStats,
} from './rtp-transport.js';
export { RtcpState, type RtcpReport, type RtcpReportBlock, type RtcpStats } from './rtcp-state.js';
export { PacketCapture, DEFAULT_MAX_CAPTURED_PACKETS, PLACEHOLDER_ENDPOINTS, type PacketCaptureOptions } from './packet-capture.js';
export { toPcap, writePcap, pcapPacketProblem, PcapInputError, SYSLOG_PORT, MAX_NOTE_CHARS, type PcapPacket, type PcapNote, type PcapEndpoint, type PcapEndpoints } from './pcap.js';
export { PlainRtpTransport, type PlainRtpTransportOptions } from './plain-rtp-transport.js';
export type { MediaTransport, MediaEncryption } from './media-transport.js';
export type { SelectedCandidatePair } from './media-transport.js';
export type { Ipv6Policy } from './transport-common.js';
export type { IceCredentials } from './media-transport.js';
