// What earshot advertises in disco#info: the set Conversations checks before it offers a call (INTEROP.md),
// plus JMI, rtcp-fb, and XEP-0184 receipts (answered for JMI proposes, as Conversations asks).
import { NS } from '../jingle/index.js';

export const CALL_FEATURES: readonly string[] = [
  NS.jingle,
  NS.rtp,
  'urn:xmpp:jingle:apps:rtp:audio',
  NS.iceUdp,
  NS.dtls,
  NS.jmi,
  NS.rtcpFb,
  NS.receipts,
];
