import type { DirectionScores } from './direction-scores.js';

// What a call produces: each leg's own view (CallLegResult), and the JSON contract of `selftest`, `call` and
// `answer` (CallReport), which joins the views of both ends where earshot has them.

export interface TimelineEntry {
  /** Since the leg started (call placed, or offer received). */
  atMs: number;
  event: string;
}

export interface CallLegResult {
  id: string;
  role: 'initiator' | 'responder';
  self: string;
  peer: string;
  signalling: 'jmi' | 'direct';
  /**
   * How the media was protected: DTLS-SRTP, or 'none' for plain RTP (only ever with insecureRtp, for peers without
   * DTLS-SRTP). A leg that never got as far as a media transport says 'dtls-srtp': it sent no media in the clear.
   */
  encryption: 'dtls-srtp' | 'none';
  codec?: { name: string; clockRate: number; payloadType: number };
  /** From placing the call (or receiving it) to ICE and DTLS connected. */
  setupMs?: number;
  firstMediaMs?: number;
  mediaMs: number;
  end: { condition: string; text?: string; by: 'local' | 'remote' };
  reference: string;
  recording?: string;
  /** A pcap of the call's RTP and RTCP, both ways, decrypted (decode with tshark -d udp.port==N,rtp). */
  capture?: string;
  /** The received packets, one JSON line each (arrivalMs, seq, timestamp, ssrc, payloadType, size, fate). */
  packetLog?: string;
  /** Epoch ms of the first packet sent, and of the recording's first sample: they place both on one time line. */
  sendingStartedAt?: number;
  recordingStartedAt?: number;
  sent: { packets: number; bytes: number; latenessP99Ms: number };
  received?: {
    packets: number;
    lost: number;
    late: number;
    duplicates: number;
    concealed: number;
    jitterMs: number;
    meanBufferDelayMs: number;
  };
  /** What the peer's RTCP said about our stream. */
  peerReport?: { lost: number; jitterMs?: number };
  rttMs?: number;
  /** The network profile applied at this end: per direction (up: from this end), what its fate log says. */
  impairment?: {
    profile: string;
    source: string;
    seed: number;
    up: ImpairmentFigures;
    down: ImpairmentFigures;
    /** Every packet's fate, one JSON line each (direction, kind, id, sentAtMs, fate, deliverAtMs, delayMs). */
    fateLog?: string;
  };
  timeline: TimelineEntry[];
}

export interface ImpairmentFigures {
  packets: number;
  delivered: number;
  lost: number;
  droppedByQueue: number;
  lostInOutage: number;
  duplicated: number;
  meanDelayMs: number;
}

export interface DirectionReport {
  from: string;
  to: string;
  reference: string;
  recording: string | null;
  packetLog: string | null;
  packets: { sent: number | null; received: number | null; lost: number | null; late: number | null; duplicates: number | null; concealed: number | null };
  jitterMs: number | null;
  meanBufferDelayMs: number | null;
  /** Where the figures come from: both ends measured by earshot, or the far end's RTCP. */
  measuredBy: 'receiver' | 'rtcp';
  /** Added by scoreReport: the recording against what was played, the RTP statistics and the E-model. */
  quality?: DirectionScores['quality'];
  emodel?: DirectionScores['emodel'];
  network?: DirectionScores['network'];
  networkWindows?: DirectionScores['networkWindows'];
}

export interface CallReport {
  id: string;
  caller: string;
  callee: string;
  signalling: 'jmi' | 'direct';
  /** 'none' when either end ran plain RTP: the call's audio crossed the network unencrypted. */
  encryption: 'dtls-srtp' | 'none';
  codec: { name: string; clockRate: number; payloadType: number } | null;
  setupMs: number | null;
  durationMs: number;
  end: CallLegResult['end'];
  rttMs: number | null;
  /** The impairment applied at the caller's (or, for answer, this) end, if any. */
  impairment: CallLegResult['impairment'] | null;
  directions: DirectionReport[];
  timeline: TimelineEntry[];
}

/** A call seen from both ends (selftest, or earshot calling earshot). */
export function reportBothEnds(caller: CallLegResult, callee: CallLegResult): CallReport {
  return {
    ...header(caller),
    encryption: caller.encryption === 'none' || callee.encryption === 'none' ? 'none' : 'dtls-srtp',
    rttMs: caller.rttMs ?? callee.rttMs ?? null,
    impairment: caller.impairment ?? callee.impairment ?? null,
    directions: [direction(caller, callee), direction(callee, caller)],
  };
}

/** A call seen from one end only: the far end's figures come from its RTCP reports. */
export function reportOneEnd(leg: CallLegResult): CallReport {
  const outgoing: DirectionReport = {
    from: leg.self,
    to: leg.peer,
    reference: leg.reference,
    recording: null,
    packetLog: null,
    packets: {
      sent: leg.sent.packets,
      received: leg.peerReport ? Math.max(0, leg.sent.packets - leg.peerReport.lost) : null,
      lost: leg.peerReport?.lost ?? null,
      late: null,
      duplicates: null,
      concealed: null,
    },
    jitterMs: leg.peerReport?.jitterMs ?? null,
    meanBufferDelayMs: null,
    measuredBy: 'rtcp',
  };
  const incoming: DirectionReport = {
    from: leg.peer,
    to: leg.self,
    reference: '',
    recording: leg.recording ?? null,
    packetLog: leg.packetLog ?? null,
    packets: receivedPackets(null, leg),
    jitterMs: leg.received?.jitterMs ?? null,
    meanBufferDelayMs: leg.received?.meanBufferDelayMs ?? null,
    measuredBy: 'receiver',
  };
  const caller = leg.role === 'initiator' ? leg.self : leg.peer;
  return {
    ...header(leg),
    caller,
    callee: leg.role === 'initiator' ? leg.peer : leg.self,
    rttMs: leg.rttMs ?? null,
    impairment: leg.impairment ?? null,
    directions: leg.role === 'initiator' ? [outgoing, incoming] : [incoming, outgoing],
  };
}

function header(caller: CallLegResult): Omit<CallReport, 'rttMs' | 'directions' | 'impairment'> {
  return {
    id: caller.id,
    caller: caller.self,
    callee: caller.peer,
    signalling: caller.signalling,
    encryption: caller.encryption,
    codec: caller.codec ?? null,
    setupMs: caller.setupMs ?? null,
    durationMs: caller.mediaMs,
    end: caller.end,
    timeline: caller.timeline,
  };
}

function direction(sender: CallLegResult, receiver: CallLegResult): DirectionReport {
  return {
    from: sender.self,
    to: receiver.self,
    reference: sender.reference,
    recording: receiver.recording ?? null,
    packetLog: receiver.packetLog ?? null,
    packets: receivedPackets(sender, receiver),
    jitterMs: receiver.received?.jitterMs ?? null,
    meanBufferDelayMs: receiver.received?.meanBufferDelayMs ?? null,
    measuredBy: 'receiver',
  };
}

function receivedPackets(sender: CallLegResult | null, receiver: CallLegResult): DirectionReport['packets'] {
  const r = receiver.received;
  return {
    sent: sender ? sender.sent.packets : null,
    received: r?.packets ?? null,
    lost: r?.lost ?? null,
    late: r?.late ?? null,
    duplicates: r?.duplicates ?? null,
    concealed: r?.concealed ?? null,
  };
}
