import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PacketGate, SdpCodec } from '../../src/media/media-transport.js';
import { PacketCapture } from '../../src/media/packet-capture.js';
import { PlainRtpTransport, type PlainRtpTransportOptions } from '../../src/media/plain-rtp-transport.js';
import type { RtcpReport } from '../../src/media/rtcp-state.js';
import { parseRtp, type RtpPacketFields } from '../../src/media/rtp-packet.js';
import { pcapRecords } from '../helpers/pcap-records.js';

const codecs: SdpCodec[] = [
  { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, parameters: 'minptime=10;useinbandfec=1' },
  { payloadType: 0, name: 'PCMU', clockRate: 8000 },
  { payloadType: 126, name: 'telephone-event', clockRate: 8000 },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lines = (sdp: string) => sdp.split('\r\n');
const withoutCandidates = (sdp: string) => lines(sdp).filter((line) => !line.startsWith('a=candidate:')).join('\r\n');
const componentOf = (candidate: string) => Number(candidate.replace(/^a=/, '').split(' ')[1]);

function rtp(ssrc: number, i: number): RtpPacketFields {
  return { payloadType: 111, sequenceNumber: i, timestamp: i * 960, ssrc, marker: i === 0, payload: Buffer.alloc(40 + (i % 60), i) };
}

describe('PlainRtpTransport (RTP/AVP over ICE, no DTLS)', function () {
  this.timeout(20_000);
  const open: PlainRtpTransport[] = [];
  const make = (options: Partial<PlainRtpTransportOptions> = {}) => {
    const transport = new PlainRtpTransport({ codecs, rtcpIntervalMs: 200, ...options });
    open.push(transport);
    return transport;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((transport) => transport.close()));
  });

  /**
   * Offer/answer without candidates in the SDP; every candidate goes by trickle, through `relay`, which may drop
   * some (a peer whose RTCP component is unreachable) or rewrite the offer (a peer that offers rtcp-mux).
   */
  async function connectPair(
    options: { caller?: Partial<PlainRtpTransportOptions>; callee?: Partial<PlainRtpTransportOptions>; relay?: (candidate: string) => boolean; offer?: (sdp: string) => string } = {},
  ) {
    const caller = make(options.caller);
    const callee = make(options.callee);
    const relay = options.relay ?? (() => true);
    caller.onLocalCandidate.subscribe((candidate, mid) => relay(candidate) && void callee.addRemoteCandidate(candidate, mid));
    callee.onLocalCandidate.subscribe((candidate, mid) => relay(candidate) && void caller.addRemoteCandidate(candidate, mid));
    const connected = Promise.all([caller.onConnected.next(), callee.onConnected.next()]);
    const offer = await caller.createOffer();
    const answer = await callee.acceptOffer((options.offer ?? ((sdp) => sdp))(withoutCandidates(offer)));
    await caller.acceptAnswer(withoutCandidates(answer));
    await Promise.race([connected, sleep(8000).then(() => assert.fail('both legs did not connect within 8 s'))]);
    return { caller, callee, offer, answer };
  }

  async function exchange(from: PlainRtpTransport, to: PlainRtpTransport, count: number): Promise<RtpPacketFields[]> {
    const received: RtpPacketFields[] = [];
    const unsubscribe = to.onRtp.subscribe((packet) => received.push(packet));
    for (let i = 0; i < count; i++) {
      from.sendRtp(rtp(from.localSsrc, i));
      await sleep(2);
    }
    for (let waited = 0; received.length < count && waited < 1000; waited += 20) await sleep(20);
    unsubscribe();
    return received;
  }

  function reportsDuring(transport: PlainRtpTransport, ms: number): Promise<RtcpReport[]> {
    const reports: RtcpReport[] = [];
    const unsubscribe = transport.onRtcp.subscribe((report) => reports.push(report));
    return sleep(ms).then(() => {
      unsubscribe();
      return reports;
    });
  }

  it('offers RTP/AVP without fingerprint or rtcp-mux, with candidates for components 1 and 2, and carries RTP both ways as sent', async () => {
    const { caller, callee, offer, answer } = await connectPair();
    const offerLines = lines(offer);
    assert.deepEqual(offerLines.slice(4, 10), [
      'm=audio 9 RTP/AVP 111 0 126',
      'c=IN IP4 0.0.0.0',
      offerLines.find((line) => line.startsWith('a=ice-ufrag:')),
      offerLines.find((line) => line.startsWith('a=ice-pwd:')),
      'a=mid:0',
      'a=sendrecv',
    ]);
    assert.match(offer, /^a=rtpmap:111 opus\/48000\/2\r$/m);
    assert.match(offer, /^a=fmtp:111 minptime=10;useinbandfec=1\r$/m);
    assert.match(offer, new RegExp(`^a=ssrc:${caller.localSsrc} cname:\\S+\r$`, 'm'));
    assert.doesNotMatch(offer, /a=fingerprint|a=setup|a=rtcp-mux|a=crypto/);
    const offerCandidates = offerLines.filter((line) => line.startsWith('a=candidate:'));
    assert.deepEqual(offerCandidates.map(componentOf), [1, 2]);
    assert.ok(offerCandidates.every((line) => / 127\.0\.0\.1 \d+ typ host generation 0$/.test(line)), offerCandidates.join('\n'));
    const [rtpPriority, rtcpPriority] = offerCandidates.map((line) => Number(line.split(' ')[3]));
    assert.equal(rtpPriority - rtcpPriority, 1, 'component 2 one priority step below component 1 (RFC 8445 5.1.2.1)');

    // The answer: the first offered codec we have, and the telephone-event of its clock rate (none here: 8000 only).
    assert.match(answer, /^m=audio 9 RTP\/AVP 111\r$/m);
    assert.doesNotMatch(answer, /a=fingerprint|a=setup|a=rtcp-mux/);
    assert.deepEqual(lines(answer).filter((line) => line.startsWith('a=candidate:')).map(componentOf), [1, 2]);
    assert.deepEqual([caller.componentIds, callee.componentIds, caller.encryption, callee.encryption], [[1, 2], [1, 2], 'none', 'none']);

    const toCallee = await exchange(caller, callee, 50);
    const toCaller = await exchange(callee, caller, 50);
    assert.equal(toCallee.length, 50);
    assert.equal(toCaller.length, 50);
    const asSent = (ssrc: number) => Array.from({ length: 50 }, (_, i) => ({ ...rtp(ssrc, i), payload: Buffer.from(rtp(ssrc, i).payload) }));
    assert.deepEqual(toCallee.map((p) => ({ ...p, payload: Buffer.from(p.payload) })), asSent(caller.localSsrc));
    assert.deepEqual(toCaller.map((p) => ({ ...p, payload: Buffer.from(p.payload) })), asSent(callee.localSsrc));
  });

  it('sends RTCP SR/RR on component 2 both ways, and none when component 2 cannot connect (RTP unaffected)', async () => {
    const { caller, callee } = await connectPair();
    const sending = Promise.all([exchange(caller, callee, 100), exchange(callee, caller, 100)]);
    const [callerReports, calleeReports] = await Promise.all([reportsDuring(caller, 900), reportsDuring(callee, 900)]);
    await sending;
    assert.ok(callerReports.some((report) => report.ssrc === callee.localSsrc), 'the caller heard the callee\'s reports');
    assert.ok(calleeReports.some((report) => report.ssrc === caller.localSsrc), 'the callee heard the caller\'s reports');
    // An RTT needs an SR to arrive and the far end's next report to carry it back: keep media flowing meanwhile.
    const moreSending = Promise.all([exchange(caller, callee, 150), exchange(callee, caller, 150)]);
    for (let waited = 0; (caller.stats().rttMs === undefined || callee.stats().rttMs === undefined) && waited < 3000; waited += 50) await sleep(50);
    await moreSending;
    assert.ok(caller.stats().rttMs !== undefined && callee.stats().rttMs !== undefined, 'RTT measured at both ends (SR, then RR with LSR/DLSR)');

    const cut = await connectPair({ relay: (candidate) => componentOf(candidate) === 1 });
    const cutSending = Promise.all([exchange(cut.caller, cut.callee, 100), exchange(cut.callee, cut.caller, 100)]);
    const cutReports = await Promise.all([reportsDuring(cut.caller, 900), reportsDuring(cut.callee, 900)]);
    const [toCallee, toCaller] = await cutSending;
    assert.deepEqual([toCallee.length, toCaller.length], [100, 100], 'RTP on component 1 flows');
    assert.deepEqual(cutReports.map((reports) => reports.length), [0, 0], 'no RTCP travels on component 1 without rtcp-mux');
  });

  it('answers an offer with rtcp-mux on component 1 only, and RTCP shares it', async () => {
    const { caller, callee, answer } = await connectPair({
      offer: (sdp) => sdp.replace('a=sendrecv\r\n', 'a=sendrecv\r\na=rtcp-mux\r\n'),
      relay: (candidate) => componentOf(candidate) === 1,
    });
    assert.match(answer, /^a=rtcp-mux\r$/m);
    assert.deepEqual(lines(answer).filter((line) => line.startsWith('a=candidate:')).map(componentOf), [1]);
    assert.deepEqual([caller.componentIds, callee.componentIds], [[1], [1]]);
    const sending = Promise.all([exchange(caller, callee, 100), exchange(callee, caller, 100)]);
    const reports = await Promise.all([reportsDuring(caller, 900), reportsDuring(callee, 900)]);
    const [toCallee, toCaller] = await sending;
    assert.deepEqual([toCallee.length, toCaller.length], [100, 100]);
    assert.ok(reports.every((list) => list.length > 0), `RTCP both ways over the muxed component: ${reports.map((list) => list.length)}`);
  });

  it('passes RTP and RTCP through the impairment gate and keeps them in the capture', async () => {
    const dropped = { rtp: 0 };
    let seen = 0;
    const dropEveryThird: PacketGate = {
      outbound: (kind, _size, pass) => (kind === 'rtp' && ++seen % 3 === 0 ? dropped.rtp++ : pass()),
      inbound: (_kind, _size, pass) => void setTimeout(pass, 5),
    };
    const capture = new PacketCapture();
    const { caller, callee } = await connectPair({ caller: { gate: dropEveryThird }, callee: { capture } });
    const received = await exchange(caller, callee, 60);
    await exchange(callee, caller, 30);
    await reportsDuring(callee, 600);
    assert.equal(dropped.rtp, 20);
    assert.equal(received.length, 40);
    assert.deepEqual(received.slice(0, 4).map((p) => p.sequenceNumber), [0, 1, 3, 4]);

    const dir = mkdtempSync(join(tmpdir(), 'earshot-plain-capture-'));
    try {
      await capture.writeTo(join(dir, 'callee.pcap'));
      const records = pcapRecords(readFileSync(join(dir, 'callee.pcap')));
      const rtpIn = records.filter((r) => r.dstPort === capture.endpoints.local.port && !isRtcp(r.payload));
      const rtcpOut = records.filter((r) => r.srcPort === capture.endpoints.local.port && isRtcp(r.payload));
      assert.deepEqual(rtpIn.map((r) => parseRtp(r.payload).sequenceNumber), received.map((p) => p.sequenceNumber), 'received RTP as it arrived, after the gate');
      assert.equal(records.filter((r) => r.srcPort === capture.endpoints.local.port && !isRtcp(r.payload)).length, 30, 'sent RTP');
      assert.ok(rtcpOut.length > 0, 'sent RTCP is captured too');
      assert.notEqual(capture.endpoints.local.port, 5004, 'the capture has the real RTP port');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a DTLS-SRTP offer, and one without a codec in common, with a reason', async () => {
    const dtls = ['v=0', 'o=- 1 2 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=ice-ufrag:abcd', 'a=ice-pwd:0123456789012345678901',
      'a=fingerprint:sha-256 AB:CD', 'a=setup:actpass', 'a=mid:0', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', ''].join('\r\n');
    await assert.rejects(make().acceptOffer(dtls), { reason: 'bad-sdp', message: 'remote offer is UDP/TLS/RTP/SAVPF with a DTLS fingerprint: plain RTP takes RTP/AVP without DTLS only' });
    const speex = ['v=0', 'o=- 1 2 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=audio 9 RTP/AVP 96', 'a=ice-ufrag:abcd', 'a=ice-pwd:0123456789012345678901', 'a=mid:voice',
      'a=rtpmap:96 SPEEX/16000', ''].join('\r\n');
    await assert.rejects(make().acceptOffer(speex), { reason: 'no-common-codec', message: 'no common audio codec: the peer has SPEEX/16000, we have opus/48000, PCMU/8000, telephone-event/8000' });
  });
});

function isRtcp(payload: Uint8Array): boolean {
  return payload[1]! >= 192 && payload[1]! <= 223;
}
