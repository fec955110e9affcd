// What earshot advertises in disco#info: the set Conversations checks before it offers a call (INTEROP.md),
// plus JMI and rtcp-fb.
import { NS } from '../jingle/index.js';

export const CALL_FEATURES: readonly string[] = [
  NS.jingle,
  NS.rtp,
  'urn:xmpp:jingle:apps:rtp:audio',
  NS.iceUdp,
  NS.dtls,
  NS.jmi,
  NS.rtcpFb,
];
