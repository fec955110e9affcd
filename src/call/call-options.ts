// What a call leg is given and what it tells while it runs: its signalling channel, the media options of a call
// (what to play and record, codecs, ICE servers, impairment, timeouts), and the live figures and peer state.
import type { Jingle, JmiMessage } from '../jingle/index.js';
import type { CodecName, IceServerConfig } from '../media/index.js';
import type { Profile } from '../netsim/index.js';

/** How a call leg talks to its peer: Jingle requests as iq sets, JMI messages as chat messages. */
export interface Signalling {
  readonly self: string;
  sendJingle(to: string, jingle: Jingle): Promise<void>;
  sendJmi(to: string, message: JmiMessage): Promise<void>;
}

export interface ReferenceAudio {
  path: string;
  samples: Float32Array;
  sampleRate: number;
}

/** The media of a call; the codecs default to opus, PCMU, PCMA. */
export const DEFAULT_CODECS: readonly CodecName[] = ['opus', 'PCMU', 'PCMA'];

/** A network profile applied at this leg's end, to every media packet both ways; the seed replays it. */
export interface Impairment {
  profile: Profile;
  seed: number;
}

export interface CallMediaOptions {
  /** Speech to send; looped while the call lasts when `loop` is set. */
  play: ReferenceAudio;
  loop?: boolean;
  /** Where to write what the far end sends, as a listener hears it. */
  recordPath?: string;
  /** Where to write a pcap of the call's RTP and RTCP as sent and received (decrypted). */
  capturePath?: string;
  /** Codecs in preference order; one name forces it. Default opus, PCMU, PCMA. */
  codecs?: CodecName[];
  iceServers?: IceServerConfig[];
  /** Only loopback host candidates (and relays): the lab's setting. Default true. */
  loopbackOnly?: boolean;
  /** Also gather IPv6 host candidates (::1 with loopbackOnly); 'only': IPv6 candidates alone, so media goes over IPv6. Default false. */
  ipv6?: boolean | 'only';
  /** Use relay (TURN) candidates only: the media goes through the TURN server. Needs a TURN server. */
  forceRelay?: boolean;
  /**
   * Silence sent after the peer is first heard, before the speech starts, so that the peer's jitter buffer has
   * settled: libwebrtc's NetEq (Conversations, browsers) time-stretches its first ~0.9 s of audio while it
   * reaches its start-up delay, which costs speech played then ~1.5 MOS in that window. Default 0.
   */
  speechLeadInMs?: number;
  /** End the call when no RTP has arrived for this long once connected. Default 5000 ms. */
  mediaTimeoutMs?: number;
  /** Give up when ICE and DTLS have not connected this long after the offer/answer. Default 10000 ms. */
  connectTimeoutMs?: number;
  impairment?: Impairment;
  /**
   * Allow plain RTP (RTP/AVP: no DTLS-SRTP, audio readable and forgeable on the network), for peers that have no
   * DTLS-SRTP such as Gajim 1.7 (Farstream). A caller offers plain RTP; a callee accepts a plain RTP offer (a DTLS
   * offer still gets DTLS-SRTP). The call's result says `encryption: 'none'`. Default false: offers without DTLS
   * are refused with security-error.
   */
  insecureRtp?: boolean;
}

export interface OutgoingCallOptions extends CallMediaOptions {
  /** Ring all devices of a bare JID with JMI first (default for a bare JID), or send session-initiate directly. */
  jmi?: boolean;
  /** Give up (retract, or terminate with timeout) when the call is not accepted this long after it was placed. Default 30000 ms. */
  ringTimeoutMs?: number;
  /** The session id to use (default: a random one); a call script uses it to find the far end's leg. */
  sid?: string;
}

export type CallPhase = 'signalling' | 'connecting' | 'media' | 'ended';

export interface LiveCallStats {
  phase: CallPhase;
  codec?: string;
  /** RTP packets sent, and audio packets received, lost and concealed so far. */
  sent: number;
  received: number;
  lost: number;
  concealed: number;
  jitterMs?: number;
  rttMs?: number;
  meanBufferDelayMs?: number;
}

export interface DtmfOptions {
  /** Length of each tone, rounded up to 20 ms; default 100 ms. */
  durationMs?: number;
  /** -dBm0, 0-63; default 10. */
  volume?: number;
}

/** What the peer said about its end with XEP-0167 session-info. */
export interface RemoteState {
  /** The peer put the call on hold: it sends no media, and our media watchdog waits. */
  held: boolean;
  muted: boolean;
}
