import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '../../src/media/codec.js';
import { PacketCapture } from '../../src/media/packet-capture.js';
import { serializeRtp } from '../../src/media/rtp-packet.js';
import { RtpSender } from '../../src/media/rtp-sender.js';
import { RtpTransport, type PacketGate, type RtpTransportOptions, type SdpCodec } from '../../src/media/rtp-transport.js';
import { dtmfPackets } from '../../src/media/telephone-event.js';
import { pcapRecords } from '../helpers/pcap-records.js';

const codecs: SdpCodec[] = [
  { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, parameters: 'minptime=10;useinbandfec=1' },
  { payloadType: 0, name: 'PCMU', clockRate: 8000 },
  { payloadType: 101, name: 'telephone-event', clockRate: 48000, parameters: '0-15' },
];
const TELEPHONE_EVENT = 101;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function tsharkAvailable(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Drops every `nth` RTP packet in each direction (RTCP passes), and counts what it dropped. */
function everyNthRtpDropped(nth: number): PacketGate & { dropped: { outbound: number; inbound: number } } {
  const seen = { outbound: 0, inbound: 0 };
  const dropped = { outbound: 0, inbound: 0 };
  const gate = (way: 'outbound' | 'inbound') => (kind: 'rtp' | 'rtcp', _size: number, pass: () => void) => {
    if (kind === 'rtp' && ++seen[way] % nth === 0) dropped[way]++;
    else pass();
  };
  return { outbound: gate('outbound'), inbound: gate('inbound'), dropped };
}

/** Offer/answer with every candidate in the SDP (it is returned after gathering), as a Jingle call would carry it. */
async function connectLegs(callerOptions: Partial<RtpTransportOptions>, calleeOptions: Partial<RtpTransportOptions>) {
  const caller = new RtpTransport({ codecs, ...callerOptions });
  const callee = new RtpTransport({ codecs, ...calleeOptions });
  const connected = Promise.all([caller.onConnected.next(), callee.onConnected.next()]);
  const failed = Promise.race([caller.onFailed.next(), callee.onFailed.next()]).then(([error]) => {
    throw error;
  });
  const offer = await caller.createOffer();
  await caller.acceptAnswer(await callee.acceptOffer(offer));
  await Promise.race([connected, failed]);
  return { caller, callee, offer };
}

/** Sends `ms` of a 440 Hz tone as Opus from `transport`, with the DTMF digit `digit` a third of the way in. */
async function speak(transport: RtpTransport, ms: number, digit?: string): Promise<void> {
  const rate = 48000;
  const audio = Float32Array.from({ length: (rate * ms) / 1000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate));
  const codec = createCodec('opus');
  const sender = new RtpSender({ codec, payloadType: transport.negotiatedPayloadType!, audio, audioRate: rate, ssrc: transport.localSsrc, send: (packet) => transport.sendRtp(packet) });
  const ended = sender.onEnded.next();
  sender.start();
  if (digit) {
    await sleep(ms / 3);
    await sender.sendTelephoneEvent(TELEPHONE_EVENT, dtmfPackets(digit, { clockRate: rate }));
  }
  await ended;
  codec.close();
}

interface Row {
  src: string;
  srcPort: number;
  payloadType?: number;
  seq?: number;
  ssrc?: number;
  rtcpTypes: string[];
}

function tsharkRows(path: string, rtpPort: number): Row[] {
  const output = execFileSync(
    'tshark',
    ['-r', path, '-d', `udp.port==${rtpPort},rtp`, '-T', 'fields', '-E', 'separator=|', '-e', 'ip.src', '-e', 'udp.srcport', '-e', 'rtp.p_type', '-e', 'rtp.seq', '-e', 'rtp.ssrc', '-e', 'rtcp.pt'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return output
    .trim()
    .split('\n')
    .map((line) => {
      const [src, srcPort, payloadType, seq, ssrc, rtcp] = line.split('|');
      const number = (text: string) => (text === '' ? undefined : Number(text));
      return { src, srcPort: Number(srcPort), payloadType: number(payloadType), seq: number(seq), ssrc: number(ssrc), rtcpTypes: rtcp ? rtcp.split(',') : [] };
    });
}

function malformed(path: string, rtpPort: number): string {
  return execFileSync('tshark', ['-r', path, '-d', `udp.port==${rtpPort},rtp`, '-Y', '_ws.malformed'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('PacketCapture', function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'earshot-capture-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rtp = (sequenceNumber: number, payloadType = 111, marker = false) =>
    serializeRtp({ payloadType, sequenceNumber, timestamp: sequenceNumber * 960, ssrc: 7, marker, payload: new Uint8Array(30) });

  it('keeps at most maxPackets and notes in the pcap where it stopped and how many it did not keep', async () => {
    const capture = new PacketCapture({ maxPackets: 3 });
    const start = 1_700_000_000_000_000;
    for (let i = 0; i < 5; i++) capture.add('sent', 'rtp', rtp(i), start + i * 20_000);
    assert.equal(capture.packetCount, 3);
    assert.equal(capture.packetsNotKept, 2);
    const path = join(dir, 'full.pcap');
    await capture.writeTo(path);
    const records = pcapRecords(readFileSync(path));
    assert.deepEqual(records.map((r) => r.srcPort), [5004, 5004, 5004, 514], 'placeholder port 5004 without a connected transport, then the note');
    assert.equal(Buffer.from(records[3].payload).toString(), '<13>earshot: capture full: only the first 3 packets are kept; 2 later packets are not in this file');
    assert.throws(() => new PacketCapture({ maxPackets: 0 }), /maxPackets must be a positive integer/);
  });

  it('leaves out, with a note, a received packet that reads as RTCP on a muxed port instead of failing the file', async () => {
    const capture = new PacketCapture();
    capture.setEndpoints({ local: { ip: '127.0.0.1', port: 40000 }, remote: { ip: '127.0.0.1', port: 40002 } });
    capture.add('received', 'rtp', rtp(1), 1_000_000);
    capture.add('received', 'rtp', rtp(2, 72, true), 1_020_000); // marker + PT 72: second byte 200, an SR on a muxed port
    const path = join(dir, 'odd.pcap');
    await capture.writeTo(path);
    const records = pcapRecords(readFileSync(path));
    assert.deepEqual(records.map((r) => r.srcPort), [40002, 514]);
    assert.match(Buffer.from(records[1].payload).toString(), /1 captured packets are not valid RTP\/RTCP on a muxed port and are left out/);
  });

  it('captures a loopback call decrypted: tshark decodes both directions as RTP with the negotiated types, SRs, DTMF, no malformed packet', async function () {
    if (!tsharkAvailable()) {
      console.warn('    tshark is not installed (apt-get install tshark): skipping the capture decode check');
      this.skip();
    }
    this.timeout(30_000);
    const callerCapture = new PacketCapture();
    const calleeCapture = new PacketCapture();
    const gate = everyNthRtpDropped(10);
    const { caller, callee, offer } = await connectLegs(
      { capture: callerCapture, gate, rtcpIntervalMs: 400 },
      { capture: calleeCapture, rtcpIntervalMs: 400 },
    );
    try {
      assert.equal(caller.negotiatedPayloadType, 111);
      await Promise.all([speak(caller, 2000, '5'), speak(callee, 2000)]);
      await sleep(300); // the last packets and reports in flight
      const callerPath = join(dir, 'caller.pcap');
      const calleePath = join(dir, 'callee.pcap');
      await Promise.all([callerCapture.writeTo(callerPath), calleeCapture.writeTo(calleePath)]);

      const { local, remote } = callerCapture.endpoints;
      assert.match(offer, new RegExp(`^a=candidate:.* udp \\d+ ${local.ip} ${local.port} typ host`, 'm'), 'the pcap carries the real local port');
      assert.deepEqual(calleeCapture.endpoints, { local: remote, remote: local });

      const rows = tsharkRows(callerPath, local.port);
      const sentRtp = rows.filter((r) => r.srcPort === local.port && r.seq !== undefined);
      const receivedRtp = rows.filter((r) => r.srcPort === remote.port && r.seq !== undefined);
      const calleeRows = tsharkRows(calleePath, remote.port);
      const calleeSent = calleeRows.filter((r) => r.srcPort === remote.port && r.seq !== undefined);
      const calleeReceived = calleeRows.filter((r) => r.srcPort === local.port && r.seq !== undefined);
      console.log(
        `      caller pcap: ${rows.length} packets (${sentRtp.length} RTP sent, ${receivedRtp.length} received); ` +
          `gate dropped ${gate.dropped.outbound} out, ${gate.dropped.inbound} in; sample: ${JSON.stringify(sentRtp.slice(0, 2))}`,
      );

      // Sent: what the sender produced, before the gate: contiguous sequence numbers, audio and the DTMF tone.
      assert.ok(sentRtp.length >= 100, `${sentRtp.length} RTP packets sent`);
      sentRtp.forEach((row, i) => i > 0 && assert.equal(row.seq, (sentRtp[i - 1].seq! + 1) & 0xffff, `sent seq contiguous at ${i}`));
      assert.ok(sentRtp.every((r) => r.ssrc === caller.localSsrc && (r.payloadType === 111 || r.payloadType === TELEPHONE_EVENT)));
      assert.equal(sentRtp.filter((r) => r.payloadType === TELEPHONE_EVENT).length, dtmfPackets('5', { clockRate: 48000 }).length);
      // Received: what reached earshot after the gate, all with the negotiated payload type.
      assert.ok(receivedRtp.length >= 90 && receivedRtp.every((r) => r.payloadType === 111 && r.ssrc === callee.localSsrc));
      assert.equal(receivedRtp.length, calleeSent.length - gate.dropped.inbound);
      assert.equal(calleeReceived.length, sentRtp.length - gate.dropped.outbound);

      const senderReports = (from: number) => rows.filter((r) => r.srcPort === from && r.rtcpTypes[0] === '200');
      assert.ok(senderReports(local.port).length >= 2, 'sent RTCP SRs');
      assert.ok(senderReports(remote.port).length >= 2, 'received RTCP SRs');
      assert.ok(senderReports(local.port).every((r) => r.rtcpTypes.join() === '200,202'), 'sent compounds: SR then SDES');
      assert.equal(malformed(callerPath, local.port), '');
      assert.equal(malformed(calleePath, remote.port), '');
    } finally {
      await Promise.all([caller.close(), callee.close()]);
    }
  });
});
