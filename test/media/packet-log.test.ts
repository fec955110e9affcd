import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketLog, rfc3550Jitter, type PacketLogEntry } from '../../src/media/packet-log.js';

const entry = (seq: number, timestamp: number, arrivalMs: number, extra: Partial<PacketLogEntry> = {}): PacketLogEntry => ({
  arrivalMs,
  seq,
  timestamp,
  ssrc: 7,
  payloadType: 0,
  size: 160,
  ...extra,
});

describe('rfc3550Jitter', () => {
  it('matches a hand computation', () => {
    // 8 kHz clock. Arrivals in timestamp units: 0, 160, 360, 480.
    // D = 0, then (360-160)-160 = 40: J = 40/16 = 2.5,
    // then (480-360)-160 = -40: J = 2.5 + (40-2.5)/16 = 4.84375 units = 0.60546875 ms.
    const entries = [entry(0, 0, 0), entry(1, 160, 20), entry(2, 320, 45), entry(3, 480, 60)];
    assert.equal(rfc3550Jitter(entries, 8000), 0.60546875);
  });

  it('is zero for perfectly paced packets, even across timestamp wrap', () => {
    const entries = [0, 1, 2, 3].map((i) => entry(i, (2 ** 32 - 320 + i * 960) >>> 0, i * 20));
    assert.equal(rfc3550Jitter(entries, 48000), 0);
  });

  it('skips duplicates and does not compare packets of different SSRCs', () => {
    const entries = [
      entry(0, 0, 0),
      entry(0, 0, 30, { fate: 'duplicate' }),
      entry(1, 160, 20),
      entry(50, 999999, 40, { ssrc: 8 }),
      entry(51, 999999 + 160, 60, { ssrc: 8 }),
    ];
    assert.equal(rfc3550Jitter(entries, 8000), 0);
    assert.equal(rfc3550Jitter([], 8000), 0);
  });
});

describe('PacketLog', () => {
  it('writes one JSON object per line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-log-test-'));
    try {
      const log = new PacketLog();
      log.add(entry(1, 160, 20.5)).fate = 'played';
      log.add(entry(2, 320, 41, { fate: 'late' }));
      const path = join(dir, 'packets.jsonl');
      await log.writeJsonLines(path);
      assert.equal(
        readFileSync(path, 'utf8'),
        '{"arrivalMs":20.5,"seq":1,"timestamp":160,"ssrc":7,"payloadType":0,"size":160,"fate":"played"}\n' +
          '{"arrivalMs":41,"seq":2,"timestamp":320,"ssrc":7,"payloadType":0,"size":160,"fate":"late"}\n',
      );
      assert.equal(new PacketLog().toJsonLines(), '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
