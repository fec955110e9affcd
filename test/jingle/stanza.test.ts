import assert from 'node:assert/strict';
import { parseXml } from '../../src/util/index.js';
import {
  JingleError,
  jingleErrorElement,
  parseJingle,
  parseJingleErrorElement,
  serializeJingle,
  type Jingle,
} from '../../src/jingle/index.js';
import { canonical, fixtureXml, withoutChild } from './helpers.js';

const JINGLE = 'xmlns="urn:xmpp:jingle:1"';
const ICE = 'xmlns="urn:xmpp:jingle:transports:ice-udp:1"';

function roundTrip(name: string): void {
  const input = fixtureXml(name);
  assert.equal(canonical(serializeJingle(parseJingle(input))), canonical(input));
}

function parseError(xml: string): JingleError {
  try {
    parseJingle(parseXml(xml));
  } catch (error) {
    assert.ok(error instanceof JingleError, `expected a JingleError, got ${String(error)}`);
    return error;
  }
  assert.fail(`parsing should have failed: ${xml}`);
}

describe('jingle/stanza', () => {
  describe('golden stanzas from real clients', () => {
    it('Conversations session-initiate: content "0", fingerprint actpass, no candidates', () => {
      const jingle = parseJingle(fixtureXml('conversations-session-initiate.xml'));
      assert.equal(jingle.action, 'session-initiate');
      assert.equal(jingle.sid, 'Qm9vRkFfN3hJbVpx');
      assert.equal(jingle.initiator, 'romeo@montague.example/Conversations.x1Yz');
      const [content] = jingle.contents;
      assert.ok(content);
      assert.deepEqual(
        { creator: content.creator, name: content.name, senders: content.senders },
        { creator: 'initiator', name: '0', senders: 'both' },
      );
      assert.deepEqual(content.description?.payloadTypes[0], {
        id: 111,
        name: 'opus',
        clockrate: 48000,
        channels: 2,
        parameters: { minptime: '10', useinbandfec: '1' },
        feedback: [{ type: 'transport-cc' }],
      });
      assert.deepEqual(
        content.description?.payloadTypes.map((pt) => `${pt.id} ${pt.name}/${pt.clockrate}`),
        ['111 opus/48000', '9 G722/8000', '0 PCMU/8000', '8 PCMA/8000', '13 CN/8000', '110 telephone-event/48000', '126 telephone-event/8000'],
      );
      assert.equal(content.description?.rtcpMux, true);
      assert.deepEqual(content.description?.headerExtensions?.[0], { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' });
      assert.deepEqual(content.description?.sources, [
        {
          ssrc: 2411806353,
          parameters: [
            { name: 'cname', value: 'mQ8/kmvR0yD3v4rN' },
            { name: 'msid', value: 'my-media-stream my-audio-track' },
          ],
        },
      ]);
      assert.deepEqual(content.transport, {
        ufrag: 'Xd8o',
        pwd: '9S3yfdgdQ4fHRx8OZnSJgw6K',
        candidates: [],
        fingerprint: {
          hash: 'sha-256',
          setup: 'actpass',
          value: '5E:12:5C:94:93:A2:8B:9F:2D:60:E0:1B:75:3E:AF:1C:26:4D:8B:3F:60:AA:2F:C1:8D:E0:47:16:8B:5D:7A:41',
        },
      });
      roundTrip('conversations-session-initiate.xml');
    });

    it('Conversations transport-info: one srflx candidate with its related address', () => {
      const jingle = parseJingle(fixtureXml('conversations-transport-info.xml'));
      assert.deepEqual(jingle, {
        action: 'transport-info',
        sid: 'Qm9vRkFfN3hJbVpx',
        contents: [
          {
            creator: 'initiator',
            name: '0',
            transport: {
              ufrag: 'Xd8o',
              pwd: '9S3yfdgdQ4fHRx8OZnSJgw6K',
              candidates: [
                {
                  component: 1,
                  foundation: '3586537353',
                  generation: 0,
                  id: 'x7a3de01',
                  ip: '203.0.113.7',
                  network: 1,
                  port: 51843,
                  priority: 1686052607,
                  protocol: 'udp',
                  type: 'srflx',
                  relAddr: '10.0.2.15',
                  relPort: 51843,
                },
              ],
            },
          },
        ],
      } satisfies Jingle);
      roundTrip('conversations-transport-info.xml');
    });

    it('Conversations ICE restart: new ufrag/pwd and no candidates', () => {
      const jingle = parseJingle(fixtureXml('conversations-ice-restart.xml'));
      const transport = jingle.contents[0]?.transport;
      assert.equal(transport?.ufrag, 'r3Jd');
      assert.equal(transport?.pwd, 'nH1aPq0cV7xYz2Lm4Kt6Wr8s');
      assert.deepEqual(transport?.candidates, []);
      roundTrip('conversations-ice-restart.xml');
    });

    it('Dino session-initiate: content "audio", ssrc, candidates for components 1 and 2 with rtcp-mux', () => {
      const jingle = parseJingle(fixtureXml('dino-session-initiate.xml'));
      const content = jingle.contents[0];
      assert.equal(content?.name, 'audio');
      assert.equal(content?.senders, undefined, 'absent senders stays absent (means both)');
      assert.equal(content?.description?.ssrc, 1623497112);
      assert.equal(content?.description?.rtcpMux, true);
      assert.deepEqual(content?.transport?.candidates.map((c) => [c.component, c.port]), [
        [1, 40114],
        [2, 40115],
      ]);
      roundTrip('dino-session-initiate.xml');
    });

    it('Dino session-accept: one codec, setup active', () => {
      const jingle = parseJingle(fixtureXml('dino-session-accept.xml'));
      assert.equal(jingle.responder, 'juliet@capulet.example/dino.1a2b3c4d');
      assert.equal(jingle.contents[0]?.transport?.fingerprint?.setup, 'active');
      assert.deepEqual(jingle.contents[0]?.description?.payloadTypes.map((pt) => pt.name), ['opus', 'telephone-event']);
      roundTrip('dino-session-accept.xml');
    });

    it('StanzaJS session-initiate: candidates without generation/id/network are accepted and completed on output', () => {
      const input = fixtureXml('stanzajs-session-initiate.xml');
      const jingle = parseJingle(input);
      const candidate = jingle.contents[0]?.transport?.candidates[0];
      assert.deepEqual(candidate, {
        component: 1,
        foundation: '842163049',
        ip: '127.0.0.1',
        port: 53412,
        priority: 2122260223,
        protocol: 'udp',
        type: 'host',
      });
      const written = serializeJingle(jingle).getChild('content')?.getChild('transport')?.getChild('candidate');
      assert.equal(written?.attrs.generation, '0');
      assert.equal(written?.attrs.network, '0');
      assert.match(written?.attrs.id ?? '', /^c[0-9a-z]+$/);
      const again = serializeJingle(jingle).getChild('content')?.getChild('transport')?.getChild('candidate');
      assert.equal(again?.attrs.id, written?.attrs.id, 'the derived id is stable');
      // Apart from the completed candidate and the (unmodelled) BUNDLE group, the stanza survives unchanged.
      const expected = withoutChild(input, 'group', 'urn:xmpp:jingle:apps:grouping:0');
      const expectedCandidate = expected.getChild('content')?.getChild('transport')?.getChild('candidate');
      Object.assign(expectedCandidate?.attrs ?? {}, { generation: '0', network: '0', id: written?.attrs.id });
      assert.equal(canonical(serializeJingle(jingle)), canonical(expected));
    });

    it('Farstream (old Gajim) offer: no fingerprint, SDES crypto parsed, bare fmtp token kept', () => {
      const jingle = parseJingle(fixtureXml('farstream-session-initiate.xml'));
      const content = jingle.contents[0];
      assert.equal(content?.transport?.fingerprint, undefined);
      assert.equal(content?.description?.rtcpMux, false);
      assert.deepEqual(content?.description?.crypto, [
        {
          tag: 1,
          cryptoSuite: 'AES_CM_128_HMAC_SHA1_80',
          keyParams: 'inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32',
        },
      ]);
      assert.equal(content?.description?.encryptionRequired, undefined);
      assert.deepEqual(content?.description?.payloadTypes[3]?.parameters, { '0-15': '' });
      roundTrip('farstream-session-initiate.xml');
    });
  });

  describe('other shapes', () => {
    it('fingerprint without setup parses with setup absent', () => {
      const jingle = parseJingle(
        parseXml(
          `<jingle ${JINGLE} action="session-accept" sid="s1"><content creator="initiator" name="audio">` +
            `<transport ${ICE} ufrag="u" pwd="p"><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256"> AB:CD </fingerprint></transport>` +
            `</content></jingle>`,
        ),
      );
      assert.deepEqual(jingle.contents[0]?.transport?.fingerprint, { hash: 'sha-256', value: 'AB:CD' });
    });

    it('SDES crypto beside DTLS: both kept, encryption required flag read', () => {
      const xml =
        `<jingle ${JINGLE} action="session-initiate" sid="s1"><content creator="initiator" name="0">` +
        `<description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="0" name="PCMU" clockrate="8000"/>` +
        `<encryption required="1"><crypto crypto-suite="AES_CM_128_HMAC_SHA1_32" key-params="inline:abc" session-params="KDR=1" tag="2"/></encryption></description>` +
        `<transport ${ICE} ufrag="u" pwd="p"><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="actpass">AB:CD</fingerprint></transport>` +
        `</content></jingle>`;
      const jingle = parseJingle(parseXml(xml));
      assert.equal(jingle.contents[0]?.description?.encryptionRequired, true);
      assert.deepEqual(jingle.contents[0]?.description?.crypto, [
        { tag: 2, cryptoSuite: 'AES_CM_128_HMAC_SHA1_32', keyParams: 'inline:abc', sessionParams: 'KDR=1' },
      ]);
      assert.equal(jingle.contents[0]?.transport?.fingerprint?.setup, 'actpass');
      assert.equal(canonical(serializeJingle(jingle)), canonical(parseXml(xml)));
    });

    it('a static payload type without name gets its RFC 3551 name and clock rate', () => {
      const jingle = parseJingle(
        parseXml(
          `<jingle ${JINGLE} action="session-initiate" sid="s1"><content creator="initiator" name="0">` +
            `<description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="8"/><payload-type id="0" channels="1"/></description></content></jingle>`,
        ),
      );
      assert.deepEqual(jingle.contents[0]?.description?.payloadTypes, [
        { id: 8, name: 'PCMA', clockrate: 8000, parameters: {} },
        { id: 0, name: 'PCMU', clockrate: 8000, channels: 1, parameters: {} },
      ]);
    });

    it('session-terminate reasons, including alternative-session with its sid', () => {
      const xml =
        `<jingle ${JINGLE} action="session-terminate" sid="s1"><reason><alternative-session><sid>other-sid</sid></alternative-session>` +
        `<text>already in a call</text></reason></jingle>`;
      const jingle = parseJingle(parseXml(xml));
      assert.deepEqual(jingle.reason, { condition: 'alternative-session', alternativeSid: 'other-sid', text: 'already in a call' });
      assert.equal(canonical(serializeJingle(jingle)), canonical(parseXml(xml)));
      const busy = parseJingle(parseXml(`<jingle ${JINGLE} action="session-terminate" sid="s1"><reason><busy/></reason></jingle>`));
      assert.deepEqual(busy.reason, { condition: 'busy' });
    });

    it('session-info payloads: ringing, mute with creator and name, and the empty ping', () => {
      const ringing = `<jingle ${JINGLE} action="session-info" sid="s1"><ringing xmlns="urn:xmpp:jingle:apps:rtp:info:1"/></jingle>`;
      assert.deepEqual(parseJingle(parseXml(ringing)).info, { type: 'ringing' });
      assert.equal(canonical(serializeJingle(parseJingle(parseXml(ringing)))), canonical(parseXml(ringing)));
      const mute = `<jingle ${JINGLE} action="session-info" sid="s1"><mute xmlns="urn:xmpp:jingle:apps:rtp:info:1" creator="responder" name="voice"/></jingle>`;
      assert.deepEqual(parseJingle(parseXml(mute)).info, { type: 'mute', creator: 'responder', name: 'voice' });
      assert.equal(canonical(serializeJingle(parseJingle(parseXml(mute)))), canonical(parseXml(mute)));
      const ping = parseJingle(parseXml(`<jingle ${JINGLE} action="session-info" sid="s1"/>`));
      assert.equal(ping.info, undefined);
    });

    it('serializes every model field it parses (model -> XML -> model)', () => {
      const jingle: Jingle = {
        action: 'content-add',
        sid: 'x',
        contents: [
          {
            creator: 'responder',
            name: 'v',
            senders: 'initiator',
            description: {
              media: 'video',
              ssrc: 5,
              payloadTypes: [{ id: 100, name: 'VP8', clockrate: 90000, ptime: 20, maxptime: 40, parameters: {}, feedback: [{ type: 'nack', subtype: 'pli' }] }],
              rtcpMux: false,
              rtcpFb: [{ type: 'ccm', subtype: 'fir' }],
              headerExtensions: [{ id: 4, uri: 'urn:x', senders: 'responder' }],
              sources: [{ ssrc: 5, parameters: [{ name: 'cname', value: 'a' }, { name: 'x', value: '' }] }],
              sourceGroups: [{ semantics: 'FID', ssrcs: [5, 6] }],
            },
            transport: {
              candidates: [
                { component: 1, foundation: 'f', generation: 1, id: 'i', ip: '::1', network: 2, port: 9, priority: 1, protocol: 'tcp', type: 'host', tcpType: 'active' },
              ],
            },
          },
        ],
      };
      assert.deepEqual(parseJingle(serializeJingle(jingle)), jingle);
    });
  });

  describe('bad input gets a clear JingleError', () => {
    const content = (inner: string, attrs = 'creator="initiator" name="0"') =>
      `<jingle ${JINGLE} action="session-initiate" sid="s1"><content ${attrs}>${inner}</content></jingle>`;

    it('missing sid, unknown action, wrong element', () => {
      assert.match(parseError(`<jingle ${JINGLE} action="session-initiate"/>`).text, /missing required attribute 'sid'/);
      const unknown = parseError(`<jingle ${JINGLE} action="session-explode" sid="s"/>`);
      assert.equal(unknown.condition, 'bad-request');
      assert.match(unknown.text, /unknown Jingle action 'session-explode'/);
      assert.match(parseError(`<jingle xmlns="urn:xmpp:jingle:0" action="session-initiate" sid="s"/>`).text, /expected <jingle/);
    });

    it('content without name or with a bad creator', () => {
      assert.match(parseError(content('', 'creator="initiator"')).text, /content: missing required attribute 'name'/);
      assert.match(parseError(content('', 'creator="me" name="0"')).text, /creator='me' is not one of initiator, responder/);
    });

    it('candidates missing a required attribute or with a bad protocol or port', () => {
      const transport = (candidate: string) => content(`<transport ${ICE} ufrag="u" pwd="p">${candidate}</transport>`);
      const noPort = parseError(transport('<candidate component="1" foundation="1" ip="1.2.3.4" priority="1" protocol="udp" type="host"/>'));
      assert.match(noPort.text, /candidate in transport of content '0': missing required attribute 'port'/);
      const sctp = parseError(transport('<candidate component="1" foundation="1" ip="1.2.3.4" port="5" priority="1" protocol="sctp" type="host"/>'));
      assert.match(sctp.text, /protocol 'sctp' is neither udp nor tcp/);
      const bigPort = parseError(transport('<candidate component="1" foundation="1" ip="1.2.3.4" port="70000" priority="1" protocol="udp" type="host"/>'));
      assert.match(bigPort.text, /port='70000' is not an integer in 0..65535/);
    });

    it('a dynamic payload type without name', () => {
      const error = parseError(content('<description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="96"/></description>'));
      assert.match(error.text, /payload-type 96 .* has no name/);
    });

    it('an unknown session-info payload is unsupported-info (feature-not-implemented)', () => {
      const error = parseError(`<jingle ${JINGLE} action="session-info" sid="s1"><checksum xmlns="urn:xmpp:jingle:apps:file-transfer:5"/></jingle>`);
      assert.equal(error.condition, 'feature-not-implemented');
      assert.equal(error.jingleCondition, 'unsupported-info');
      assert.equal(error.type, 'modify');
    });

    it('a reason without a known condition', () => {
      const error = parseError(`<jingle ${JINGLE} action="session-terminate" sid="s1"><reason><oops/></reason></jingle>`);
      assert.match(error.text, /unknown condition <oops\/>/);
    });
  });

  describe('iq error elements (XEP-0166 §10)', () => {
    it('builds out-of-order as unexpected-request plus the Jingle condition', () => {
      const element = jingleErrorElement(JingleError.outOfOrder('session-accept while pending'));
      assert.equal(
        element.toString(),
        '<error type="cancel"><unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
          '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">session-accept while pending</text>' +
          '<out-of-order xmlns="urn:xmpp:jingle:errors:1"/></error>',
      );
    });

    it('maps tie-break to conflict and unknown-session to item-not-found', () => {
      assert.equal(new JingleError({ jingleCondition: 'tie-break', text: '' }).condition, 'conflict');
      assert.equal(new JingleError({ jingleCondition: 'unknown-session', text: '' }).condition, 'item-not-found');
    });

    it('reads a peer error back', () => {
      const error = parseJingleErrorElement(
        parseXml(
          '<error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><unknown-session xmlns="urn:xmpp:jingle:errors:1"/></error>',
        ),
      );
      assert.deepEqual(
        { condition: error.condition, jingleCondition: error.jingleCondition, type: error.type },
        { condition: 'item-not-found', jingleCondition: 'unknown-session', type: 'cancel' },
      );
      const roundTripped = parseJingleErrorElement(jingleErrorElement(JingleError.badRequest('no sid')));
      assert.deepEqual([roundTripped.condition, roundTripped.type, roundTripped.text], ['bad-request', 'modify', 'no sid']);
    });
  });
});
