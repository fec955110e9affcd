// The XMPP layer: the only code that touches @xmpp/* packages.
export { XmppConnection, type ConnectOptions, type StanzaDirection, type XmppAccount } from './connection.js';
export { StanzaError, NS_STANZAS, type StanzaErrorOptions, type StanzaErrorType } from './stanza-error.js';
export { SaslError } from './sasl.js';
export { ScramError, ScramSha1Client, randomScramNonce } from './scram-sha-1.js';
export { TlsError, classifyTlsError, type TlsFailureReason, type TlsMode } from './tls-policy.js';
export { capsVerification, capsElement, CAPS_NODE, NS_CAPS } from './caps.js';
export { discoInfoQuery, discoInfoResult, parseDiscoInfo, NS_DISCO_INFO, type DiscoIdentity, type DiscoInfo } from './disco.js';
export {
  parseExternalServices,
  toIceServers,
  NS_EXTDISCO_1,
  NS_EXTDISCO_2,
  type ExternalService,
  type IceServer,
} from './external-services.js';
export type { IqHandler, IqType } from './iq-responder.js';
export { probeTls, type TlsProbeResult, type TlsProbeTarget } from './tls-probe.js';
export { checkRevocation, describeRevocation, type RevocationPolicy, type RevocationReport, type RevocationCheck } from './revocation.js';
export { chooseScram, type ChannelBindingPolicy, type SaslOutcome } from './sasl.js';
export type { ScramChannelBinding } from './scram-sha-1.js';
export type { TlsDetails } from './tls-policy.js';
export type { ConnectionSecurity } from './connection.js';
export type { ChannelBindingType } from './channel-binding.js';
export { describeConnectionChange, type ConnectionState, type ConnectionStateChange } from './connection-state.js';
export { StreamManagement, NS_SM, type StreamManagementPhase, type StreamManagementReaction } from './stream-management.js';
export { reconnectDelayMs, type ReconnectPolicy } from './reconnect-policy.js';
export type { StreamManagementStatus } from './session-establishment.js';
export { bareJid } from './jid.js';
