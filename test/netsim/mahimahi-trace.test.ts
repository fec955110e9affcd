import assert from 'node:assert/strict';
import { parseMahimahiTrace } from '../../src/netsim/mahimahi-trace.js';

describe('parseMahimahiTrace', () => {
  it('reads one opportunity per line, repeats allowed, the period being the last timestamp', () => {
    assert.deepEqual(parseMahimahiTrace('0\n4\n4\n4\n17\r\n30\n\n'), { deliveriesMs: [0, 4, 4, 4, 17, 30], periodMs: 30 });
  });

  it('names the line of a bad timestamp', () => {
    assert.throws(() => parseMahimahiTrace('1\n2\n2.5\n'), /line 3: "2\.5" is not a whole number of milliseconds/);
    assert.throws(() => parseMahimahiTrace('1\n\nabc\n'), /line 3: "abc"/);
    assert.throws(() => parseMahimahiTrace('5\n9\n7\n'), /line 3: 7 is earlier than the line before \(9\)/);
  });

  it('refuses an empty trace and a zero period', () => {
    assert.throws(() => parseMahimahiTrace('\n\n'), /no delivery opportunities/);
    assert.throws(() => parseMahimahiTrace('0\n0\n'), /last timestamp \(the loop period\) must be above 0/);
  });
});
