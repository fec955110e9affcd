// `earshot score` as a user runs it: the JSON contract, verdicts for what cannot be scored, errors for non-audio.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WavWriter, loadMono } from '../../src/media/index.js';
import { speechPath } from '../helpers/signal.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const earshot = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('earshot score', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'earshot-score-'));

  function writeWav(name: string, samples: Float32Array, rate: number): string {
    const path = join(dir, name);
    const writer = new WavWriter(path, rate);
    writer.write(samples);
    writer.close();
    return path;
  }

  it('prints the JSON contract for a delayed, quieter copy at another rate', async () => {
    const speech = await loadMono(speechPath, 8000);
    const late = new Float32Array(speech.length + 1200);
    late.set(speech.map((v) => v * 0.5), 1200); // 150 ms at 8 kHz
    const result = earshot('score', speechPath, writeWav('late.wav', late, 8000), '--json');
    assert.equal(result.status, 0, result.stderr);
    const score = JSON.parse(result.stdout);
    for (const key of ['mosLqo', 'delayMs', 'visqol', 'stoi', 'segSnrDb', 'windows']) assert.ok(key in score, `no ${key}`);
    assert.deepEqual(Object.keys(score.visqol).sort(), ['mos', 'nsim']);
    assert.ok(Math.abs(score.delayMs - 150) <= 2, `delay ${score.delayMs}`);
    assert.ok(score.windows.length >= 5 && 'startS' in score.windows[0] && 'mosLqo' in score.windows[0]);
    assert.ok(score.mosLqo > 3 && score.mosLqo < 4.2, `narrowband copy scored ${score.mosLqo}`);
  });

  it('gives a "no speech" verdict for a silent reference, with exit code 2', () => {
    const silent = writeWav('silent.wav', new Float32Array(16000 * 3), 16000);
    const result = earshot('score', silent, speechPath, '--json');
    assert.equal(result.status, 2);
    assert.equal(JSON.parse(result.stdout).verdict, 'no-speech');
  });

  it('says which file is not audio', () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not audio at all');
    const result = earshot('score', speechPath, text);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /notes\.txt/);
  });
});
