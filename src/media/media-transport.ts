// What a call leg needs from its media transport, whichever it is: RtpTransport (ICE + DTLS-SRTP, the default)
// or PlainRtpTransport (ICE + plain RTP/AVP, only when the user allows insecure RTP). Both speak SDP at their
// boundary, trickle candidates, and pass every packet through the same impairment gate and capture.
import type { Event } from '../util/index.js';
import type { RtcpStats } from './rtcp-state.js';
import type { RtpPacketFields } from './rtp-packet.js';

/** How a transport protects media: DTLS-SRTP, or not at all (plain RTP, readable and forgeable on the path). */
export type MediaEncryption = 'dtls-srtp' | 'none';

export interface MediaTransport {
  readonly encryption: MediaEncryption;
  /** The SSRC announced in SDP; sendRtp requires packets to carry it. */
  readonly localSsrc: number;
  /** A local candidate ('candidate:...') and the mid of its m-line; emitted after the SDP holding it was returned. */
  readonly onLocalCandidate: Event<[string, string]>;
  readonly onConnected: Event<[]>;
  /** At most once; the transport stops sending and should be closed. */
  readonly onFailed: Event<[RtpTransportError]>;
  /** Incoming RTP (decrypted where it was encrypted) and its arrival time (performance.now() ms). */
  readonly onRtp: Event<[RtpPacketFields, number]>;
  /** Our SDP offer, after gathering. */
  createOffer(): Promise<string>;
  /** Applies a remote offer and returns our answer. */
  acceptOffer(remoteSdp: string): Promise<string>;
  acceptAnswer(remoteSdp: string): Promise<void>;
  /**
   * ICE restart, offering side: new local credentials for the peer; the candidates of the new generation follow
   * through onLocalCandidate. DTLS and SRTP keep going. Complete it with completeIceRestart().
   */
  startIceRestart(): Promise<IceCredentials>;
  /** ICE restart, offering side: the peer's new credentials, from its answer; its candidates come with addRemoteCandidate. */
  completeIceRestart(remote: IceCredentials): Promise<void>;
  /**
   * ICE restart, answering side: applies the peer's new credentials and returns our new ones; the candidates of the
   * new generation follow through onLocalCandidate. DTLS and SRTP keep going.
   */
  restartIce(remote: IceCredentials): Promise<IceCredentials>;
  /** A trickled remote candidate ('candidate:...' or 'a=candidate:...') for the m-line `mid`. */
  addRemoteCandidate(candidateSdp: string, mid: string): Promise<void>;
  /** Sends one packet with its header unchanged; throws before onConnected, drops after close() or a failure. */
  sendRtp(packet: RtpPacketFields): void;
  stats(): RtpTransportStats;
  /** The candidate pair ICE selected: the live one while connected, afterwards the last one; undefined before. */
  selectedPair(): SelectedCandidatePair | undefined;
  /** Idempotent; leaves no socket or timer behind. */
  close(): Promise<void>;
}

/** One side's ICE username fragment and password (a=ice-ufrag, a=ice-pwd). */
export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

/** Our end and the peer's of the candidate pair ICE selected (a relay's address is its relayed address). */
export interface SelectedCandidatePair {
  local: { type: string; address: string; port: number };
  remote: { type: string; address: string; port: number };
}

export interface IceServerConfig {
  /** stun:, turn: or turns: URL (XEP-0215). werift uses the first STUN and the first TURN entry. */
  urls: string;
  username?: string;
  credential?: string;
}

/** One payload type as it appears in SDP (`a=rtpmap` and `a=fmtp`). */
export interface SdpCodec {
  payloadType: number;
  /** Encoding name as in rtpmap: 'opus', 'PCMU', 'PCMA', 'telephone-event'. */
  name: string;
  clockRate: number;
  channels?: number;
  /** The a=fmtp value, e.g. 'minptime=10;useinbandfec=1'. */
  parameters?: string;
}

/**
 * Where every media packet passes on its way out and in, RTP and RTCP alike: earshot's network impairment
 * (netsim) hooks in here, so that it works against any peer. A gate may call `pass` later, or never (a loss).
 */
export interface PacketGate {
  outbound(kind: 'rtp' | 'rtcp', sizeBytes: number, pass: () => void): void;
  inbound(kind: 'rtp' | 'rtcp', sizeBytes: number, pass: () => void): void;
}

export type RtpTransportState = 'new' | 'negotiating' | 'connecting' | 'connected' | 'failed' | 'closed';

export type RtpTransportFailure =
  | 'no-fingerprint'
  | 'bad-sdp'
  | 'no-common-codec'
  | 'fingerprint-mismatch'
  | 'dtls-failed'
  | 'ice-failed'
  | 'connect-timeout'
  | 'connection-lost';

export class RtpTransportError extends Error {
  override readonly name = 'RtpTransportError';
  constructor(
    readonly reason: RtpTransportFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface RtpTransportStats extends RtcpStats {
  /** From createOffer/acceptOffer to onConnected. */
  connectMs?: number;
}
