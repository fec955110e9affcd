// XML namespaces of the Jingle RTP/ICE/DTLS family and of Jingle Message Initiation.
export const NS = {
  jingle: 'urn:xmpp:jingle:1',
  jingleErrors: 'urn:xmpp:jingle:errors:1',
  rtp: 'urn:xmpp:jingle:apps:rtp:1',
  rtpInfo: 'urn:xmpp:jingle:apps:rtp:info:1',
  rtcpFb: 'urn:xmpp:jingle:apps:rtp:rtcp-fb:0',
  hdrext: 'urn:xmpp:jingle:apps:rtp:rtp-hdrext:0',
  ssma: 'urn:xmpp:jingle:apps:rtp:ssma:0',
  iceUdp: 'urn:xmpp:jingle:transports:ice-udp:1',
  dtls: 'urn:xmpp:jingle:apps:dtls:0',
  jmi: 'urn:xmpp:jingle-message:0',
  hints: 'urn:xmpp:hints',
  receipts: 'urn:xmpp:receipts',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
} as const;
