import assert from 'node:assert/strict';
import { axisTicks, lineChart, type ChartSeries } from '../../src/report/index.js';
import { parseXml, type Element } from '../../src/util/index.js';

const series: ChartSeries[] = [
  { name: 'opus', points: [{ x: 0, y: 4.36 }, { x: 5, y: 3.1 }, { x: 20, y: 1.9 }], samples: [{ x: 0, y: 4.3 }, { x: 20, y: 1.7 }] },
  { name: 'PCMU <G.711> & "friends"', points: [{ x: 0, y: 3.45 }, { x: 20, y: 1.5 }] },
];

function all(root: Element, name: string): Element[] {
  const found: Element[] = [];
  const walk = (element: Element) => {
    if (element.name === name) found.push(element);
    for (const child of element.getChildElements()) walk(child);
  };
  walk(root);
  return found;
}

function tickLabels(svg: Element, axis: 'x' | 'y'): number[] {
  // y tick labels are right-aligned left of the plot; x tick labels are centred below it.
  return all(svg, 'text')
    .filter((t) => (axis === 'y' ? t.attrs['text-anchor'] === 'end' : t.attrs['text-anchor'] === 'middle' && !t.attrs.transform))
    .map((t) => Number(t.getText()))
    .filter((n) => Number.isFinite(n));
}

describe('report/line-chart', () => {
  it('renders well-formed SVG with one path per series, a legend entry each, and its dots', () => {
    const svg = parseXml(lineChart(series, { xLabel: 'loss (%)', yLabel: 'mosLqo', title: 'quality' }));
    assert.equal(svg.name, 'svg');
    assert.equal(svg.attrs.xmlns, 'http://www.w3.org/2000/svg');
    const paths = all(svg, 'path');
    assert.equal(paths.length, 2);
    assert.match(paths[0]!.attrs.d, /^M[\d.]+ [\d.]+ L[\d.]+ [\d.]+ L[\d.]+ [\d.]+$/);
    assert.equal(all(svg, 'circle').length, 3 + 2 + 2);
    assert.equal(all(svg, 'line').filter((l) => l.attrs.class === 'legend').length, 2);
  });

  it('escapes series names, titles and labels', () => {
    const text = lineChart(series, { xLabel: 'loss <%>', yLabel: 'a & b', title: '<script>alert(1)</script>' });
    assert.ok(!text.includes('<script>'));
    assert.ok(text.includes('PCMU &lt;G.711&gt; &amp; &quot;friends&quot;'));
    const svg = parseXml(text);
    const texts = all(svg, 'text').map((t) => t.getText());
    assert.ok(texts.includes('PCMU <G.711> & "friends"'), 'the legend reads the name as written');
    assert.ok(texts.includes('<script>alert(1)</script>'));
    assert.ok(texts.includes('a & b'));
  });

  it('has axes whose ticks span the data', () => {
    const svg = parseXml(lineChart(series, { xLabel: 'x', yLabel: 'y' }));
    const xs = tickLabels(svg, 'x');
    const ys = tickLabels(svg, 'y');
    assert.ok(Math.min(...xs) <= 0 && Math.max(...xs) >= 20, `x ticks ${xs}`);
    assert.ok(Math.min(...ys) <= 1.5 && Math.max(...ys) >= 4.36, `y ticks ${ys}`);
    assert.ok(xs.length >= 3 && ys.length >= 3);
  });

  it('places points inside the plot: higher values higher up, larger x further right', () => {
    const svg = parseXml(lineChart([{ name: 's', points: [{ x: 0, y: 1 }, { x: 10, y: 4 }] }], { xLabel: 'x', yLabel: 'y', width: 400, height: 300 }));
    const [first, second] = all(svg, 'circle').map((c) => ({ x: Number(c.attrs.cx), y: Number(c.attrs.cy) }));
    assert.ok(second!.x > first!.x && second!.y < first!.y);
    for (const p of [first!, second!]) assert.ok(p.x > 0 && p.x < 400 && p.y > 0 && p.y < 300);
  });

  it('keeps a fixed domain and says when there is no data', () => {
    const text = lineChart([{ name: 'empty', points: [] }], { xLabel: 'x', yLabel: 'y', yDomain: [1, 5] });
    const svg = parseXml(text);
    assert.ok(all(svg, 'text').some((t) => t.getText() === 'no data'));
    assert.deepEqual(tickLabels(svg, 'y'), [1, 2, 3, 4, 5]);
  });

  it('picks round ticks enclosing the range', () => {
    assert.deepEqual(axisTicks([0, 20]), [0, 5, 10, 15, 20]);
    assert.deepEqual(axisTicks([1.46, 4.36]), [1, 2, 3, 4, 5]);
    assert.deepEqual(axisTicks([0.12, 0.31]), [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
    assert.deepEqual(axisTicks([3, 3]), [2.6, 2.8, 3, 3.2, 3.4]);
    assert.throws(() => axisTicks([0, Number.NaN]), /not finite/);
  });
});
