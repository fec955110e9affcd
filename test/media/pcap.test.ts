import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapInputError, toPcap, writePcap, type PcapEndpoints, type PcapPacket } from '../../src/media/pcap.js';
import { serializeRtp } from '../../src/media/rtp-packet.js';

const endpoints: PcapEndpoints = { local: { ip: '10.0.0.1', port: 40000 }, remote: { ip: '10.0.0.2', port: 50000 } };

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex'));

// One Opus packet sent at 2023-11-14T22:13:20.123456Z, every field worked out by hand.
const GOLDEN = hex(`
  d4c3b2a1 0200 0400 00000000 00000000 ffff0000 65000000   # magic (LE), v2.4, thiszone, sigfigs, snaplen 65535, LINKTYPE_RAW
  00f15365 40e20100 2c000000 2c000000                      # ts_sec 1700000000, ts_usec 123456, incl_len = orig_len = 44
  4500 002c 0000 4000 4011 26bf 0a000001 0a000002          # IPv4: len 44, id 0, DF, TTL 64, UDP, checksum, 10.0.0.1 -> 10.0.0.2
  9c40 c350 0018 2576                                      # UDP: 40000 -> 50000, len 24, checksum
  80ef 0001 000003c0 11223344 deadbeef                     # RTP: V2, marker, PT 111, seq 1, ts 960, SSRC, payload
`);

/** One's complement sum folded to 16 bits, computed independently of the code under test. */
function onesComplementSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function rtp(sequenceNumber: number, ssrc: number, marker = false): Uint8Array {
  return serializeRtp({ payloadType: 111, sequenceNumber, timestamp: sequenceNumber * 960, ssrc, marker, payload: new Uint8Array(40).fill(0x55) });
}

// RTCP sender report (RFC 3550 6.4.1) with no report blocks: 28 bytes.
const SENDER_REPORT = hex(`
  80c8 0006 11223344                # V2, PT 200 (SR), length 6 words, SSRC
  e8d4a510 00000000 0001e240        # NTP timestamp, RTP timestamp 123456
  00000032 00000fa0                 # 50 packets, 4000 octets
`);

function tsharkAvailable(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe('media/pcap', () => {
  it('writes one RTP packet as the hand-computed libpcap bytes', () => {
    const bytes = toPcap(
      [{ atUs: 1700000000123456, direction: 'sent', kind: 'rtp', bytes: serializeRtp({ payloadType: 111, sequenceNumber: 1, timestamp: 960, ssrc: 0x11223344, marker: true, payload: hex('deadbeef') }) }],
      endpoints,
    );
    assert.equal(Buffer.from(bytes).toString('hex'), Buffer.from(GOLDEN).toString('hex'));
  });

  it('gives IPv4 and UDP checksums that verify on recomputation, for odd-length payloads too', () => {
    const packets: PcapPacket[] = [5, 6, 7].map((length, i) => ({
      atUs: 1700000000000000 + i * 1000,
      direction: i % 2 ? 'received' : 'sent',
      kind: 'rtp',
      bytes: serializeRtp({ payloadType: 0, sequenceNumber: i, timestamp: 0, ssrc: 1, marker: false, payload: new Uint8Array(length).fill(0xa7 + i) }),
    }));
    const file = toPcap(packets, endpoints);
    let offset = 24;
    for (const packet of packets) {
      const ipLength = new DataView(file.buffer).getUint32(offset + 8, true);
      const ip = file.subarray(offset + 16, offset + 16 + ipLength);
      assert.equal(onesComplementSum(ip.subarray(0, 20)), 0xffff, 'IPv4 header checksum');
      const udp = ip.subarray(20);
      const pseudo = Uint8Array.from([...ip.subarray(12, 20), 0, 17, udp.length >> 8, udp.length & 0xff]);
      assert.equal(onesComplementSum(Uint8Array.from([...pseudo, ...udp])), 0xffff, 'UDP checksum');
      assert.deepEqual(udp.subarray(8), packet.bytes);
      offset += 16 + ipLength;
    }
    assert.equal(offset, file.length);
  });

  it('orders packets by time and addresses them by direction', () => {
    const file = toPcap(
      [
        { atUs: 2000000, direction: 'received', kind: 'rtp', bytes: rtp(2, 9) },
        { atUs: 1000500, direction: 'sent', kind: 'rtp', bytes: rtp(1, 7) },
      ],
      endpoints,
    );
    const view = new DataView(file.buffer);
    const first = 24;
    const second = first + 16 + view.getUint32(first + 8, true);
    assert.deepEqual([view.getUint32(first, true), view.getUint32(first + 4, true)], [1, 500]);
    assert.deepEqual([...file.subarray(first + 16 + 12, first + 16 + 20)], [10, 0, 0, 1, 10, 0, 0, 2]);
    assert.equal(view.getUint16(first + 16 + 20), 40000);
    assert.deepEqual([view.getUint32(second, true), view.getUint32(second + 4, true)], [2, 0]);
    assert.deepEqual([...file.subarray(second + 16 + 12, second + 16 + 20)], [10, 0, 0, 2, 10, 0, 0, 1]);
    assert.equal(view.getUint16(second + 16 + 20), 50000);
  });

  it('rejects bad input with a clear error', () => {
    const good: PcapPacket = { atUs: 0, direction: 'sent', kind: 'rtp', bytes: rtp(1, 1) };
    assert.throws(() => toPcap([good], { ...endpoints, local: { ip: '::1', port: 1 } }), /local endpoint ip must be a dotted-quad IPv4/);
    assert.throws(() => toPcap([good], { ...endpoints, remote: { ip: '10.0.0.256', port: 1 } }), PcapInputError);
    assert.throws(() => toPcap([good], { ...endpoints, remote: { ip: '10.0.0.2', port: 0 } }), /remote endpoint port must be an integer 1-65535/);
    assert.throws(() => toPcap([good, { ...good, atUs: 1.5 }], endpoints), /packet 1 .*atUs must be integer epoch microseconds/);
    assert.throws(() => toPcap([{ ...good, bytes: hex('0102') }], endpoints), /packet 0 .*RTP packet too short/);
    assert.throws(() => toPcap([{ ...good, bytes: SENDER_REPORT }], endpoints), /reads as RTCP on a muxed port/);
    assert.throws(() => toPcap([{ ...good, kind: 'rtcp' }], endpoints), /not RTCP/);
    assert.throws(() => toPcap([{ ...good, bytes: new Uint8Array(70000).fill(0x80) }], endpoints), /exceed the 65507-byte UDP payload limit/);
    assert.throws(() => toPcap([good], endpoints, [{ atUs: 0, text: 'line\nbreak' }]), /note 0: text must be printable ASCII/);
  });

  it('is decoded by tshark as RTP and RTCP, and notes as syslog text, with no malformed packets and valid checksums', async function () {
    if (!tsharkAvailable()) {
      console.warn('    tshark is not installed (apt-get install tshark): skipping the decode check');
      this.skip();
    }
    this.timeout(20000);
    const start = 1700000000000000;
    const packets: PcapPacket[] = [];
    for (let i = 0; i < 50; i++) {
      packets.push({ atUs: start + i * 20000, direction: 'sent', kind: 'rtp', bytes: rtp(1000 + i, 0x11223344, i === 0) });
      // The received stream wraps its sequence number (65510 .. 65535, 0 .. 23), arriving 3.25 ms after ours.
      packets.push({ atUs: start + i * 20000 + 3250, direction: 'received', kind: 'rtp', bytes: rtp((65510 + i) & 0xffff, 0x55667788) });
    }
    packets.push({ atUs: start + 500000, direction: 'sent', kind: 'rtcp', bytes: SENDER_REPORT });
    const dir = mkdtempSync(join(tmpdir(), 'earshot-pcap-'));
    try {
      const path = join(dir, 'call.pcap');
      await writePcap(path, packets, endpoints, [{ atUs: start + 2_000_000, text: 'capture full: only the first 101 packets are kept' }]);
      assert.deepEqual(readFileSync(path).subarray(0, 4), Buffer.from('d4c3b2a1', 'hex'));
      const output = execFileSync('tshark', [
        '-r', path, '-d', 'udp.port==40000,rtp',
        '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
        '-T', 'fields', '-E', 'separator=|',
        '-e', 'ip.src', '-e', 'rtp.seq', '-e', 'rtp.p_type', '-e', 'rtcp.pt', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', '_ws.malformed', '-e', '_ws.expert', '-e', 'syslog.msg',
      ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const rows = output.trim().split('\n').map((line) => line.split('|'));
      assert.equal(rows.length, 102);
      assert.deepEqual([rows[101][0], rows[101][8]], ['10.0.0.1', 'earshot: capture full: only the first 101 packets are kept']);
      const sequence = (from: string) => rows.filter((r) => r[0] === from && r[1] !== '').map((r) => Number(r[1]));
      assert.deepEqual(sequence('10.0.0.1'), Array.from({ length: 50 }, (_, i) => 1000 + i));
      assert.deepEqual(sequence('10.0.0.2'), Array.from({ length: 50 }, (_, i) => (65510 + i) & 0xffff));
      const rtpRows = rows.filter((r) => r[1] !== '');
      assert.ok(rtpRows.every((r) => r[2] === '111'), 'every RTP packet decodes with payload type 111');
      const rtcpRows = rows.filter((r) => r[3] !== '');
      assert.deepEqual(rtcpRows.map((r) => [r[0], r[3]]), [['10.0.0.1', '200']]);
      // Checksum status 1 is "good" in Wireshark's proto_checksum_enum_e.
      assert.ok(rows.every((r) => r[4] === '1' && r[5] === '1'), `checksums: ${rows.map((r) => r.slice(4, 6).join('/')).join(' ')}`);
      assert.deepEqual(rows.filter((r) => r[6] !== '' || r[7] !== ''), [], 'no malformed packets or expert warnings');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
