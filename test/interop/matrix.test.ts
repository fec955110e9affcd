// The interop matrix: which cells a set of options asks for, how a call's outcome becomes a cell, the report page,
// and a subset of real cells through the lab: earshot and StanzaJS + libwebrtc calling each other through Prosody,
// one call through ejabberd, one relayed through the lab's coturn, one over IPv6.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadReference, type ReferenceAudio } from '../../src/call/index.js';
import { isEjabberdInstalled } from '../../src/lab/ejabberd.js';
import { judgeCell, matrixCells, matrixJson, notRunCell, parseList, PEER_KINDS, type CellSpec, type InteropCell } from '../../src/interop/matrix.js';
import { matrixPage } from '../../src/interop/matrix-page.js';
import { reversedReference, runCell, type CellContext } from '../../src/interop/run-cell.js';
import { InteropServers } from '../../src/interop/servers.js';
import { sharedLab } from '../helpers/lab.js';

describe('interop matrix: the cells to run', () => {
  it('pairs every caller with every callee that has earshot on one end, per server, IP version and TURN mode', () => {
    const cells = matrixCells({ peers: ['earshot', 'stanzajs', 'dino'], servers: ['prosody', 'ejabberd'], turn: 'both', ip: [4] });
    const names = cells.map((cell) => `${cell.server} ${cell.turn ? 'turn' : 'direct'} v${cell.ip} ${cell.caller}->${cell.callee}`);
    assert.deepEqual(names.slice(0, 8), [
      'prosody direct v4 earshot->earshot',
      'prosody direct v4 earshot->stanzajs',
      'prosody direct v4 earshot->dino',
      'prosody direct v4 stanzajs->earshot',
      'prosody turn v4 earshot->earshot',
      'prosody turn v4 earshot->stanzajs',
      'prosody turn v4 earshot->dino',
      'prosody turn v4 stanzajs->earshot',
    ]);
    assert.equal(cells.length, 16);
    assert.ok(!cells.some((cell) => cell.caller === 'dino'), 'Dino only answers');
  });

  it('adds stanzajs -> stanzajs only when asked for peer-to-peer calls', () => {
    const options = { peers: ['earshot', 'stanzajs'] as const, servers: ['prosody'] as const, turn: 'off' as const, ip: [4, 6] as const };
    assert.equal(matrixCells(options).length, 6);
    const withPeers = matrixCells({ ...options, peerToPeer: true });
    assert.equal(withPeers.length, 8);
    assert.ok(withPeers.some((cell) => cell.caller === 'stanzajs' && cell.callee === 'stanzajs' && cell.ip === 6));
  });

  it('refuses options that give nothing to run, and unknown list entries, with the reason', () => {
    assert.throws(() => matrixCells({ peers: ['dino'], servers: ['prosody'], turn: 'off', ip: [4] }), /needs earshot/);
    assert.throws(() => matrixCells({ peers: ['earshot'], servers: [], turn: 'off', ip: [4] }), /at least one server/);
    assert.throws(() => parseList('earshot,pidgin', PEER_KINDS, '--peers'), /--peers: unknown "pidgin" \(choose from earshot, stanzajs, dino, gajim\)/);
    assert.deepEqual(parseList(' stanzajs ,earshot,stanzajs', PEER_KINDS, '--peers'), ['stanzajs', 'earshot']);
  });
});

describe('interop matrix: a cell from a call', () => {
  const spec: CellSpec = { caller: 'earshot', callee: 'stanzajs', server: 'prosody', turn: false, ip: 4 };
  const media = { signalling: [], selectedPair: null, encrypted: true, codec: 'opus/48000', notes: [] };

  it('is ok with the worse direction as its mosLqo when both directions carried speech', () => {
    const cell = judgeCell(spec, {
      directions: [
        { from: 'earshot', to: 'stanzajs', mosLqo: 3.6, stoi: 0.95, problem: null },
        { from: 'stanzajs', to: 'earshot', mosLqo: 4.1, stoi: 0.97, problem: null },
      ],
      media,
      failure: null,
      durationMs: 6000,
    });
    assert.deepEqual({ ok: cell.ok, mosLqo: cell.mosLqo, reason: cell.reason }, { ok: true, mosLqo: 3.6, reason: null });
  });

  it('fails with the one-way direction named when one side heard (almost) nothing', () => {
    const cell = judgeCell(spec, {
      directions: [
        { from: 'earshot', to: 'stanzajs', mosLqo: 1.05, stoi: 0.12, problem: null },
        { from: 'stanzajs', to: 'earshot', mosLqo: 4.1, stoi: 0.97, problem: null },
      ],
      media,
      failure: null,
      durationMs: 6000,
    });
    assert.equal(cell.ok, false);
    assert.equal(cell.reason, 'earshot -> stanzajs: no intelligible speech heard (STOI 0.12 below 0.5, mosLqo 1.05)');
  });

  it('keeps what stopped the call as the reason, and the JSON carries the contract fields', () => {
    const cell = judgeCell(spec, { directions: [], media: null, failure: 'call to dave@localhost/x ended before it was accepted: decline', durationMs: 900 });
    const json = matrixJson({ cells: [cell] }).cells[0]!;
    assert.deepEqual(
      { caller: json.caller, callee: json.callee, server: json.server, turn: json.turn, ip: json.ip, ok: json.ok, mosLqo: json.mosLqo, reason: json.reason },
      { caller: 'earshot', callee: 'stanzajs', server: 'prosody', turn: false, ip: 4, ok: false, mosLqo: null, reason: 'call to dave@localhost/x ended before it was accepted: decline' },
    );
  });
});

describe('interop matrix: the report page', () => {
  const ok: InteropCell = {
    ...{ caller: 'earshot', callee: 'stanzajs', server: 'prosody', turn: false, ip: 4 },
    ...{ ok: true, mosLqo: 3.612, reason: null, run: true, directions: [], durationMs: 6000 },
    media: { signalling: [], selectedPair: 'stanzajs host 127.0.0.1 <-> host 127.0.0.1', encrypted: true, codec: 'opus/48000', notes: [] },
  };
  const failed: InteropCell = {
    ...ok,
    caller: 'stanzajs',
    callee: 'earshot',
    ok: false,
    mosLqo: null,
    reason: 'session-initiate refused: <feature-not-implemented/>',
    media: { ...ok.media!, encrypted: false },
  };
  const notRun = notRunCell({ caller: 'earshot', callee: 'dino', server: 'prosody', turn: true, ip: 6 }, "the lab's coturn listens on 127.0.0.1 only");

  it('draws one grid per variant, callers as rows and callees as columns, green with mosLqo, red with the escaped reason', () => {
    const html = matrixPage({ matrix: { cells: [ok, failed, notRun] } });
    assert.match(html, /<h2>prosody, no TURN, IPv4<\/h2>/);
    assert.match(html, /<h2>prosody, with TURN, IPv6<\/h2>/);
    assert.match(html, /<tr><th>caller \\ callee<\/th><th>stanzajs<\/th><th>earshot<\/th><\/tr>/);
    assert.match(html, /<tr><th>earshot<\/th><td class="ok"><span class="mos">3\.61<\/span>/);
    assert.match(html, /<tr><th>stanzajs<\/th><td class="none"><\/td><td class="failed"><span class="unencrypted">unencrypted<\/span><div class="reason">session-initiate refused: &lt;feature-not-implemented\/&gt;<\/div>/);
    assert.match(html, /<td class="not-run"><div class="reason">not run: the lab&#39;s coturn listens on 127\.0\.0\.1 only<\/div><\/td>/);
    assert.match(html, /3 cells: 1 ok, 1 failed, 1 not run/);
    assert.ok(!html.includes('<script'));
  });
});

describe('interop matrix: cells through the lab', function () {
  this.timeout(90_000);
  const DURATION_MS = 4000;
  let dir: string;
  let servers: InteropServers;
  let context: CellContext;
  let reference: ReferenceAudio;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'earshot-interop-matrix-'));
    reference = await loadReference();
    servers = await InteropServers.start({ dir, servers: isEjabberdInstalled() ? ['prosody', 'ejabberd'] : ['prosody'], ipv6: false, lab: await sharedLab() });
    context = { servers, reference, peerReference: reversedReference(reference, join(dir, 'reversed.wav')), durationMs: DURATION_MS, workDir: dir };
  });

  after(async () => {
    await servers?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [caller, callee] of [['earshot', 'stanzajs'], ['stanzajs', 'earshot']] as const) {
    it(`${caller} calls ${callee} through Prosody: ok, speech both ways, DTLS-SRTP with Opus`, async () => {
      const cell = await runCell({ caller, callee, server: 'prosody', turn: false, ip: 4 }, context);
      const summary = JSON.stringify(cell);
      assert.equal(cell.ok, true, summary);
      // Measured on 2 loaded cores: libwebrtc -> earshot 4.06-4.15 every time, against 1.0-1.1 for silence. earshot
      // -> libwebrtc scored 2.2-3.7 while earshot's speech started on the peer's first packet, when libwebrtc's NetEq
      // still time-stretches to reach its 80 ms start-up target and back down (1.2 when earshot's event loop stalls).
      const fromStanzaJs = cell.directions.find((direction) => direction.from === 'stanzajs')!;
      assert.ok(fromStanzaJs.mosLqo !== null && fromStanzaJs.mosLqo > 2.5, summary);
      // With earshot's 1 s lead-in, libwebrtc's jitter buffer has settled before the speech: 4.35 in four runs.
      const fromEarshot = cell.directions.find((direction) => direction.from === 'earshot')!;
      assert.ok(fromEarshot.mosLqo !== null && fromEarshot.mosLqo >= 3.5, summary);
      assert.deepEqual(cell.directions.map((direction) => `${direction.from}->${direction.to}`), [`${caller}->${callee}`, `${callee}->${caller}`]);
      assert.equal(cell.media?.encrypted, true);
      assert.equal(cell.media?.codec, 'opus/48000');
    });
  }

  it('earshot calls StanzaJS through ejabberd', async function () {
    if (!isEjabberdInstalled()) this.skip();
    const cell = await runCell({ caller: 'earshot', callee: 'stanzajs', server: 'ejabberd', turn: false, ip: 4 }, context);
    assert.equal(cell.ok, true, JSON.stringify(cell));
    assert.match(cell.media!.signalling.join(' '), /stanzajs: ws:\/\/127\.0\.0\.1:\d+/);
  });

  it('StanzaJS calls earshot relayed through the lab coturn: libwebrtc selected its relay candidate', async () => {
    const cell = await runCell({ caller: 'stanzajs', callee: 'earshot', server: 'prosody', turn: true, ip: 4 }, context);
    assert.equal(cell.ok, true, JSON.stringify(cell));
    assert.equal(cell.directions.length, 2);
    assert.match(cell.media!.selectedPair ?? '', /^stanzajs relay 127\.0\.0\.1 <-> \S+ \S+; earshot relay 127\.0\.0\.1 <-> /);
    assert.ok(cell.media!.notes.some((note) => /earshot: relay only \(forceRelay\), TURN from XEP-0215, [1-9]\d* relay candidate/.test(note)), cell.media!.notes.join('; '));
  });

  it('marks an IPv6 cell and a Dino cell "not run" with the reason when they cannot run here', async () => {
    const ipv6 = await runCell({ caller: 'earshot', callee: 'stanzajs', server: 'prosody', turn: false, ip: 6 }, context);
    assert.deepEqual({ run: ipv6.run, ok: ipv6.ok, reason: ipv6.reason }, { run: false, ok: false, reason: 'not run: prosody does not listen on ::1 in this run' });
    const dino = await runCell({ caller: 'earshot', callee: 'dino', server: 'prosody', turn: false, ip: 4 }, context);
    assert.equal(dino.reason, 'not run: no dino peer is wired into this run');
    const wired = { ...context, externalPeers: { gajim: () => Promise.reject(new Error('not to be started')) } };
    const gajimTurn = await runCell({ caller: 'earshot', callee: 'gajim', server: 'prosody', turn: true, ip: 4 }, wired);
    assert.equal(gajimTurn.reason, 'not run: gajim runs in a network namespace with one IPv4 link that reaches the XMPP server only (no route to the TURN server)');
  });
});

describe('interop matrix: a cell over IPv6', function () {
  this.timeout(90_000);
  let dir: string;
  let servers: InteropServers;
  let context: CellContext;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'earshot-interop-ipv6-'));
    const reference = await loadReference();
    // A lab of its own: the shared one does not listen on ::1.
    servers = await InteropServers.start({ dir, servers: ['prosody'], ipv6: true });
    context = { servers, reference, peerReference: reversedReference(reference, join(dir, 'reversed.wav')), durationMs: 4000, workDir: dir };
  });

  after(async () => {
    await servers?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('earshot calls StanzaJS over ::1: both ends selected an IPv6 pair, speech both ways', async function () {
    const prosody = servers.get('prosody');
    if (typeof prosody === 'string' || !prosody.ipv6) this.skip(); // no ::1 on this machine
    const cell = await runCell({ caller: 'earshot', callee: 'stanzajs', server: 'prosody', turn: false, ip: 6 }, context);
    assert.equal(cell.ok, true, JSON.stringify(cell));
    // libwebrtc may send from a routable IPv6 address of the machine towards earshot's ::1 (earshot sees it as prflx).
    const ipv6 = '[0-9a-f:]*:[0-9a-f:]*';
    assert.match(cell.media?.selectedPair ?? '', new RegExp(`^stanzajs host ${ipv6} <-> host ::1; earshot host ::1 <-> (host|prflx) ${ipv6}$`));
    assert.match(cell.media!.signalling.join(' '), /earshot: c2s \[::1\]:\d+/);
    assert.ok(cell.media!.notes.includes('earshot: XMPP over ::1, media candidates ::1 only (ipv6 only)'), cell.media!.notes.join('; '));
  });
});
