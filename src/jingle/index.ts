// The Jingle layer: typed model, XML and SDP translation, codec choice, JMI and the session state machine.
// Pure code: imports only util (ltx elements, Event), never @xmpp/*, werift or media.
export * from './model.js';
export { NS } from './namespaces.js';
export * from './errors.js';
export { parseJingle, serializeJingle, parseCandidate, serializeCandidate, candidateId, STATIC_PAYLOAD_NAMES } from './stanza.js';
export * from './jmi.js';
export * from './sdp.js';
export * from './media-security.js';
export * from './codecs.js';
export * from './session.js';
