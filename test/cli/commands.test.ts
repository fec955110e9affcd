// The commands as a user runs them, as separate processes: bad input fails before any call, a peer that
// vanishes mid-call ends the call in bounded time, and Ctrl-C leaves finalized recordings.
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/index.js';
import { readAudio } from '../../src/media/index.js';
import { loadReference } from '../../src/cli/media-options.js';
import { sharedLab } from '../helpers/lab.js';
import { labEndpoints } from '../helpers/lab-endpoints.js';
import { CLI, earshot, waitFor } from '../helpers/earshot-process.js';

describe('earshot commands as processes', function () {
  this.timeout(30_000);
  const out = mkdtempSync(join(tmpdir(), 'earshot-cli-'));
  let lab: Lab;
  before(async () => {
    lab = await sharedLab();
  });
  const endpoints = labEndpoints('carol');

  it('refuses a missing --play file before placing any call', async () => {
    const run = earshot(['call', 'dave', '--as', 'carol', '--play', join(out, 'nope.wav')], lab);
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), /nope\.wav: no such file/);
    assert.doesNotMatch(run.stderr(), /calling/);
  });

  it('refuses a --play file that is not audio', async () => {
    const run = earshot(['call', 'dave', '--as', 'carol', '--play', CLI], lab);
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), /main\.js/);
  });

  it('ends a call within a bounded time when the peer vanishes, with a reason and a valid recording', async () => {
    const answering = earshot(['answer', '--as', 'dave', '--allow', 'carol'], lab);
    await waitFor(() => answering.stderr().includes('answers calls'), 10_000, 'the answering bot');
    const reference = await loadReference();
    const recordPath = join(out, 'vanished.wav');
    const call = await endpoints.carol.call('dave@localhost', { play: reference, loop: true, recordPath, mediaTimeoutMs: 2000 });
    await call.onConnected.next();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    answering.child.kill('SIGKILL');
    const killedAt = performance.now();
    const leg = await call.ended;
    const tookMs = performance.now() - killedAt;
    assert.equal(leg.end.condition, 'connectivity-error');
    assert.match(leg.end.text ?? '', /no media/);
    assert.ok(tookMs < 4000, `took ${tookMs} ms to notice`);
    const recording = await readAudio(recordPath);
    assert.ok(recording.samples[0].length / recording.sampleRate > 0.8, 'the recording made before the peer vanished is kept');
  });

  it('hangs up on Ctrl-C with finalized recordings', async () => {
    const recordPath = join(out, 'interrupted.wav');
    const answering = earshot(['answer', '--as', 'dave', '--allow', 'carol', '--record', recordPath], lab);
    await waitFor(() => answering.stderr().includes('answers calls'), 10_000, 'the answering bot');
    const reference = await loadReference();
    const call = await endpoints.carol.call('dave@localhost', { play: reference, loop: true });
    await call.onConnected.next();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    answering.child.kill('SIGINT');
    const leg = await call.ended;
    assert.equal(await answering.exited, 0);
    assert.equal(leg.end.by, 'remote');
    assert.ok(existsSync(recordPath));
    const recording = await readAudio(recordPath);
    const seconds = recording.samples[0].length / recording.sampleRate;
    assert.ok(seconds > 1 && seconds < 3, `recorded ${seconds} s`);
    assert.match(answering.stdout(), /carol@localhost -> dave@localhost: sent \?, received \d+/);
  });

  it('demo: the same call clean and through a 3G profile, side by side', async () => {
    const run = earshot(['demo', '--duration', '2', '--profile', '3g-lossy', '--out', out], lab);
    assert.equal(await run.exited, 0, run.stderr());
    const table = run.stdout().slice(run.stdout().lastIndexOf('clean   3g-lossy') - 40);
    assert.match(table, /clean\s+3g-lossy/);
    const delays = [...table.matchAll(/mouth-to-ear delay\s+(\d+) ms\s+(\d+) ms/g)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.equal(delays.length, 2, table);
    for (const [clean, lossy] of delays) assert.ok(lossy > clean + 150, `3g-lossy adds its 200 ms: ${clean} vs ${lossy} ms`);
    assert.match(run.stdout(), /result: .*result\.json/);
  });
});
