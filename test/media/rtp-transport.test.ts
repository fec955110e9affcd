import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RtpPacketFields } from '../../src/media/rtp-packet.js';
import { RtcpState } from '../../src/media/rtcp-state.js';
import {
  RtpTransport,
  RtpTransportError,
  type RtpTransportOptions,
  type SdpCodec,
} from '../../src/media/rtp-transport.js';

const codecs: SdpCodec[] = [
  { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, parameters: 'minptime=10;useinbandfec=1' },
  { payloadType: 0, name: 'PCMU', clockRate: 8000 },
  { payloadType: 8, name: 'PCMA', clockRate: 8000 },
  { payloadType: 101, name: 'telephone-event', clockRate: 8000, parameters: '0-16' },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Conversations sends session-initiate without candidates and trickles each one. */
const withoutCandidates = (sdp: string) =>
  sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
    .join('\r\n');

function outcome(transport: RtpTransport, timeoutMs: number): Promise<'connected' | RtpTransportError> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`neither onConnected nor onFailed within ${timeoutMs} ms`)), timeoutMs);
    transport.onConnected.next().then(() => {
      clearTimeout(timer);
      resolve('connected');
    });
    transport.onFailed.next().then(([error]) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

function rtp(ssrc: number, i: number, payloadType = 111): RtpPacketFields {
  return {
    payloadType,
    sequenceNumber: (65520 + i) & 0xffff,
    timestamp: (0xffffff00 + i * 960) >>> 0,
    ssrc,
    marker: i === 0,
    payload: randomBytes(20 + (i % 80)),
  };
}

describe('RtpTransport', function () {
  this.timeout(20_000);
  const open: RtpTransport[] = [];
  const make = (options: Partial<RtpTransportOptions> = {}) => {
    const transport = new RtpTransport({ codecs, ...options });
    open.push(transport);
    return transport;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((transport) => transport.close()));
  });

  /** Offer/answer without candidates in the SDP; every candidate goes by trickle. */
  async function connectPair(callerOptions: Partial<RtpTransportOptions> = {}, calleeOptions: Partial<RtpTransportOptions> = callerOptions) {
    const caller = make(callerOptions);
    const callee = make(calleeOptions);
    const trickled = { caller: [] as string[], callee: [] as string[] };
    caller.onLocalCandidate.subscribe((candidate, mid) => {
      assert.equal(mid, caller.mid);
      trickled.caller.push(candidate);
      void callee.addRemoteCandidate(candidate, mid);
    });
    callee.onLocalCandidate.subscribe((candidate, mid) => {
      trickled.callee.push(candidate);
      void caller.addRemoteCandidate(candidate, mid);
    });
    const outcomes = Promise.all([outcome(caller, 8000), outcome(callee, 8000)]);
    const started = performance.now();
    const offer = await caller.createOffer();
    const answer = await callee.acceptOffer(withoutCandidates(offer));
    await caller.acceptAnswer(withoutCandidates(answer));
    assert.deepEqual(await outcomes, ['connected', 'connected']);
    return { caller, callee, offer, answer, trickled, connectMs: performance.now() - started };
  }

  async function exchange(from: RtpTransport, to: RtpTransport, packets: RtpPacketFields[]) {
    const received: RtpPacketFields[] = [];
    const unsubscribe = to.onRtp.subscribe((packet) => received.push(packet));
    for (const packet of packets) {
      from.sendRtp(packet);
      await sleep(2);
    }
    for (let waited = 0; received.length < packets.length && waited < 2000; waited += 20) await sleep(20);
    unsubscribe();
    return received;
  }

  const fields = (packet: RtpPacketFields) => ({ ...packet, payload: Buffer.from(packet.payload).toString('hex') });

  it('connects two legs over loopback by trickled candidates and carries RTP both ways unchanged', async () => {
    const { caller, callee, offer, answer, trickled, connectMs } = await connectPair();
    console.log(`      loopback connect time, createOffer to both connected: ${connectMs.toFixed(0)} ms`);

    assert.equal(offer.match(/^m=/gm)?.length, 1);
    assert.match(offer, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF 111 0 8 101\r$/m);
    assert.match(offer, /^a=setup:actpass\r$/m);
    assert.match(offer, new RegExp(`^a=mid:${caller.mid}\r$`, 'm'));
    assert.match(offer, /^a=rtcp-mux\r$/m);
    assert.match(offer, /^a=sendrecv\r$/m);
    assert.match(offer, /^a=rtpmap:111 opus\/48000\/2\r$/m);
    assert.match(offer, /^a=fmtp:111 minptime=10;useinbandfec=1\r$/m);
    assert.match(offer, new RegExp(`^a=ssrc:${caller.localSsrc} cname:`, 'm'));
    assert.match(answer, /^a=setup:(active|passive)\r$/m);
    assert.match(answer, new RegExp(`^a=ssrc:${callee.localSsrc} cname:`, 'm'));
    assert.ok(offer.includes(`a=fingerprint:${caller.localFingerprint}`));
    assert.notEqual(caller.localFingerprint, callee.localFingerprint);
    assert.equal(callee.remoteFingerprint, caller.localFingerprint);
    assert.equal(caller.remoteFingerprint, callee.localFingerprint);
    assert.equal(caller.negotiatedPayloadType, 111);
    assert.equal(callee.negotiatedPayloadType, 111);

    for (const candidates of [trickled.caller, trickled.callee]) {
      assert.ok(candidates.length >= 1);
      for (const candidate of candidates) assert.match(candidate, /^candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
    }

    const forward = Array.from({ length: 50 }, (_, i) => rtp(caller.localSsrc, i, i === 25 ? 101 : 111));
    const backward = Array.from({ length: 50 }, (_, i) => rtp(callee.localSsrc, i));
    assert.deepEqual((await exchange(caller, callee, forward)).map(fields), forward.map(fields));
    assert.deepEqual((await exchange(callee, caller, backward)).map(fields), backward.map(fields));
    assert.equal(caller.stats().packetsSent, 50);
    assert.equal(callee.stats().packetsReceived, 50);
    assert.equal(callee.stats().packetsLost, 0);
  });

  it('sends RTCP reports itself: both sides measure RTT and the sender learns the receiver-counted loss', async () => {
    const { caller, callee } = await connectPair({ rtcpIntervalMs: 200 });
    const reports: string[] = [];
    caller.onRtcp.subscribe((report) => reports.push(report.type));
    const lost = new Set([10, 11]);
    for (let i = 0; i < 100; i++) {
      if (!lost.has(i)) caller.sendRtp(rtp(caller.localSsrc, i));
      callee.sendRtp(rtp(callee.localSsrc, i));
      await sleep(10);
    }
    await sleep(700);
    const callerStats = caller.stats();
    const calleeStats = callee.stats();
    assert.equal(calleeStats.packetsReceived, 98);
    assert.equal(calleeStats.packetsLost, 2);
    assert.equal(callerStats.remotePacketsLost, 2);
    assert.equal(callerStats.packetsLost, 0);
    for (const stats of [callerStats, calleeStats]) {
      assert.ok(stats.rttMs !== undefined && stats.rttMs >= 0 && stats.rttMs < 50, `RTT on loopback: ${stats.rttMs}`);
      assert.ok(stats.jitterMs !== undefined && stats.jitterMs < 20, `jitter ${stats.jitterMs}`);
      assert.ok(stats.rtcpSent >= 2 && stats.rtcpReceived >= 2);
    }
    assert.ok(reports.includes('sr'));
  });

  for (const tampered of ['answer', 'offer'] as const) {
    it(`fails with fingerprint-mismatch, and carries no media, when the ${tampered} has a tampered fingerprint`, async () => {
      const caller = make({ connectTimeoutMs: 3000 });
      const callee = make({ connectTimeoutMs: 3000 });
      caller.onLocalCandidate.subscribe((candidate, mid) => void callee.addRemoteCandidate(candidate, mid));
      callee.onLocalCandidate.subscribe((candidate, mid) => void caller.addRemoteCandidate(candidate, mid));
      const tamper = (sdp: string) => sdp.replace(/(a=fingerprint:sha-256 )(.)/, (_, prefix, first) => prefix + (first === 'A' ? 'B' : 'A'));
      const detector = tampered === 'answer' ? caller : callee;
      const other = detector === caller ? callee : caller;
      const detected = outcome(detector, 5000);
      const otherOutcome = outcome(other, 5000);
      let mediaAtDetector = 0;
      detector.onRtp.subscribe(() => mediaAtDetector++);

      const started = performance.now();
      const offer = await caller.createOffer();
      const answer = await callee.acceptOffer(tampered === 'offer' ? tamper(offer) : offer);
      await caller.acceptAnswer(tampered === 'answer' ? tamper(answer) : answer);
      const error = await detected;
      assert.ok(error instanceof RtpTransportError, `expected a failure, got ${String(error)}`);
      assert.equal(error.reason, 'fingerprint-mismatch');
      assert.match(error.message, /does not match the remote SDP's a=fingerprint/);
      assert.ok(performance.now() - started < 3000);
      assert.equal(detector.state, 'failed');
      assert.doesNotThrow(() => detector.sendRtp(rtp(detector.localSsrc, 0)), 'after a failure packets are dropped');

      if ((await otherOutcome) === 'connected') {
        for (let i = 0; i < 10; i++) other.sendRtp(rtp(other.localSsrc, i));
        await sleep(200);
      }
      assert.equal(mediaAtDetector, 0);
    });
  }

  it('rejects remote SDP without a fingerprint, an answer with setup actpass, and a malformed candidate', async () => {
    const caller = make();
    const offer = await caller.createOffer();
    const plain = offer.replace(/a=fingerprint:[^\r]+\r\n/, '');
    await assert.rejects(make().acceptOffer(plain), (error: RtpTransportError) => {
      assert.equal(error.reason, 'no-fingerprint');
      assert.match(error.message, /no a=fingerprint: DTLS-SRTP is required/);
      return true;
    });
    const callee = make();
    const answer = await callee.acceptOffer(offer);
    await assert.rejects(caller.acceptAnswer(answer.replace(/a=setup:\w+/, 'a=setup:actpass')), /must choose active or passive/);
    await assert.rejects(make().acceptOffer(offer.replace(/a=rtcp-mux\r\n/, '')), /rtcp-mux/);
    await assert.rejects(callee.addRemoteCandidate('candidate:garbage', '0'), /not an ICE candidate/);
    await assert.rejects(make().acceptOffer('hello'), /v=0/);
  });

  it('answers with the first codec of the offer that it supports', async () => {
    const caller = make({ codecs: [codecs[1], codecs[0]] });
    const callee = make({ codecs: [codecs[0], codecs[1]] });
    const answer = await callee.acceptOffer(await caller.createOffer());
    assert.match(answer, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF 0 111\r$/m);
    assert.equal(callee.negotiatedPayloadType, 0);
    await caller.acceptAnswer(answer);
    assert.equal(caller.negotiatedPayloadType, 0);
    await assert.rejects(make({ codecs: [codecs[2]] }).acceptOffer(await make({ codecs: [codecs[0]] }).createOffer()), /no common audio codec/);
  });

  it('offers ::1 as well with ipv6, and connects', async () => {
    const { trickled } = await connectPair({ ipv6: true });
    assert.ok(trickled.caller.some((candidate) => / ::1 \d+ typ host/.test(candidate)));
    assert.ok(trickled.caller.some((candidate) => / 127\.0\.0\.1 \d+ typ host/.test(candidate)));
  });

  it("with ipv6 'only' offers only ::1 candidates, and reports the ::1 pair it selected, also after close", async () => {
    const { caller, callee, trickled } = await connectPair({ ipv6: 'only' });
    for (const candidate of [...trickled.caller, ...trickled.callee]) assert.match(candidate, /^candidate:\S+ 1 udp \d+ ::1 \d+ typ host/);
    const pair = caller.selectedPair();
    assert.deepEqual(
      { local: pair?.local.address, remote: pair?.remote.address, types: [pair?.local.type, pair?.remote.type] },
      { local: '::1', remote: '::1', types: ['host', 'host'] },
    );
    assert.equal(pair?.remote.port, callee.selectedPair()?.local.port);
    await caller.close();
    assert.deepEqual(caller.selectedPair(), pair, 'the last pair stays readable after close');
  });

  it('reports no selected pair before connecting, and the 127.0.0.1 pair by default', async () => {
    assert.equal(make().selectedPair(), undefined);
    const { caller } = await connectPair();
    assert.deepEqual([caller.selectedPair()?.local.address, caller.selectedPair()?.remote.address], ['127.0.0.1', '127.0.0.1']);
  });

  it('closes idempotently in every state', async () => {
    const fresh = make();
    await fresh.close();
    await fresh.close();
    assert.equal(fresh.state, 'closed');
    await assert.rejects(fresh.createOffer(), /state closed/);

    const offering = make();
    await offering.createOffer();
    await Promise.all([offering.close(), offering.close()]);

    const interrupted = make();
    const pending = interrupted.createOffer();
    await interrupted.close();
    await assert.rejects(pending, /closed during negotiation/);

    const { caller, callee } = await connectPair();
    await caller.close();
    await caller.close();
    caller.sendRtp(rtp(caller.localSsrc, 0)); // dropped after close, no throw
    assert.equal(caller.state, 'closed');
    await callee.close();
  });

  it('leaves nothing running after close(): a process that used it exits by itself', async () => {
    await assertExitsAfterClose({});
  });

  it('makes no DNS lookup while gathering and connecting (werift falls back to stun.l.google.com)', async () => {
    let lookups = 0;
    const hook = createHook({
      init: (_id, type) => {
        if (type === 'GETADDRINFOREQWRAP') lookups++;
      },
    }).enable();
    try {
      await connectPair();
    } finally {
      hook.disable();
    }
    assert.equal(lookups, 0);
  });

  describe('through a TURN relay (coturn)', () => {
    let turn: ChildProcess | undefined;
    let dir: string | undefined;
    let port = 0;
    const secret = randomBytes(12).toString('hex');

    before(async function () {
      const found = await new Promise<boolean>((resolve) => execFile('turnserver', ['-h'], (error) => resolve(!error || (error as { code?: unknown }).code !== 'ENOENT')));
      if (!found) this.skip();
      port = await freeUdpPort();
      dir = mkdtempSync(join(tmpdir(), 'earshot-turn-'));
      turn = spawn(
        'turnserver',
        [
          '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`, '--use-auth-secret',
          `--static-auth-secret=${secret}`, '--realm=localhost', '--no-tls', '--no-dtls', '--allow-loopback-peers', '--no-cli',
          `--pidfile=${join(dir, 'turn.pid')}`, `--db=${join(dir, 'turn.db')}`, '--log-file=stdout', '--simple-log',
          '--min-port=40000', '--max-port=40999',
        ],
        { stdio: 'ignore' },
      );
      await sleep(500);
    });

    after(() => {
      turn?.kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('connects with relay candidates only and carries RTP', async () => {
      const username = `${Math.floor(Date.now() / 1000) + 600}:earshot`;
      const credential = createHmac('sha1', secret).update(username).digest('base64');
      const relayed = { iceServers: [{ urls: `turn:127.0.0.1:${port}?transport=udp`, username, credential }], forceRelay: true };
      const { caller, callee, trickled } = await connectPair(relayed);
      for (const candidate of [...trickled.caller, ...trickled.callee]) assert.match(candidate, / typ relay /);
      assert.equal(caller.selectedPair()?.local.type, 'relay');
      const packets = Array.from({ length: 20 }, (_, i) => rtp(caller.localSsrc, i));
      assert.deepEqual((await exchange(caller, callee, packets)).map(fields), packets.map(fields));
      // werift's TURN refresh sleeps 500 s on a timer that close() cannot cancel.
      await assertExitsAfterClose(relayed);
    });
  });
});

describe('RtcpState', () => {
  const clockRates: Record<number, number> = { 111: 48000 };
  const state = (ssrc: number) => new RtcpState(ssrc, 1000, (pt) => clockRates[pt]);
  const packet = (ssrc: number, sequenceNumber: number, timestamp: number): RtpPacketFields => ({
    payloadType: 111,
    sequenceNumber,
    timestamp,
    ssrc,
    marker: false,
    payload: new Uint8Array(50),
  });

  it('counts loss, fraction lost and the extended highest sequence across a wrap', () => {
    const receiver = state(1);
    for (const seq of [65530, 65531, 65533, 65534, 65535, 0, 1, 3]) receiver.onReceived(packet(9, seq, 0), 0);
    const [block] = receiver.buildReport(100).blocks;
    assert.equal(block.highestSequence, 65536 + 3);
    assert.equal(block.packetsLost, 2);
    assert.equal(block.fractionLost, Math.floor((2 * 256) / 10) / 256);
    for (const seq of [4, 5]) receiver.onReceived(packet(9, seq, 0), 0);
    assert.equal(receiver.buildReport(200).blocks[0].fractionLost, 0);
    assert.equal(receiver.stats().packetsReceived, 10);
  });

  it('computes interarrival jitter in timestamp units (RFC 3550 A.8)', () => {
    const receiver = state(1);
    for (let i = 0; i < 5; i++) receiver.onReceived(packet(9, i, i * 960), i * 20);
    assert.equal(receiver.buildReport(100).blocks[0].jitter, 0);
    receiver.onReceived(packet(9, 5, 5 * 960), 5 * 20 + 10);
    assert.equal(receiver.buildReport(200).blocks[0].jitter, 30); // 480 units late / 16
  });

  it('sends SR only while sending, extrapolating the RTP timestamp to the report time', () => {
    const sender = state(7);
    assert.equal(sender.buildReport(0).type, 'rr');
    sender.onSent(packet(7, 1, 1000), 5000);
    const report = sender.buildReport(5100);
    assert.equal(report.type, 'sr');
    assert.equal(report.sender?.rtpTimestamp, 1000 + 4800);
    assert.equal(report.sender?.packetCount, 1);
    assert.equal(report.sender?.octetCount, 50);
    assert.equal(sender.buildReport(5000 + 2001).type, 'rr');
  });

  it('measures RTT from the LSR and DLSR echoed in the peer report', () => {
    const epoch = 1_700_000_000_000;
    const a = state(7);
    const b = state(9);
    a.onSent(packet(7, 1, 0), epoch);
    b.onReceived(packet(7, 1, 0), epoch + 10);
    b.onReport(a.buildReport(epoch + 100), epoch + 110);
    const reply = b.buildReport(epoch + 130);
    const rtt = a.onReport(reply, epoch + 140);
    assert.ok(rtt !== undefined && Math.abs(rtt - 20) < 0.1, `rtt ${rtt}`);
    assert.equal(a.stats().rttMs, rtt);
    assert.equal(a.stats().remotePacketsLost, 0);
  });
});

/**
 * Runs two pairs in a child process, a working one and one stuck in its DTLS handshake (tampered
 * answer, whose retransmissions werift never cancels), closes them, and checks that the process
 * then exits by itself.
 */
async function assertExitsAfterClose(options: Partial<RtpTransportOptions>): Promise<void> {
  const modulePath = fileURLToPath(new URL('../../src/media/rtp-transport.js', import.meta.url));
  const script = `
    import { RtpTransport } from ${JSON.stringify(modulePath)};
    const options = { ...${JSON.stringify(options)}, codecs: [{ payloadType: 111, name: 'opus', clockRate: 48000, channels: 2 }] };
    const pair = async (tamper) => {
      const a = new RtpTransport(options), b = new RtpTransport(options);
      a.onLocalCandidate.subscribe((c, m) => b.addRemoteCandidate(c, m));
      b.onLocalCandidate.subscribe((c, m) => a.addRemoteCandidate(c, m));
      const done = Promise.race([a.onConnected.next(), a.onFailed.next()]);
      const answer = await b.acceptOffer(await a.createOffer());
      await a.acceptAnswer(tamper ? answer.replace(/(fingerprint:sha-256 )(.)/, (_, p, c) => p + (c === 'A' ? 'B' : 'A')) : answer);
      await done;
      if (a.state === 'connected') a.sendRtp({ payloadType: 111, sequenceNumber: 1, timestamp: 1, ssrc: a.localSsrc, marker: false, payload: new Uint8Array(10) });
      await new Promise((r) => setTimeout(r, 300));
      await a.close(); await b.close();
    };
    await pair(false); await pair(true);
    console.log('closed ' + Math.round(performance.now()));
  `;
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  const closedAt = Number(/closed (\d+)/.exec(output)?.[1]);
  const exitedAfterClose = performance.now() - started - closedAt;
  assert.ok(exitedAfterClose < 7000, `the process lingered ${exitedAfterClose.toFixed(0)} ms after close()`);
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
