// The call layer: joins Jingle signalling (jingle/, over xmpp/) with media (media/).
export { Call } from './call.js';
export type { CallMediaOptions, DtmfOptions, Impairment, LiveCallStats, RemoteState, OutgoingCallOptions, ReferenceAudio, Signalling } from './call-options.js';
export { Endpoint, type AnswerPolicy, type EndpointOptions } from './endpoint.js';
export { CALL_FEATURES } from './features.js';
export { reportBothEnds, reportOneEnd, type CallLegResult, type CallReport, type DirectionReport, type TimelineEntry } from './result.js';
export { scoreReport } from './score-report.js';
export { scoreDirection, playedSignal, onSenderTimeline, type DirectionScores, type QualityVerdict, type ScoreOptions } from './direction-scores.js';
export { prepareReference } from './encoded-reference.js';
export { DEFAULT_REFERENCE, loadReference, referenceSeconds } from './reference-audio.js';
