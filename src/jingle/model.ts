// Typed model of a Jingle RTP audio/video session, independent of XML and of any media stack.
//   XEP-0166 Jingle 1.1.2 (actions, contents, reasons, errors)
//   XEP-0167 Jingle RTP Sessions 1.2.2 (description, payload types, SDES crypto, session-info)
//   XEP-0176 Jingle ICE-UDP Transport Method 1.1 (transport, candidates)
//   XEP-0320 Use of DTLS-SRTP in Jingle Sessions 1.0.0 (fingerprint)
//   XEP-0293 RTP feedback 1.0, XEP-0294 header extensions 1.1, XEP-0339 source attributes 1.0

export const JINGLE_ACTIONS = [
  'content-accept',
  'content-add',
  'content-modify',
  'content-reject',
  'content-remove',
  'description-info',
  'security-info',
  'session-accept',
  'session-info',
  'session-initiate',
  'session-terminate',
  'transport-accept',
  'transport-info',
  'transport-reject',
  'transport-replace',
] as const;
export type JingleAction = (typeof JINGLE_ACTIONS)[number];

export type Role = 'initiator' | 'responder';
export type Senders = 'both' | 'initiator' | 'responder' | 'none';
export type Media = 'audio' | 'video';

export interface Jingle {
  action: JingleAction;
  sid: string;
  initiator?: string;
  responder?: string;
  contents: Content[];
  reason?: Reason;
  /** Payload of a session-info; absent in an empty session-info (a ping). */
  info?: SessionInfo;
}

export interface Content {
  creator: Role;
  name: string;
  /** Absent means 'both' (XEP-0166 default). */
  senders?: Senders;
  /** Absent when the content carries no RTP description (another application, or none at all). */
  description?: RtpDescription;
  /** Absent when the content carries no ICE-UDP transport. */
  transport?: IceUdpTransport;
}

export interface RtpDescription {
  media: Media;
  ssrc?: number;
  payloadTypes: PayloadType[];
  rtcpMux: boolean;
  /** Feedback that applies to every payload type (XEP-0293 at description level). */
  rtcpFb?: RtcpFeedback[];
  headerExtensions?: HeaderExtension[];
  sources?: Source[];
  sourceGroups?: SourceGroup[];
  /** SDES-SRTP keys (XEP-0167 §7). Parsed so they can be refused or ignored: earshot only does DTLS-SRTP. */
  crypto?: SdesCrypto[];
  /** `<encryption required="1">`: the peer refuses unencrypted media. */
  encryptionRequired?: boolean;
}

export interface PayloadType {
  id: number;
  name: string;
  clockrate?: number;
  /** Absent means 1 (XEP-0167). Opus must say 2. */
  channels?: number;
  ptime?: number;
  maxptime?: number;
  /** fmtp parameters. A bare fmtp token such as telephone-event's `0-15` is a key with an empty value. */
  parameters: Record<string, string>;
  feedback?: RtcpFeedback[];
}

export interface RtcpFeedback {
  type: string;
  subtype?: string;
}

export interface HeaderExtension {
  id: number;
  uri: string;
  senders?: Senders;
}

/** XEP-0339: one SSRC and its attributes (cname, msid ...). A parameter without value has value ''. */
export interface Source {
  ssrc: number;
  parameters: Array<{ name: string; value: string }>;
}

export interface SourceGroup {
  semantics: string;
  ssrcs: number[];
}

export interface SdesCrypto {
  tag: number;
  cryptoSuite: string;
  keyParams: string;
  sessionParams?: string;
}

export type DtlsSetup = 'actpass' | 'active' | 'passive';

export interface Fingerprint {
  /** Hash function name as in SDP, e.g. 'sha-256'. */
  hash: string;
  setup?: DtlsSetup;
  /** Colon-separated upper-case hex. */
  value: string;
}

export interface IceUdpTransport {
  ufrag?: string;
  pwd?: string;
  candidates: Candidate[];
  fingerprint?: Fingerprint;
}

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

export interface Candidate {
  component: number;
  foundation: string;
  /** Optional on input (many stacks omit it); written as 0 when absent. */
  generation?: number;
  /** Optional on input; a stable id derived from the address is written when absent. */
  id?: string;
  ip: string;
  /** Optional on input; written as 0 when absent. */
  network?: number;
  port: number;
  priority: number;
  protocol: 'udp' | 'tcp';
  type: CandidateType;
  relAddr?: string;
  relPort?: number;
  /** RFC 6544 TCP candidate type. */
  tcpType?: 'active' | 'passive' | 'so';
}

export const REASON_CONDITIONS = [
  'alternative-session',
  'busy',
  'cancel',
  'connectivity-error',
  'decline',
  'expired',
  'failed-application',
  'failed-transport',
  'general-error',
  'gone',
  'incompatible-parameters',
  'media-error',
  'security-error',
  'success',
  'timeout',
  'unsupported-applications',
  'unsupported-transports',
] as const;
export type ReasonCondition = (typeof REASON_CONDITIONS)[number];

export interface Reason {
  condition: ReasonCondition;
  text?: string;
  /** The other session's sid, with condition 'alternative-session'. */
  alternativeSid?: string;
}

/** XEP-0167 §7.2 informational messages. */
export type SessionInfo =
  | { type: 'ringing' }
  | { type: 'active' }
  | { type: 'hold' }
  | { type: 'unhold' }
  | { type: 'mute'; creator?: Role; name?: string }
  | { type: 'unmute'; creator?: Role; name?: string };

export function otherRole(role: Role): Role {
  return role === 'initiator' ? 'responder' : 'initiator';
}
