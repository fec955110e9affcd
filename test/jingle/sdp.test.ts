import assert from 'node:assert/strict';
import {
  JingleError,
  candidateToSdp,
  contentsToSdp,
  parseJingle,
  sdpToCandidate,
  sdpToContents,
  type Candidate,
  type Content,
} from '../../src/jingle/index.js';
import { fixtureText, fixtureXml } from './helpers.js';

const contentsOf = (fixture: string) => parseJingle(fixtureXml(fixture)).contents;
const FINGERPRINT = { hash: 'sha-256', value: 'AB:CD:EF' };

function audioContent(overrides: Partial<Content> = {}): Content {
  return {
    creator: 'initiator',
    name: '0',
    description: { media: 'audio', payloadTypes: [{ id: 0, name: 'PCMU', clockrate: 8000, parameters: {} }], rtcpMux: true },
    transport: { ufrag: 'uf', pwd: 'pw', candidates: [], fingerprint: { ...FINGERPRINT, setup: 'actpass' } },
    ...overrides,
  };
}

function thrown(action: () => unknown): JingleError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof JingleError, `expected a JingleError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a JingleError');
}

/** The lines of an SDP that match a prefix. */
const linesOf = (sdp: string, prefix: string) => sdp.split('\r\n').filter((line) => line.startsWith(prefix));

describe('jingle/sdp', () => {
  describe('Jingle -> SDP golden files', () => {
    for (const [xml, sdp, options] of [
      ['conversations-session-initiate.xml', 'conversations-session-initiate.sdp', { type: 'offer' }],
      ['dino-session-initiate.xml', 'dino-session-initiate.sdp', { type: 'offer' }],
      ['dino-session-accept.xml', 'dino-session-accept.sdp', { type: 'answer' }],
      ['farstream-session-initiate.xml', 'farstream-session-initiate.insecure.sdp', { type: 'offer', allowInsecureRtp: true }],
    ] as const) {
      it(`${xml} -> ${sdp}`, () => {
        const jingle = parseJingle(fixtureXml(xml));
        assert.equal(contentsToSdp(jingle.contents, { sessionId: jingle.sid, ...options }), fixtureText(sdp));
      });
    }

    it('Dino: the component-2 candidate is left out when rtcp-mux is on', () => {
      const sdp = fixtureText('dino-session-initiate.sdp');
      assert.deepEqual(linesOf(sdp, 'a=candidate:'), ['a=candidate:1 1 udp 2013266431 192.168.1.23 40114 typ host generation 0 network-id 0']);
    });

    it('Farstream, insecure allowed: RTP/AVP, no fingerprint or SDES crypto lines, RTCP candidates kept', () => {
      const sdp = fixtureText('farstream-session-initiate.insecure.sdp');
      assert.match(sdp, /^m=audio 9 RTP\/AVP 96 8 0 101\r$/m);
      assert.deepEqual(linesOf(sdp, 'a=fingerprint').concat(linesOf(sdp, 'a=crypto'), linesOf(sdp, 'a=setup')), []);
      assert.equal(linesOf(sdp, 'a=candidate:').length, 2);
    });
  });

  describe('Jingle -> SDP rules', () => {
    it('Opus offered without channels or fmtp is written as opus/48000/2 with minptime and FEC (INTEROP bug 3)', () => {
      const content = audioContent();
      content.description!.payloadTypes = [{ id: 96, name: 'opus', clockrate: 48000, parameters: {} }];
      const sdp = contentsToSdp([content], { sessionId: '1', type: 'offer' });
      assert.deepEqual(linesOf(sdp, 'a=rtpmap'), ['a=rtpmap:96 opus/48000/2']);
      assert.deepEqual(linesOf(sdp, 'a=fmtp'), ['a=fmtp:96 minptime=10;useinbandfec=1']);
    });

    it('BUNDLE group only with more than one content; the content name is the mid', () => {
      const one = contentsToSdp([audioContent()], { sessionId: '7', type: 'offer' });
      assert.deepEqual(linesOf(one, 'a=group'), []);
      assert.match(one, /^o=- 7 2 IN IP4 0\.0\.0\.0\r$/m);
      const video = audioContent({ name: 'video' });
      video.description = { media: 'video', payloadTypes: [{ id: 100, name: 'VP8', clockrate: 90000, parameters: {} }], rtcpMux: true };
      const two = contentsToSdp([audioContent({ name: 'audio' }), video], { sessionId: '7', type: 'offer' });
      assert.deepEqual(linesOf(two, 'a=group'), ['a=group:BUNDLE audio video']);
      assert.deepEqual(linesOf(two, 'a=mid'), ['a=mid:audio', 'a=mid:video']);
    });

    it('refuses a content without fingerprint unless insecure media is allowed (INTEROP bug 1)', () => {
      const content = audioContent();
      delete content.transport!.fingerprint;
      const error = thrown(() => contentsToSdp([content], { sessionId: '1', type: 'offer' }));
      assert.equal(error.reason, 'security-error');
      assert.match(error.text, /no DTLS fingerprint/);
      assert.match(contentsToSdp([content], { sessionId: '1', type: 'offer', allowInsecureRtp: true }), /^m=audio 9 RTP\/AVP 0\r$/m);
    });

    it('refuses SDES-required media without DTLS even when insecure media is allowed', () => {
      const content = audioContent();
      delete content.transport!.fingerprint;
      content.description!.encryptionRequired = true;
      content.description!.crypto = [{ tag: 1, cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyParams: 'inline:x' }];
      const error = thrown(() => contentsToSdp([content], { sessionId: '1', type: 'offer', allowInsecureRtp: true }));
      assert.equal(error.reason, 'security-error');
      assert.match(error.text, /requires SDES-SRTP/);
    });

    it('SDES crypto beside DTLS is ignored: DTLS-SRTP wins', () => {
      const content = audioContent();
      content.description!.crypto = [{ tag: 1, cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyParams: 'inline:x' }];
      const sdp = contentsToSdp([content], { sessionId: '1', type: 'offer' });
      assert.match(sdp, /UDP\/TLS\/RTP\/SAVPF/);
      assert.deepEqual(linesOf(sdp, 'a=crypto'), []);
    });

    it('DTLS setup: a missing setup is actpass in an offer and active in an answer; actpass in an answer is refused (INTEROP bug 2)', () => {
      const content = audioContent();
      content.transport!.fingerprint = { ...FINGERPRINT };
      assert.deepEqual(linesOf(contentsToSdp([content], { sessionId: '1', type: 'offer' }), 'a=setup'), ['a=setup:actpass']);
      assert.deepEqual(linesOf(contentsToSdp([content], { sessionId: '1', type: 'answer' }), 'a=setup'), ['a=setup:active']);
      content.transport!.fingerprint.setup = 'passive';
      assert.deepEqual(linesOf(contentsToSdp([content], { sessionId: '1', type: 'answer' }), 'a=setup'), ['a=setup:passive']);
      content.transport!.fingerprint.setup = 'actpass';
      const error = thrown(() => contentsToSdp([content], { sessionId: '1', type: 'answer' }));
      assert.equal(error.reason, 'incompatible-parameters');
      assert.match(error.text, /answer says setup=actpass/);
    });

    it('a transport without ufrag is a clear error, not a crash (INTEROP bug 12)', () => {
      const content = audioContent();
      delete content.transport!.ufrag;
      const error = thrown(() => contentsToSdp([content], { sessionId: '1', type: 'offer' }));
      assert.equal(error.reason, 'failed-transport');
      assert.match(error.text, /without ufrag\/pwd/);
    });

    it('contents that are not RTP over ICE-UDP are refused with the matching reason', () => {
      assert.equal(thrown(() => contentsToSdp([audioContent({ description: undefined })], { sessionId: '1', type: 'offer' })).reason, 'unsupported-applications');
      assert.equal(thrown(() => contentsToSdp([audioContent({ transport: undefined })], { sessionId: '1', type: 'offer' })).reason, 'unsupported-transports');
    });

    it('senders map to directions from the author’s point of view', () => {
      const direction = (senders: Content['senders'], type: 'offer' | 'answer') => {
        const content = audioContent({ senders });
        content.transport!.fingerprint = { ...FINGERPRINT };
        return linesOf(contentsToSdp([content], { sessionId: '1', type }), 'a=').find((l) => /^a=(send|recv|inactive)/.test(l));
      };
      assert.equal(direction('initiator', 'offer'), 'a=sendonly');
      assert.equal(direction('initiator', 'answer'), 'a=recvonly');
      assert.equal(direction('responder', 'answer'), 'a=sendonly');
      assert.equal(direction('none', 'offer'), 'a=inactive');
      assert.equal(direction(undefined, 'offer'), 'a=sendrecv');
    });

    it('source attributes are trimmed so no a=ssrc line ends in whitespace (INTEROP bug 7)', () => {
      const content = audioContent();
      content.description!.sources = [{ ssrc: 42, parameters: [{ name: 'msid', value: 'stream track ' }] }];
      assert.deepEqual(linesOf(contentsToSdp([content], { sessionId: '1', type: 'offer' }), 'a=ssrc'), ['a=ssrc:42 msid:stream track']);
    });
  });

  describe('SDP -> Jingle', () => {
    it('werift offer (golden)', () => {
      const contents = sdpToContents(fixtureText('werift-offer.sdp'), { creator: 'initiator' });
      const host = (foundation: string, ip: string, port: number): Candidate => ({
        component: 1,
        foundation,
        ip,
        port,
        priority: 2116026367,
        protocol: 'udp',
        type: 'host',
        generation: 0,
      });
      assert.deepEqual(contents, [
        {
          creator: 'initiator',
          name: '0',
          senders: 'both',
          description: {
            media: 'audio',
            payloadTypes: [
              { id: 111, name: 'opus', clockrate: 48000, channels: 2, parameters: { minptime: '10', useinbandfec: '1' } },
              { id: 0, name: 'PCMU', clockrate: 8000, parameters: {} },
            ],
            rtcpMux: true,
            sources: [{ ssrc: 4050314960, parameters: [{ name: 'cname', value: '0aa5eec1-7137-42de-9299-0560813576bd' }] }],
          },
          transport: {
            ufrag: '03d2',
            pwd: '3f78a6699705bb700cd420',
            fingerprint: {
              hash: 'sha-256',
              value: 'D0:C0:E0:16:B1:AD:1F:A2:49:57:D3:A8:C3:7D:21:04:7F:67:34:20:CD:C7:E0:EF:88:82:1B:2C:A9:A0:24:F4',
              setup: 'actpass',
            },
            candidates: [
              host('626da4e5384a0ce2d0d93678a', '127.0.0.1', 51834),
              host('32b1715da3b0ef8ba684454eb', '192.0.2.2', 36784),
              host('9c29a2bc887618212a1623bfa', 'fd00::2', 32920),
            ],
          },
        },
      ] satisfies Content[]);
    });

    it('libwebrtc offer: TCP candidates, bare fmtp token of RED, header extensions, msid', () => {
      const [content] = sdpToContents(fixtureText('libwebrtc-offer.sdp'), { creator: 'initiator' });
      const description = content?.description;
      assert.deepEqual(description?.payloadTypes.map((pt) => pt.id), [111, 63, 103, 104, 9, 102, 0, 8, 106, 105, 13, 110, 112, 113, 126]);
      assert.deepEqual(description?.payloadTypes[1], { id: 63, name: 'red', clockrate: 48000, channels: 2, parameters: { '111/111': '' } });
      assert.deepEqual(description?.payloadTypes[0]?.feedback, [{ type: 'transport-cc' }]);
      assert.deepEqual(description?.headerExtensions?.map((h) => h.id), [1, 2, 3, 4]);
      assert.deepEqual(description?.sources?.[0]?.parameters.map((p) => p.name), ['cname', 'msid']);
      const tcp = content?.transport?.candidates.filter((c) => c.protocol === 'tcp');
      assert.equal(tcp?.length, 4);
      assert.equal(tcp?.[0]?.tcpType, 'passive');
      assert.equal(content?.transport?.candidates[0]?.network, 2);
    });

    it('drops the trailing whitespace libwebrtc chokes on (INTEROP bug 7)', () => {
      const sdp = fixtureText('libwebrtc-offer.sdp').replace(/(a=ssrc:773734840 msid:\S+ \S+)\r\n/, '$1 \r\n');
      const [content] = sdpToContents(sdp, { creator: 'initiator' });
      assert.equal(content?.description?.sources?.[0]?.parameters[1]?.value, '86323ae2-e1a9-44db-a8ab-0b735fa7c91b 49fd2f42-2c60-4ba0-9b60-2d0a335ede88');
    });

    it('opus without channels or fmtp is normalized to 48000/2 with minptime and FEC', () => {
      const sdp = fixtureText('werift-offer.sdp').replace('opus/48000/2', 'opus/48000').replace('a=fmtp:111 minptime=10;useinbandfec=1\r\n', '');
      const [content] = sdpToContents(sdp, { creator: 'initiator' });
      assert.deepEqual(content?.description?.payloadTypes[0], {
        id: 111,
        name: 'opus',
        clockrate: 48000,
        channels: 2,
        parameters: { minptime: '10', useinbandfec: '1' },
      });
    });

    it('direction -> senders from the author, ICE and DTLS inherited from the session level', () => {
      const sdp = [
        'v=0',
        'o=- 1 2 IN IP4 0.0.0.0',
        's=-',
        't=0 0',
        'a=ice-ufrag:sess',
        'a=ice-pwd:sessionpassword',
        'a=fingerprint:SHA-256 ab:cd',
        'm=audio 9 UDP/TLS/RTP/SAVPF 0',
        'a=setup:active',
        'a=recvonly',
        'a=mid:audio',
        '',
      ].join('\r\n');
      const [content] = sdpToContents(sdp, { creator: 'initiator', author: 'responder' });
      assert.equal(content?.senders, 'initiator');
      assert.deepEqual(content?.transport, {
        candidates: [],
        ufrag: 'sess',
        pwd: 'sessionpassword',
        fingerprint: { hash: 'sha-256', value: 'AB:CD', setup: 'active' },
      });
      assert.deepEqual(content?.description?.payloadTypes, [{ id: 0, name: 'PCMU', clockrate: 8000, parameters: {} }]);
    });

    it('refuses media without fingerprint unless insecure media is allowed; skips rejected (port 0) sections', () => {
      const plain = 'v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=mid:a\r\nm=audio 0 RTP/AVP 8\r\na=mid:b\r\n';
      assert.equal(thrown(() => sdpToContents(plain, { creator: 'initiator' })).reason, 'security-error');
      assert.deepEqual(sdpToContents(plain, { creator: 'initiator', allowInsecureRtp: true }).map((c) => c.name), ['a']);
    });

    it('bad SDP gives a JingleError naming the problem', () => {
      assert.match(thrown(() => sdpToContents('v=0\r\n', { creator: 'initiator' })).text, /no media section/);
      const unmapped = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=fingerprint:sha-256 AA\r\na=mid:0\r\n';
      assert.match(thrown(() => sdpToContents(unmapped, { creator: 'initiator' })).text, /dynamic payload type 96 of '0' has no a=rtpmap/);
    });
  });

  describe('round trips', () => {
    it('Jingle -> SDP -> Jingle keeps the Conversations and Dino contents (senders made explicit)', () => {
      for (const fixture of ['conversations-session-initiate.xml', 'dino-session-accept.xml']) {
        const contents = contentsOf(fixture);
        // The description's ssrc attribute has no SDP line of its own (a=ssrc lines come from <source/>).
        for (const content of contents) delete content.description?.ssrc;
        const sdp = contentsToSdp(contents, { sessionId: '1', type: fixture.includes('accept') ? 'answer' : 'offer' });
        const back = sdpToContents(sdp, { creator: 'initiator', author: fixture.includes('accept') ? 'responder' : 'initiator' });
        const expected = contents.map((c) => ({ ...c, senders: c.senders ?? 'both' }));
        assert.deepEqual(back, expected, fixture);
      }
    });

    it('SDP -> Jingle -> SDP -> Jingle is a fixpoint for werift and libwebrtc offers', () => {
      for (const fixture of ['werift-offer.sdp', 'libwebrtc-offer.sdp']) {
        const once = sdpToContents(fixtureText(fixture), { creator: 'initiator' });
        const sdp = contentsToSdp(once, { sessionId: '1', type: 'offer' });
        assert.deepEqual(sdpToContents(sdp, { creator: 'initiator' }), once, fixture);
        assert.equal(contentsToSdp(sdpToContents(sdp, { creator: 'initiator' }), { sessionId: '1', type: 'offer' }), sdp);
      }
    });
  });

  describe('candidate lines', () => {
    const golden: Array<[string, Candidate]> = [
      [
        'candidate:3586537353 1 udp 1686052607 203.0.113.7 51843 typ srflx raddr 10.0.2.15 rport 51843 generation 0 network-id 1',
        { component: 1, foundation: '3586537353', ip: '203.0.113.7', port: 51843, priority: 1686052607, protocol: 'udp', type: 'srflx', relAddr: '10.0.2.15', relPort: 51843, generation: 0, network: 1 },
      ],
      [
        'candidate:4193659285 1 tcp 1518285567 fd00::2 35205 typ host tcptype passive generation 0',
        { component: 1, foundation: '4193659285', ip: 'fd00::2', port: 35205, priority: 1518285567, protocol: 'tcp', type: 'host', tcpType: 'passive', generation: 0 },
      ],
      [
        'candidate:7 2 udp 16777215 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 61000 generation 1',
        { component: 2, foundation: '7', ip: '198.51.100.9', port: 3478, priority: 16777215, protocol: 'udp', type: 'relay', relAddr: '203.0.113.7', relPort: 61000, generation: 1 },
      ],
    ];
    for (const [line, candidate] of golden) {
      it(`${candidate.type}/${candidate.protocol} both ways`, () => {
        assert.deepEqual(sdpToCandidate(line), candidate);
        assert.equal(candidateToSdp(candidate), line);
      });
    }

    it('accepts the a= form and an upper-case transport; writes generation 0 when unknown', () => {
      const candidate = sdpToCandidate('a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host ufrag abcd');
      assert.equal(candidate.protocol, 'udp');
      assert.equal(candidateToSdp(candidate), 'candidate:1 1 udp 2130706431 10.0.1.1 8998 typ host generation 0');
    });

    it('rejects malformed lines with the reason', () => {
      assert.match(thrown(() => sdpToCandidate('candidate:1 1 udp 1 10.0.0.1 9')).text, /expected "<foundation>/);
      assert.match(thrown(() => sdpToCandidate('candidate:1 1 sctp 1 10.0.0.1 9 typ host')).text, /neither udp nor tcp/);
      assert.match(thrown(() => sdpToCandidate('candidate:1 1 udp 1 10.0.0.1 99999 typ host')).text, /port '99999'/);
      assert.match(thrown(() => sdpToCandidate('candidate:1 1 udp 1 10.0.0.1 9 typ bogus')).text, /type 'bogus'/);
    });
  });
});
