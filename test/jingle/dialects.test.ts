// Real clients' Jingle dialects (test/fixtures/jingle-dialects/*.xml): each stanza is parsed, mapped to SDP,
// fed to a JingleSession, and what earshot answers is compared with golden text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  JingleSession,
  JingleStateError,
  SUPPORTED_CODECS,
  candidateToSdp,
  contentsToSdp,
  negotiateCodec,
  offeredPayloadTypes,
  parseJingle,
  parseJmi,
  sdpToContents,
  serializeJingle,
  serializeJmi,
  type Candidate,
  type Content,
  type IceRestart,
  type Jingle,
  type JmiMessage,
  type Reason,
  type Role,
} from '../../src/jingle/index.js';
import { parseXml, type Element } from '../../src/util/index.js';
import { canonical } from './helpers.js';

// Tests run from dist/test/jingle/; the fixtures stay in the source tree.
const FIXTURES = new URL('../../../test/fixtures/jingle-dialects/', import.meta.url);
const EARSHOT = 'earshot@lab.example/earshot';
const CONVERSATIONS = 'romeo@montague.example/Conversations.Xk2p';
const DINO = 'juliet@capulet.example/dino.5e2a91c7';
const STANZAJS = 'mercutio@verona.example/stanza-3f1c';

/** Our side of the answer, as the media layer would give it. */
const LOCAL = {
  ufrag: 'eA1s',
  pwd: 'h7Rt2Kq9Lw4Zx1Cv6Bn3Mp8D',
  fingerprint: '0D:55:A3:7E:C2:19:F8:64:B0:2A:9D:E1:46:7C:13:BF:58:E6:0A:92:D7:3C:81:F5:29:6B:C0:4E:A8:17:D3:5B',
};

function stanza(name: string): Element {
  return parseXml(readFileSync(new URL(name, FIXTURES), 'utf8'));
}

function jingleFixture(name: string): { jingle: Jingle; from: string } {
  const iq = stanza(name);
  return { jingle: parseJingle(iq.getChild('jingle') as Element), from: iq.attrs.from as string };
}

function jmiFixture(name: string): { message: JmiMessage; from: string } {
  const message = stanza(name);
  return { message: parseJmi(message) as JmiMessage, from: message.attrs.from as string };
}

/** Equal as XML, whatever the indentation and the place of namespace declarations. */
function assertXml(actual: Element, golden: string): void {
  assert.equal(canonical(actual), canonical(parseXml(golden)));
}

/** A session with everything it emits recorded. */
function harness(role: Role, sid: string, peer: string, allowInsecureRtp = false) {
  const session = new JingleSession({ sid, role, self: EARSHOT, peer, allowInsecureRtp });
  const h = {
    session,
    sent: [] as Jingle[],
    jmi: [] as JmiMessage[],
    offers: [] as Content[][],
    candidates: [] as Array<[string, Candidate[]]>,
    restarts: [] as IceRestart[],
    ended: [] as Array<[Reason, 'local' | 'remote']>,
    ringing: 0,
    /** Feeds a fixture's Jingle request in, as the xmpp layer would (its sender, its sid). */
    receive(name: string) {
      const { jingle, from } = jingleFixture(name);
      return session.receive(jingle, from);
    },
  };
  session.onSend.subscribe((j) => h.sent.push(j));
  session.onSendJmi.subscribe((m) => h.jmi.push(m));
  session.onRemoteContents.subscribe((contents) => h.offers.push(contents));
  session.onRemoteCandidates.subscribe((name, candidates) => h.candidates.push([name, candidates]));
  session.onIceRestart.subscribe((restart) => h.restarts.push(restart));
  session.onTerminated.subscribe((reason, by) => h.ended.push([reason, by]));
  session.onRinging.subscribe(() => h.ringing++);
  return h;
}

/** A responder that has received the fixture's session-initiate. */
function callee(fixture: string, allowInsecureRtp = false) {
  const { jingle, from } = jingleFixture(fixture);
  const h = harness('responder', jingle.sid, from, allowInsecureRtp);
  assert.deepEqual(h.receive(fixture), { reply: 'ack' });
  return h;
}

/**
 * What a WebRTC stack answers to an offer SDP, reduced to what earshot's answer depends on: per media section the
 * codec negotiateCodec picks, our credentials, setup active, rtcp-mux when offered; video refused (port 0); plain
 * RTP/AVP without fingerprint when the offer had none.
 */
function stackAnswer(offerSdp: string, allowInsecureRtp = false): string {
  const lines = ['v=0', 'o=- 1 2 IN IP4 0.0.0.0', 's=-', 't=0 0'];
  for (const { name, description, transport } of sdpToContents(offerSdp, { creator: 'initiator', allowInsecureRtp })) {
    const offered = description?.payloadTypes ?? [];
    const profile = transport?.fingerprint ? 'UDP/TLS/RTP/SAVPF' : 'RTP/AVP';
    const chosen = description?.media === 'audio' ? negotiateCodec(offered, SUPPORTED_CODECS) : undefined;
    if (!chosen) {
      lines.push(`m=${description?.media} 0 ${profile} ${offered[0]?.id}`, `a=mid:${name}`);
      continue;
    }
    const answered = chosen.telephoneEvent ? [chosen.audio, chosen.telephoneEvent] : [chosen.audio];
    lines.push(`m=audio 9 ${profile} ${answered.map((pt) => pt.id).join(' ')}`, 'c=IN IP4 0.0.0.0');
    lines.push(`a=ice-ufrag:${LOCAL.ufrag}`, `a=ice-pwd:${LOCAL.pwd}`);
    if (transport?.fingerprint) lines.push(`a=fingerprint:sha-256 ${LOCAL.fingerprint}`, 'a=setup:active');
    lines.push(`a=mid:${name}`, 'a=sendrecv');
    if (description?.rtcpMux) lines.push('a=rtcp-mux');
    for (const pt of answered) {
      lines.push(`a=rtpmap:${pt.id} ${pt.name}/${pt.clockrate}${pt.channels ? `/${pt.channels}` : ''}`);
      const fmtp = Object.entries(pt.parameters).map(([key, value]) => `${key}=${value}`);
      if (fmtp.length) lines.push(`a=fmtp:${pt.id} ${fmtp.join(';')}`);
    }
  }
  return lines.join('\r\n') + '\r\n';
}

/** The responder answers the offer it received, the way earshot's call layer does: Jingle -> SDP -> stack -> Jingle. */
function answer(h: ReturnType<typeof callee>, allowInsecureRtp = false): Jingle {
  const offerSdp = contentsToSdp(h.offers[0] as Content[], { sessionId: h.session.sid, type: 'offer', allowInsecureRtp });
  const answerSdp = stackAnswer(offerSdp, allowInsecureRtp);
  h.session.accept(sdpToContents(answerSdp, { creator: 'initiator', author: 'responder', allowInsecureRtp }));
  return h.sent.at(-1) as Jingle;
}

const hostCandidate: Candidate = { component: 1, foundation: '1', ip: '192.0.2.1', port: 50000, priority: 2130706431, protocol: 'udp', type: 'host' };

const sdpLines = (sdp: string, prefix: string) => sdp.split('\r\n').filter((line) => line.startsWith(prefix));

describe('jingle dialects of real clients (test/fixtures/jingle-dialects)', () => {
  describe('Conversations', () => {
    it('content "0", no candidates in the initiate, then one per transport-info; the answer keeps "0" and says setup active', () => {
      const h = callee('conversations-session-initiate.xml');
      const offerSdp = contentsToSdp(h.offers[0] as Content[], { sessionId: h.session.sid, type: 'offer' });
      assert.deepEqual(sdpLines(offerSdp, 'a=mid:'), ['a=mid:0']);
      assert.deepEqual(sdpLines(offerSdp, 'a=candidate'), []);

      assert.deepEqual(h.receive('conversations-transport-info.xml'), { reply: 'ack' });
      assert.deepEqual(
        h.candidates.map(([name, candidates]) => [name, candidates.map(candidateToSdp)]),
        [['0', ['candidate:2791055836 1 udp 2122260223 192.0.2.44 47213 typ host generation 0 network-id 1']]],
      );

      assertXml(
        serializeJingle(answer(h)),
        `<jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="Jm6oYQ2yNbVd1sPx" responder="earshot@lab.example/earshot">
          <content creator="initiator" name="0" senders="both">
            <description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio">
              <payload-type id="111" name="opus" clockrate="48000" channels="2">
                <parameter name="minptime" value="10"/>
                <parameter name="useinbandfec" value="1"/>
              </payload-type>
              <payload-type id="110" name="telephone-event" clockrate="48000"/>
              <rtcp-mux/>
            </description>
            <transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="eA1s" pwd="h7Rt2Kq9Lw4Zx1Cv6Bn3Mp8D">
              <fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="active">${LOCAL.fingerprint}</fingerprint>
            </transport>
          </content>
        </jingle>`,
      );
      h.session.sendCandidate('0', hostCandidate);
      assertXml(
        serializeJingle(h.sent.at(-1) as Jingle),
        `<jingle xmlns="urn:xmpp:jingle:1" action="transport-info" sid="Jm6oYQ2yNbVd1sPx">
          <content creator="initiator" name="0">
            <transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="eA1s" pwd="h7Rt2Kq9Lw4Zx1Cv6Bn3Mp8D">
              <candidate component="1" foundation="1" generation="0" id="cqcpzt0" ip="192.0.2.1" network="0" port="50000" priority="2130706431" protocol="udp" type="host"/>
            </transport>
          </content>
        </jingle>`,
      );
    });

    it('ICE restart (new ufrag/pwd, no candidates) is an IceRestart offer, not an error; our credentials go out with our next candidate', () => {
      const h = callee('conversations-session-initiate.xml');
      answer(h);
      const sentBefore = h.sent.length;
      assert.deepEqual(h.receive('conversations-ice-restart.xml'), { reply: 'ack' });
      assert.deepEqual(h.restarts, [{ contentName: '0', kind: 'offer', ufrag: 'Ws8e', pwd: 'm4Tq9ZcX1vLb6Nd2Yk7Hr0Ja', candidates: [] }]);
      assert.equal(h.session.state, 'active');

      // A candidate of the replaced generation, arriving late, is acknowledged and ignored.
      assert.deepEqual(h.receive('conversations-transport-info.xml'), { reply: 'ack' });
      assert.deepEqual(h.candidates, []);
      assert.equal(h.restarts.length, 1);

      h.session.answerIceRestart('0', 'nR2w', 'Gt6Yb1Qx8Zc3Vm0Lk5Ps9Hd4');
      assert.equal(h.sent.length, sentBefore, 'nothing on its own: credentials without candidates would read as a new restart offer');
      h.session.sendCandidate('0', hostCandidate);
      assert.deepEqual(h.sent.at(-1)?.contents[0]?.transport, {
        ufrag: 'nR2w',
        pwd: 'Gt6Yb1Qx8Zc3Vm0Lk5Ps9Hd4',
        candidates: [hostCandidate],
      });
      assert.throws(() => h.session.answerIceRestart('0', 'x', 'y'), JingleStateError);
    });

    it('our ICE restart goes out without candidates; Conversations answers with new credentials and a candidate', () => {
      const h = harness('initiator', 'earshot-7f3a19c2', CONVERSATIONS);
      h.session.initiate([earshotContent()]);
      assert.deepEqual(h.receive('conversations-session-accept.xml'), { reply: 'ack' });
      h.session.restartIce('0', 'rS7n', 'Wq3Ez8Tk1Yh6Ua4Jc9Nb2Lf5');
      assertXml(
        serializeJingle(h.sent.at(-1) as Jingle),
        `<jingle xmlns="urn:xmpp:jingle:1" action="transport-info" sid="earshot-7f3a19c2">
          <content creator="initiator" name="0">
            <transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="rS7n" pwd="Wq3Ez8Tk1Yh6Ua4Jc9Nb2Lf5"/>
          </content>
        </jingle>`,
      );
      assert.deepEqual(h.receive('conversations-ice-restart-answer.xml'), { reply: 'ack' });
      assert.deepEqual(
        h.restarts.map(({ kind, ufrag, candidates }) => [kind, ufrag, candidates.map((c) => c.ip)]),
        [['answer', 'Bq2y', ['198.51.100.23']]],
      );
      assert.deepEqual(h.candidates, [], 'the new generation’s first candidate travels in the IceRestart');
    });

    it('restarts crossing on the wire: the initiator refuses the responder’s with tie-break', () => {
      const h = harness('initiator', 'Jm6oYQ2yNbVd1sPx', CONVERSATIONS);
      h.session.initiate([earshotContent()]);
      const accept = jingleFixture('conversations-session-accept.xml').jingle;
      h.session.receive({ ...accept, sid: 'Jm6oYQ2yNbVd1sPx' }, CONVERSATIONS);
      h.session.restartIce('0', 'rS7n', 'Wq3Ez8Tk1Yh6Ua4Jc9Nb2Lf5');
      const result = h.receive('conversations-ice-restart.xml');
      assert.equal(result.reply === 'error' && result.error.jingleCondition, 'tie-break');
      assert.deepEqual(h.restarts, []);
    });
  });

  describe('Dino', () => {
    it('content "audio", candidates inside the initiate, component 2 dropped with rtcp-mux, SDES beside DTLS ignored', () => {
      const h = callee('dino-session-initiate.xml');
      const offer = h.offers[0] as Content[];
      assert.equal(offer[0]?.description?.crypto?.length, 1, 'the SDES offer is parsed');
      const offerSdp = contentsToSdp(offer, { sessionId: h.session.sid, type: 'offer' });
      assert.deepEqual(sdpLines(offerSdp, 'm='), ['m=audio 9 UDP/TLS/RTP/SAVPF 96 97 98 0 8 100']);
      assert.deepEqual(sdpLines(offerSdp, 'a=mid:'), ['a=mid:audio']);
      assert.deepEqual(sdpLines(offerSdp, 'a=candidate'), ['a=candidate:1 1 udp 2013266431 192.0.2.81 50532 typ host generation 0 network-id 0']);
      assert.deepEqual(sdpLines(offerSdp, 'a=crypto'), []);

      assert.deepEqual(h.receive('dino-transport-info-rtcp.xml'), { reply: 'ack' });
      assert.deepEqual(h.candidates, [], 'the trickled component-2 candidate is left out too');

      assertXml(
        serializeJingle(answer(h)),
        `<jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="7a0e5c3e-52f4-4f8b-a1a9-2c6d8e0b4f17" responder="earshot@lab.example/earshot">
          <content creator="initiator" name="audio" senders="both">
            <description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio">
              <payload-type id="96" name="opus" clockrate="48000" channels="2">
                <parameter name="useinbandfec" value="1"/>
              </payload-type>
              <rtcp-mux/>
            </description>
            <transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="eA1s" pwd="h7Rt2Kq9Lw4Zx1Cv6Bn3Mp8D">
              <fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="active">${LOCAL.fingerprint}</fingerprint>
            </transport>
          </content>
        </jingle>`,
      );
    });
  });

  describe('Gajim 1.7 (Farstream): no DTLS, no rtcp-mux', () => {
    it('refused by default: acknowledged, then session-terminate with security-error saying DTLS-SRTP is required', () => {
      const h = callee('gajim-farstream-session-initiate.xml');
      assert.deepEqual(h.offers, [], 'the media layer never sees the offer');
      assert.equal(h.session.state, 'ended');
      assert.equal(h.sent.length, 1);
      assertXml(
        serializeJingle(h.sent[0] as Jingle),
        `<jingle xmlns="urn:xmpp:jingle:1" action="session-terminate" sid="gajim-9c2e1f70">
          <reason>
            <security-error/>
            <text>DTLS-SRTP is required: content 'voice' has no DTLS fingerprint (XEP-0320); earshot takes plain RTP only when insecure RTP is allowed explicitly</text>
          </reason>
        </jingle>`,
      );
      assert.deepEqual(h.ended.map(([reason, by]) => [reason.condition, by]), [['security-error', 'local']]);
    });

    it('with allowInsecureRtp: an RTP/AVP offer with both components, answered without fingerprint, crypto or rtcp-mux', () => {
      const h = callee('gajim-farstream-session-initiate.xml', true);
      const offerSdp = contentsToSdp(h.offers[0] as Content[], { sessionId: h.session.sid, type: 'offer', allowInsecureRtp: true });
      assert.equal(
        offerSdp,
        [
          'v=0',
          'o=- 963438399 2 IN IP4 0.0.0.0',
          's=-',
          't=0 0',
          'm=audio 9 RTP/AVP 96 97 0 8 101',
          'c=IN IP4 0.0.0.0',
          'a=ice-ufrag:gT4k',
          'a=ice-pwd:pN8wQ2rX5zB1cV7mL3hJ9d',
          'a=mid:voice',
          'a=sendrecv',
          'a=rtpmap:96 SPEEX/16000',
          'a=rtpmap:97 SPEEX/8000',
          'a=rtpmap:0 PCMU/8000',
          'a=rtpmap:8 PCMA/8000',
          'a=rtpmap:101 telephone-event/8000',
          'a=fmtp:101 events=0-15',
          'a=candidate:1 1 udp 2013266431 192.0.2.130 7078 typ host generation 0 network-id 0',
          'a=candidate:1 2 udp 2013266430 192.0.2.130 7079 typ host generation 0 network-id 0',
          '',
        ].join('\r\n'),
      );
      assertXml(
        serializeJingle(answer(h, true)),
        `<jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="gajim-9c2e1f70" responder="earshot@lab.example/earshot">
          <content creator="initiator" name="voice" senders="both">
            <description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio">
              <payload-type id="0" name="PCMU" clockrate="8000"/>
              <payload-type id="101" name="telephone-event" clockrate="8000">
                <parameter name="events" value="0-15"/>
              </payload-type>
            </description>
            <transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="eA1s" pwd="h7Rt2Kq9Lw4Zx1Cv6Bn3Mp8D"/>
          </content>
        </jingle>`,
      );
      assert.equal(h.session.state, 'active');
    });

    it('SDES required without DTLS stays refused even with allowInsecureRtp', () => {
      const { jingle, from } = jingleFixture('gajim-farstream-session-initiate.xml');
      (jingle.contents[0]?.description as NonNullable<Content['description']>).encryptionRequired = true;
      const h = harness('responder', jingle.sid, from, true);
      assert.deepEqual(h.session.receive(jingle, from), { reply: 'ack' });
      assert.equal(h.sent[0]?.reason?.condition, 'security-error');
      assert.match(h.sent[0]?.reason?.text ?? '', /requires SDES-SRTP.*DTLS-SRTP is required/);
    });

    it('as the caller: a session-accept without fingerprint to our DTLS offer ends with security-error', () => {
      const h = harness('initiator', 'earshot-7f3a19c2', CONVERSATIONS);
      h.session.initiate([earshotContent()]);
      const { jingle } = jingleFixture('conversations-session-accept.xml');
      delete jingle.contents[0]?.transport?.fingerprint;
      assert.deepEqual(h.session.receive(jingle, CONVERSATIONS), { reply: 'ack' });
      assert.deepEqual(h.sent.at(-1)?.reason?.condition, 'security-error');
      assert.equal(h.session.state, 'ended');
    });
  });

  describe('StanzaJS and bundled peers', () => {
    it('BUNDLE group, rtcp-fb, hdrext, sources and an unknown msid element: accepted and mapped to SDP', () => {
      const h = callee('stanzajs-session-initiate.xml');
      const offerSdp = contentsToSdp(h.offers[0] as Content[], { sessionId: h.session.sid, type: 'offer' });
      for (const line of [
        'a=group:BUNDLE 0 1',
        'a=rtcp-fb:111 transport-cc',
        'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
        'a=ssrc:3310298746 msid:8e4a2f10-6c5d-4b7e-9f31-a0d2c7e5b984 1d7c3e92-5f08-4a61-b2d4-e9c0f6a83b27',
        'a=rtcp-fb:96 nack pli',
        'a=rtcp-fb:* goog-remb',
        'a=fmtp:97 apt=96',
        'a=ssrc-group:FID 1201873956 2735001648',
        'a=candidate:3284157601 1 udp 2122260223 192.0.2.200 54111 typ host generation 0',
      ]) {
        assert.ok(sdpLines(offerSdp, line).includes(line), `missing ${line}`);
      }
      assert.equal(answer(h).contents.map((c) => c.name).join(), '0', 'audio answered, video left out');
    });

    it('a trickled candidate without generation, network, id or pwd is trickle, and earshot writes those attributes itself', () => {
      const h = callee('stanzajs-session-initiate.xml');
      assert.deepEqual(h.receive('stanzajs-transport-info.xml'), { reply: 'ack' });
      assert.deepEqual(h.restarts, []);
      assert.deepEqual(
        h.candidates.map(([name, candidates]) => [name, candidates.map(candidateToSdp)]),
        [['0', ['candidate:1876313031 1 udp 1686052607 198.51.100.77 60310 typ srflx raddr 192.0.2.200 rport 54111 generation 0']]],
      );
      answer(h);
      h.session.sendCandidate('0', h.candidates[0]?.[1][0] as Candidate);
      const written = serializeJingle(h.sent.at(-1) as Jingle).getChild('content')?.getChild('transport')?.getChild('candidate');
      assert.deepEqual([written?.attrs.generation, written?.attrs.network, written?.attrs.id], ['0', '0', 'c4dcmcw']);
    });

    it('two contents in one transport-info are accepted per content; earshot never sends more than one', () => {
      const h = callee('stanzajs-session-initiate.xml');
      assert.deepEqual(h.receive('two-contents-transport-info.xml'), { reply: 'ack' });
      assert.deepEqual(h.candidates.map(([name]) => name), ['0', '1']);

      const caller = harness('initiator', 'earshot-two', STANZAJS);
      caller.session.sendCandidate('0', hostCandidate);
      caller.session.sendCandidate('1', { ...hostCandidate, port: 50002 });
      caller.session.initiate([earshotContent('0'), earshotContent('1')]);
      caller.session.sendCandidate('1', { ...hostCandidate, port: 50004 });
      const transportInfos = caller.sent.filter((j) => j.action === 'transport-info');
      assert.deepEqual(transportInfos.map((j) => j.contents.map((c) => c.name)), [['0'], ['1'], ['1']]);
    });
  });

  it('trailing whitespace in attributes is trimmed: the codec is found and no SDP line ends in a blank', () => {
    const h = callee('trailing-whitespace-session-initiate.xml');
    const [content] = h.offers[0] as Content[];
    assert.equal(content?.transport?.candidates[0]?.type, 'host');
    const offerSdp = contentsToSdp(h.offers[0] as Content[], { sessionId: h.session.sid, type: 'offer' });
    assert.deepEqual(offerSdp.split('\r\n').filter((line) => /\s$/.test(line)), []);
    for (const line of [
      'a=ice-ufrag:tB7x',
      'a=ice-pwd:Kc4Vn9Qz2Lm6Rw1Xp8Hd5Tg3',
      'a=fingerprint:sha-256 62:0F:B8:D4:1A:E7:39:C5:80:2B:F6:4D:93:0E:A7:5C:18:D1:6F:B2:45:E9:07:3A:CC:58:91:2E:F0:6B:D7:84',
      'a=setup:actpass',
      'a=rtpmap:111 opus/48000/2',
      'a=fmtp:111 useinbandfec=1',
      'a=ssrc:42 msid:callbot-stream callbot-audio',
      'a=candidate:7 1 udp 2130706431 192.0.2.9 40400 typ host generation 0',
    ]) {
      assert.ok(sdpLines(offerSdp, line).includes(line), `missing ${line}`);
    }
    assert.equal(answer(h).contents[0]?.description?.payloadTypes[0]?.name, 'opus');
  });

  describe('Jingle Message Initiation (XEP-0353)', () => {
    /** A responder that has received Conversations' propose. */
    function proposed() {
      const { message, from } = jmiFixture('conversations-jmi-propose.xml');
      const h = harness('responder', message.id, 'romeo@montague.example');
      assert.equal(h.session.receiveJmi(message, from), true);
      return h;
    }
    const sentJmi = (h: ReturnType<typeof harness>, index: number) => serializeJmi({ ...(h.jmi[index] as JmiMessage), to: h.session.peer });

    it('propose with description: ringing and proceed go to the caller’s FULL JID, then its session-initiate is taken', () => {
      const h = proposed();
      h.session.ring();
      h.session.proceed();
      assertXml(
        sentJmi(h, 0),
        `<message type="chat" to="romeo@montague.example/Conversations.Xk2p" id="jm-ringing-Jm6oYQ2yNbVd1sPx">
          <ringing xmlns="urn:xmpp:jingle-message:0" id="Jm6oYQ2yNbVd1sPx"/>
        </message>`,
      );
      assertXml(
        sentJmi(h, 1),
        `<message type="chat" to="romeo@montague.example/Conversations.Xk2p" id="jm-proceed-Jm6oYQ2yNbVd1sPx">
          <proceed xmlns="urn:xmpp:jingle-message:0" id="Jm6oYQ2yNbVd1sPx"/>
        </message>`,
      );
      assert.deepEqual(h.receive('conversations-session-initiate.xml'), { reply: 'ack' });
      assert.equal(h.session.state, 'pending');
    });

    for (const ringFirst of [false, true]) {
      it(`retract ${ringFirst ? 'after' : 'before'} ringing ends the call with the caller's reason`, () => {
        const h = proposed();
        if (ringFirst) h.session.ring();
        const { message, from } = jmiFixture('conversations-jmi-retract.xml');
        assert.equal(h.session.receiveJmi(message, from), true);
        assert.deepEqual(h.ended, [[{ condition: 'cancel', text: 'User hung up' }, 'remote']]);
        assert.deepEqual(h.jmi.map((m) => m.kind), ringFirst ? ['ringing'] : []);
        assert.deepEqual(h.sent, []);
      });
    }

    it('earshot declining a propose: reject to the caller’s full JID, with the reason', () => {
      const h = proposed();
      h.session.terminate({ condition: 'busy' });
      assertXml(
        sentJmi(h, 0),
        `<message type="chat" to="romeo@montague.example/Conversations.Xk2p" id="jm-reject-Jm6oYQ2yNbVd1sPx">
          <reject xmlns="urn:xmpp:jingle-message:0" id="Jm6oYQ2yNbVd1sPx"><reason xmlns="urn:xmpp:jingle:1"><busy/></reason></reject>
        </message>`,
      );
    });

    it('finish from the caller ends a running call; earshot hanging up sends session-terminate and finish', () => {
      const h = proposed();
      h.session.proceed();
      h.receive('conversations-session-initiate.xml');
      answer(h);
      const { message, from } = jmiFixture('conversations-jmi-finish.xml');
      assert.equal(h.session.receiveJmi(message, from), true);
      assert.deepEqual(h.ended, [[{ condition: 'success' }, 'remote']]);

      const hangingUp = proposed();
      hangingUp.session.proceed();
      hangingUp.receive('conversations-session-initiate.xml');
      answer(hangingUp);
      hangingUp.session.terminate({ condition: 'success' });
      assert.equal(hangingUp.sent.at(-1)?.action, 'session-terminate');
      assertXml(
        sentJmi(hangingUp, 1),
        `<message type="chat" to="romeo@montague.example/Conversations.Xk2p" id="jm-finish-Jm6oYQ2yNbVd1sPx">
          <finish xmlns="urn:xmpp:jingle-message:0" id="Jm6oYQ2yNbVd1sPx"><reason xmlns="urn:xmpp:jingle:1"><success/></reason></finish>
          <store xmlns="urn:xmpp:hints"/>
        </message>`,
      );
    });

    it('earshot calling a bare JID: ringing and proceed (with an unknown extension) from a device, initiate to its full JID', () => {
      const h = harness('initiator', 'earshot-5d1c', 'romeo@montague.example');
      h.session.propose(['audio']);
      assertXml(
        serializeJmi({ ...(h.jmi[0] as JmiMessage), to: h.session.peer }),
        `<message type="chat" to="romeo@montague.example" id="jm-propose-earshot-5d1c">
          <propose xmlns="urn:xmpp:jingle-message:0" id="earshot-5d1c"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"/></propose>
          <store xmlns="urn:xmpp:hints"/>
          <request xmlns="urn:xmpp:receipts"/>
        </message>`,
      );
      for (const fixture of ['conversations-jmi-ringing.xml', 'conversations-jmi-proceed.xml']) {
        const { message, from } = jmiFixture(fixture);
        assert.equal(h.session.receiveJmi(message, from), true);
      }
      assert.equal(h.ringing, 1);
      assert.equal(h.session.state, 'proceeding');
      assert.equal(h.session.peer, CONVERSATIONS);
    });

    it('a reject from the callee’s device ends our proposed call with its reason', () => {
      const h = harness('initiator', 'earshot-5d1c', 'juliet@capulet.example');
      h.session.propose(['audio']);
      const { message, from } = jmiFixture('dino-jmi-reject.xml');
      assert.equal(from, DINO);
      assert.equal(h.session.receiveJmi(message, from), true);
      assert.deepEqual(h.ended, [[{ condition: 'busy' }, 'remote']]);
    });
  });
});

/** The content earshot offers when it calls: its codecs, DTLS actpass, candidates trickled later. */
function earshotContent(name = '0'): Content {
  return {
    creator: 'initiator',
    name,
    senders: 'both',
    description: { media: 'audio', payloadTypes: offeredPayloadTypes(), rtcpMux: true },
    transport: { ufrag: LOCAL.ufrag, pwd: LOCAL.pwd, candidates: [], fingerprint: { hash: 'sha-256', value: LOCAL.fingerprint, setup: 'actpass' } },
  };
}
