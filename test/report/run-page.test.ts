import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import type { CallReport } from '../../src/call/result.js';
import { loadReference } from '../../src/call/reference-audio.js';
import { runSelftest } from '../../src/cli/selftest.js';
import { labAccountConfig } from '../../src/lab/index.js';
import { indexedPng } from '../../src/report/indexed-png.js';
import { writeRunPage } from '../../src/report/run-page.js';
import { setupPhases } from '../../src/report/signalling-timeline.js';
import { SPECTROGRAM_PALETTE, paletteIndex, spectrogramGrid } from '../../src/report/spectrogram.js';
import { envelope } from '../../src/report/waveform.js';
import type { RunCallResult, RunReport } from '../../src/scenario/run-report.js';
import { chromiumMissing, dumpDom, screenshot } from '../helpers/chromium.js';
import { sharedLab } from '../helpers/lab.js';

describe('report/run-page figures', () => {
  it('draws each pixel column as the extremes of its samples, and nothing where there are none', () => {
    const samples = Float32Array.from([0.1, -0.2, 0.5, 0.3, -0.4, 0]);
    const { min, max, covered } = envelope({ samples, sampleRate: 2, startS: 1 }, [0, 4], 4);
    assert.deepEqual([...covered], [0, 1, 1, 1]);
    assert.deepEqual([...max].map((v) => Number(v.toFixed(2))), [0, 0.1, 0.5, 0]);
    assert.deepEqual([...min].map((v) => Number(v.toFixed(2))), [0, -0.2, 0.3, -0.4]);
  });

  it('puts a 1 kHz tone at -6 dBFS in the row of 1 kHz, at -6 dB', () => {
    const rate = 16_000;
    const tone = Float32Array.from({ length: rate }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / rate));
    const grid = spectrogramGrid(tone, rate, { span: [0, 1], columns: 10, rows: 80 });
    const column = 5;
    const row = Array.from({ length: grid.rows }, (_, r) => grid.levels[r * grid.columns + column]!);
    const loudest = row.indexOf(Math.max(...row));
    assert.equal(loudest, 10, '100 Hz per row: 1 kHz is row 10');
    assert.ok(Math.abs(row[loudest]! + 6) < 0.5, `level ${row[loudest]} dBFS`);
    assert.equal(paletteIndex(-6, { top: 0, rangeDb: 80 }), 29, "74 dB above the floor of 80: 0.925 of 31 steps");
    assert.equal(paletteIndex(-Infinity, { top: 0, rangeDb: 80 }), 0);
  });

  it('writes indexed PNGs that a decoder reads back as the palette colours', () => {
    const pixels = Uint8Array.from([0, 31, 16, 5, 0, 31]);
    const decoded = PNG.sync.read(indexedPng({ width: 3, height: 2, pixels, palette: SPECTROGRAM_PALETTE }));
    assert.equal(decoded.width, 3);
    assert.equal(decoded.height, 2);
    const colours = Array.from({ length: 6 }, (_, i) => [...decoded.data.subarray(i * 4, i * 4 + 3)]);
    assert.deepEqual(colours, [...pixels].map((index) => [...SPECTROGRAM_PALETTE[index]!]));
    assert.deepEqual(colours[0], [0, 0, 4], 'quietest: near black');
    assert.throws(() => indexedPng({ width: 2, height: 2, pixels, palette: SPECTROGRAM_PALETTE }), /6 pixels for a 2 x 2 image/);
  });

  it('cuts the setup at proceed, session-accept, media connected and first media', () => {
    const phases = setupPhases([
      { atMs: 1, event: 'propose sent' },
      { atMs: 4, event: 'ringing' },
      { atMs: 5, event: 'proceed received' },
      { atMs: 39, event: 'session-initiate sent' },
      { atMs: 84, event: 'session-accept received' },
      { atMs: 258, event: 'media connected' },
      { atMs: 268, event: 'first media received' },
      { atMs: 3264, event: 'session-terminate sent' },
    ]);
    assert.deepEqual(
      phases.map((p) => [p.name, p.toMs - p.fromMs]),
      [
        ['JMI propose/proceed', 5],
        ['offer/answer', 79],
        ['ICE + DTLS', 174],
        ['first RTP', 10],
      ],
    );
  });
});

interface Probe {
  verdict: string;
  runLinks: Array<{ text: string; href: string }>;
  sections: Array<{
    id: string;
    text: string;
    directions: string[];
    waveforms: Size[];
    spectrograms: Array<Size & { naturalWidth: number; naturalHeight: number }>;
    timeline: string[];
    links: Array<{ text: string; href: string }>;
  }>;
}

interface Size {
  width: number;
  height: number;
}

/** Run in the page: what is on screen, per call, written into the DOM as JSON for --dump-dom to return. */
const PROBE = `<script>
(async () => {
  const size = (element) => { const r = element.getBoundingClientRect(); return { width: r.width, height: r.height }; };
  const sections = [];
  for (const section of document.querySelectorAll('section.call')) {
    const spectrograms = [];
    for (const image of section.querySelectorAll('image.spectrogram')) {
      // A load (unlike decode()) holds Chromium's virtual time, so --dump-dom waits for it.
      const decoded = await new Promise((resolve) => {
        const loaded = new Image();
        loaded.onload = loaded.onerror = () => resolve(loaded);
        loaded.src = image.getAttribute('href');
      });
      spectrograms.push({ ...size(image), naturalWidth: decoded.naturalWidth, naturalHeight: decoded.naturalHeight });
    }
    sections.push({
      id: section.id,
      text: section.innerText,
      directions: [...section.querySelectorAll('.direction h3')].map((h) => h.innerText),
      waveforms: [...section.querySelectorAll('svg.waveform')].map(size),
      spectrograms,
      timeline: [...section.querySelectorAll('table.timeline tbody tr')].map((row) => row.cells[2].innerText),
      links: [...section.querySelectorAll('a[href]')].map((a) => ({ text: a.innerText, href: a.href })),
    });
  }
  const probe = document.createElement('pre');
  probe.id = 'probe';
  const runLinks = [...document.querySelectorAll('body > .facts a')].map((a) => ({ text: a.innerText, href: a.href }));
  probe.textContent = JSON.stringify({ verdict: document.getElementById('run-verdict').innerText, runLinks, sections });
  document.body.append(probe);
})();
</script>`;

describe('report/run-page in Chromium', function () {
  this.timeout(90_000);
  let root: string;
  let call: CallReport;
  let pagePath: string;
  let renderMs: number;

  before(async function () {
    const missing = chromiumMissing();
    if (missing) {
      console.warn(`      skipped: ${missing}`);
      this.skip();
    }
    root = mkdtempSync(join(tmpdir(), 'earshot-run-page-'));
    const outDir = join(root, 'out');
    const lab = await sharedLab();
    const measured = await runSelftest({
      reference: await loadReference(),
      durationS: 3,
      outDir: join(outDir, 'call-1'),
      accounts: [labAccountConfig(lab.info, 'alice'), labAccountConfig(lab.info, 'bob')],
    });
    // As the runner writes it: the files the call made, relative to the run's output folder.
    const inOutDir = (path: string | null) => path && relative(outDir, path);
    call = { ...measured, directions: measured.directions.map((d) => ({ ...d, recording: inOutDir(d.recording), packetLog: inOutDir(d.packetLog) })) };
    writeFileSync(join(outDir, 'broken.wav'), 'this is not audio');
    writeFileSync(join(outDir, 'alice.stanzas.log'), '<presence/>\n');

    const mosLqo = worstMosLqo(call);
    const answered: RunCallResult = {
      name: 'alice-calls-bob',
      script: 'alice-calls-bob',
      repeat: 1,
      caller: 'alice',
      callee: 'bob',
      startedAt: Date.now() - 8000,
      elapsedMs: 6500,
      report: call,
      error: null,
      steps: [
        { step: 'call', side: 'caller', atMs: 0, ok: true },
        { step: 'answer', side: 'callee', atMs: 5, ok: true },
        { step: 'hangup', side: 'caller', atMs: 3260, ok: true },
      ],
      expectations: [
        { name: 'mosLqo', expected: '>= 3', actual: mosLqo, passed: true, message: `mosLqo: ${mosLqo} meets >= 3` },
        { name: 'setupMs', expected: '< 1', actual: call.setupMs, passed: false, message: `setupMs: ${call.setupMs} fails < 1` },
      ],
      passed: false,
      files: {},
    };
    const report: RunReport = {
      scenario: 'page-test',
      description: 'a real call, a call that never started, and a call whose files are gone',
      file: 'samples/page-test.yaml',
      startedAt: new Date().toISOString(),
      durationMs: 9000,
      outDir,
      passed: false,
      stanzaLogs: { alice: 'alice.stanzas.log' },
      calls: [
        answered,
        {
          ...answered,
          name: 'carol-calls-dave',
          report: null,
          error: 'carol: login failed: not-authorized',
          steps: [{ step: 'connect', side: 'caller', atMs: 12, ok: false, detail: 'SASL not-authorized' }],
          expectations: [{ name: 'mosLqo', expected: '>= 3', actual: null, passed: false, message: 'mosLqo: not measured, expected >= 3' }],
        },
        {
          ...answered,
          name: 'files-gone',
          report: { ...call, directions: [{ ...call.directions[0]!, recording: 'call-1/gone.wav' }, { ...call.directions[1]!, recording: 'broken.wav' }] },
          files: { pcap: 'files-gone.pcap' },
        },
      ],
    };
    const started = performance.now();
    pagePath = await writeRunPage(report, join(root, 'html'));
    renderMs = performance.now() - started;
  });

  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('shows the verdicts, scores, figures, timeline and working links of each call', async () => {
    assert.equal(pagePath, join(root, 'html', 'index.html'));
    const html = readFileSync(pagePath, 'utf8');
    assert.doesNotMatch(html, /(src|href)="https?:/, 'nothing fetched from elsewhere');
    const probePath = join(root, 'html', 'probe.html');
    writeFileSync(probePath, html.replace('</body>', `${PROBE}</body>`));
    const probe = readProbe(await dumpDom(probePath));

    assert.match(probe.verdict, /^FAILED\b.*0 of 3 calls passed; 2 of 5 expectations held/);
    assert.deepEqual(probe.runLinks.map((link) => [link.text, fileURLToPath(link.href)]), [['alice', join(root, 'out', 'alice.stanzas.log')]]);
    const [answered, neverStarted, filesGone] = probe.sections;

    assert.match(answered!.text, new RegExp(`setupMs\\s+< 1\\s+${call.setupMs}\\s+FAIL`), 'the failing expectation with its figures');
    assert.match(answered!.text, /mosLqo\s+>= 3\s+[\d.]+\s+pass/);
    const directionNames = call.directions.map((d) => `${d.from.split('@')[0]} → ${d.to.split('@')[0]}`);
    assert.deepEqual(
      answered!.directions,
      call.directions.map((d, i) => `${directionNames[i]}: mosLqo ${(d.quality as { mosLqo: number }).mosLqo.toFixed(2)}`),
    );
    assert.equal(answered!.waveforms.length, 2);
    assert.equal(answered!.spectrograms.length, 4, 'reference and recording for each direction');
    for (const figure of [...answered!.waveforms, ...answered!.spectrograms]) assert.ok(figure.width > 100 && figure.height > 50, JSON.stringify(figure));
    for (const image of answered!.spectrograms) assert.ok(image.naturalWidth > 100 && image.naturalHeight > 50, `spectrogram PNG decoded: ${JSON.stringify(image)}`);

    const order = ['propose sent', 'ringing', 'session-initiate sent', 'session-accept received', 'media connected', 'first media received', 'session-terminate sent'];
    const positions = order.map((event) => answered!.timeline.indexOf(event));
    assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)), `timeline ${answered!.timeline.join(', ')}`);

    assert.deepEqual(answered!.links.map((link) => link.text), ['reference', 'recording', 'packet log', 'reference', 'recording', 'packet log']);
    for (const link of answered!.links) assert.ok(existsSync(fileURLToPath(link.href)), `${link.text} -> ${link.href}`);
    assert.ok(answered!.links.some((link) => fileURLToPath(link.href) === join(root, 'out', 'call-1', 'bob-heard.wav')));

    assert.match(neverStarted!.text, /Error: carol: login failed: not-authorized/);
    assert.match(neverStarted!.text, /connect\s+caller\s+FAILED\s+SASL not-authorized/);
    assert.match(neverStarted!.text, /mosLqo\s+>= 3\s+not measured\s+FAIL/);

    assert.match(filesGone!.text, /recording \(as heard\): .*gone\.wav: no such file/);
    assert.match(filesGone!.text, /recording \(as heard\): .*broken\.wav: not a WAV file/);
    assert.match(filesGone!.text, /pcap: missing/);
    assert.equal(filesGone!.spectrograms.length, 2, 'the references are still shown');
  });

  it('renders a screenshot with the plots, at a size fit for a 20-call run', async () => {
    const png = '/tmp/earshot-run-page.png';
    rmSync(png, { force: true });
    await screenshot(pagePath, png);
    const image = PNG.sync.read(readFileSync(png));
    assert.equal(image.width, 1280);
    assert.ok(darkShare(image) > 0.02, 'spectrograms (dark) are on the page');
    const bytes = statSync(pagePath).size;
    assert.ok(bytes < 500_000, `page of 3 calls is ${bytes} bytes`);
    assert.ok(renderMs < 10_000, `rendered in ${renderMs} ms`);
  });
});

function worstMosLqo(report: CallReport): number {
  return Math.min(...report.directions.map((d) => (d.quality && 'mosLqo' in d.quality ? d.quality.mosLqo : 0)));
}

function readProbe(dom: string): Probe {
  const match = /<pre id="probe">([\s\S]*?)<\/pre>/.exec(dom);
  if (!match) throw new Error(`the probe did not run; page starts: ${dom.slice(0, 300)}`);
  const json = match[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&nbsp;/g, '\u00a0').replace(/&amp;/g, '&');
  return JSON.parse(json) as Probe;
}

function darkShare(image: PNG): number {
  let dark = 0;
  for (let i = 0; i < image.data.length; i += 4) if (image.data[i]! + image.data[i + 1]! + image.data[i + 2]! < 90) dark++;
  return dark / (image.width * image.height);
}
