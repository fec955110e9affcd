import assert from 'node:assert/strict';
import { sweepCsv, sweepPage, sweepSeries, type SweepRow } from '../../src/report/index.js';
import { parseXml } from '../../src/util/index.js';

function row(lossPercent: number, codec: string, seed: number, mosLqo: number | null, error: string | null = null): SweepRow {
  return { lossPercent, meanBurst: 1, codec, seed, direction: 'caller-to-callee', mosLqo, emodelMos: mosLqo && mosLqo - 0.2, measuredLossPercent: lossPercent, delayMs: 60, error };
}

const rows: SweepRow[] = [
  row(0, 'opus', 1, 4.3),
  row(0, 'opus', 2, 4.4),
  row(10, 'opus', 1, 2.0),
  row(10, 'opus', 2, 2.2),
  row(0, 'PCMU', 1, 3.4),
  row(10, 'PCMU', 1, null, 'not connected: timeout'),
];

describe('report/sweep-page', () => {
  it('averages each codec over seeds per loss, keeping every measurement as a sample', () => {
    const [opus, pcmu] = sweepSeries(rows, 'mosLqo');
    assert.equal(opus!.name, 'opus');
    assert.deepEqual(opus!.points, [{ x: 0, y: 4.35 }, { x: 10, y: 2.1 }]);
    assert.equal(opus!.samples!.length, 4);
    assert.deepEqual(pcmu!.points, [{ x: 0, y: 3.4 }], 'a failed call adds no point');
  });

  it('names a line per codec and burst when the bursts differ', () => {
    const names = sweepSeries([row(5, 'opus', 1, 3), { ...row(5, 'opus', 1, 2.5), meanBurst: 3 }], 'mosLqo').map((s) => s.name);
    assert.deepEqual(names, ['opus, burst 1', 'opus, burst 3']);
  });

  it('is one page with both charts and the table, and nothing loaded from elsewhere', () => {
    const html = sweepPage({ rows, facts: [['command', 'earshot sweep --loss 0,10']] });
    assert.match(html, /^<!DOCTYPE html>/);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    assert.equal(svgs.length, 2);
    for (const svg of svgs) assert.equal(parseXml(svg).name, 'svg');
    assert.ok(html.includes('mosLqo') && html.includes('E-model MOS'));
    assert.equal((html.match(/<tr[ >]/g) ?? []).length, rows.length + 1, 'a header row and a row per result');
    assert.ok(html.includes('<tr class="failed">') && html.includes('not connected: timeout'));
    assert.ok(html.includes('earshot sweep --loss 0,10'));
    for (const external of [/<script/i, /<link/i, /\bsrc=/i, /\bhref=/i, /url\(/i, /@import/i]) assert.doesNotMatch(html, external);
  });

  it('escapes a malicious codec name everywhere it appears', () => {
    const evil = '<img src=x onerror=alert(1)>"&';
    const html = sweepPage({ rows: [row(0, evil, 1, 4), row(5, evil, 1, 3)], title: '</title><script>' });
    assert.ok(!html.includes('<img'));
    assert.ok(!html.includes('<script'));
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;'));
    for (const svg of html.match(/<svg[\s\S]*?<\/svg>/g) ?? []) parseXml(svg);
  });

  it('writes CSV with a header, empty cells for missing values and quoted text where needed', () => {
    const csv = sweepCsv([row(10, 'PCMU', 1, null, 'failed, "badly"'), row(0, 'opus', 2, 4.36)]);
    assert.equal(
      csv,
      'loss,burst,codec,seed,direction,mosLqo,emodelMos,measuredLossPct,delayMs,error\n' +
        '10,1,PCMU,1,caller-to-callee,,,10,60,"failed, ""badly"""\n' +
        '0,1,opus,2,caller-to-callee,4.36,4.16,0,60,\n',
    );
  });
});
