// The typed call script: what parseScenario returns once a YAML script has passed every check.
// Durations are already milliseconds, comparisons already parsed; relative file names are as written
// (the runner resolves them against the script's folder).

/** Which end of a call a step acts on. */
export type Side = 'caller' | 'callee';

export interface Scenario {
  name: string;
  description?: string;
  accounts: Record<string, AccountRef>;
  calls: CallScript[];
  /** How many calls run at once (default 1: one after the other). */
  parallel?: number;
  /**
   * Accounts whose server gets the TLS client tests of `earshot tls-check` before any call (TLS 1.2+, a valid
   * certificate for the domain, revocation, login with channel binding where offered); each test counts like an
   * expectation.
   */
  tlsCheck?: string[];
}

/**
 * An account of the lab (`lab: alice`) or of any server, its password never written in the script; or a
 * client earshot calls but does not drive (Conversations, Dino ... waiting at a JID): `{ jid, external: true }`.
 */
export type AccountRef = LabAccountRef | ServerAccountRef | ExternalAccountRef;

export interface ExternalAccountRef {
  jid: string;
  external: true;
}

export interface LabAccountRef {
  lab: string;
}

export type ServerAccountRef = {
  jid: string;
  host?: string;
  port?: number;
  tls?: 'starttls' | 'direct';
  /** A PEM file of the CA that signed the server's certificate. */
  ca?: string;
} & ({ passwordEnv: string; passwordFile?: undefined } | { passwordFile: string; passwordEnv?: undefined });

export interface CallScript {
  name: string;
  /** Account names, keys of Scenario.accounts. */
  caller: string;
  callee: string;
  /** `jmi`: Jingle Message Initiation to the bare JID (rings every device); `direct`: session-initiate to a full JID. */
  via: 'jmi' | 'direct';
  codec?: 'opus' | 'pcmu' | 'pcma';
  /**
   * Both sides allow plain RTP without DTLS-SRTP (for Gajim 1.7): the caller offers it, and the report says
   * `encryption: none`. Default false: DTLS-SRTP, and offers without it refused.
   */
  insecureRtp?: boolean;
  /**
   * `leadIn` in a script: silence each earshot side sends after first hearing the other, before its speech
   * starts, so that the peer's jitter buffer has settled (1s for libwebrtc clients). Default 0.
   */
  leadInMs?: number;
  /** The impairment profile (name or file) the call starts with. */
  profile?: string;
  /** How many times the call is placed (default 1). */
  repeat?: number;
  /**
   * What happens after the call is placed, in order. `play` and `record` say what a side sends (looped from
   * when media starts, scored against) and where what it hears is written; one of each per side.
   */
  steps: Step[];
  expect?: Expectations;
}

export type Step =
  | { kind: 'expectRinging'; withinMs?: number }
  | { kind: 'answer' }
  | { kind: 'reject'; reason: 'decline' | 'busy' }
  | { kind: 'wait'; ms: number }
  | { kind: 'play'; file: string; side: Side }
  | { kind: 'record'; file: string; side: Side }
  | { kind: 'dtmf'; digits: string; side: Side }
  | { kind: 'mute'; on: boolean; side: Side }
  | { kind: 'hold'; on: boolean; side: Side }
  | { kind: 'profile'; profile: string; side: Side }
  | { kind: 'iceRestart'; side: Side }
  | { kind: 'hangup'; side: Side };

export type StepKind = Step['kind'];

export const STEP_KINDS: readonly StepKind[] = [
  'expectRinging',
  'answer',
  'reject',
  'wait',
  'play',
  'record',
  'dtmf',
  'mute',
  'hold',
  'profile',
  'iceRestart',
  'hangup',
];

export type ComparisonOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Comparison {
  op: ComparisonOp;
  value: number;
}

/**
 * Expected figures keyed by metric name: a call metric (`setupMs`), a direction metric for the call as a whole
 * (`mosLqo`: the runner gives the worse direction), or a direction metric of one direction (`callerToCallee.mosLqo`).
 * Values are the comparison strings as written (`">= 3.5"`), already checked by the parser.
 */
export type Expectations = Record<string, string>;

export const CALL_METRICS = ['setupMs', 'rttMs', 'durationMs'] as const;
export const DIRECTION_METRICS = ['mosLqo', 'emodelMos', 'lossPct', 'jitterMs', 'mouthToEarMs', 'concealedFrames'] as const;
export const DIRECTIONS = ['callerToCallee', 'calleeToCaller'] as const;
