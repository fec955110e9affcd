import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';
import { AudioFileError, decodeWav, finalizeOnExit, loadMono, readAudio, WavWriter } from '../../src/media/wav.js';
import { sine, speechPath } from '../helpers/signal.js';

const wavModule = fileURLToPath(new URL('../../src/media/wav.js', import.meta.url));

function wavBytes(channels: number, rate: number, bitDepth: string, samples: number[][]): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels, rate, bitDepth, channels === 1 ? samples[0] : samples);
  return wav.toBuffer();
}

function hasFfmpeg(): boolean {
  return spawnSync('ffmpeg', ['-version']).status === 0;
}

describe('WAV reading', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'earshot-wav-test-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the reference speech', async () => {
    const audio = await readAudio(speechPath);
    assert.equal(audio.sampleRate, 16000);
    assert.equal(audio.channels, 1);
    assert.equal(audio.samples[0].length, 164166);
  });

  it('normalizes every PCM, float and companded format to [-1, 1]', () => {
    const cases: Array<[string, number[][], number[][]]> = [
      ['8', [[255, 0], [128, 192]], [[127 / 128, -1], [0, 0.5]]],
      ['16', [[16384, -32768], [0, 1]], [[0.5, -1], [0, 1 / 32768]]],
      ['24', [[4194304, -8388608], [0, 0]], [[0.5, -1], [0, 0]]],
      ['32', [[1073741824, -2147483648], [0, 0]], [[0.5, -1], [0, 0]]],
      ['32f', [[0.25, -0.75], [1, 0]], [[0.25, -0.75], [1, 0]]],
      ['64', [[0.125, -0.5], [0, 0]], [[0.125, -0.5], [0, 0]]],
    ];
    for (const [bitDepth, input, expected] of cases) {
      const audio = decodeWav(wavBytes(2, 8000, bitDepth, input), bitDepth);
      assert.equal(audio.channels, 2);
      assert.deepEqual(audio.samples.map((channel) => [...channel]), expected, bitDepth);
    }
    for (const law of ['toALaw', 'toMuLaw'] as const) {
      const wav = new wavefile.WaveFile();
      wav.fromScratch(1, 8000, '16', [16000, -16000, 0, 0]);
      wav[law]();
      const audio = decodeWav(wav.toBuffer(), law);
      assert.ok(Math.abs(audio.samples[0][0] - 16000 / 32768) < 0.02, law);
      assert.ok(Math.abs(audio.samples[0][1] + 16000 / 32768) < 0.02, law);
    }
  });

  it('gives clear errors for missing, non-audio, broken and truncated files', async () => {
    const speech = readFileSync(speechPath);
    const truncated = join(dir, 'truncated.wav');
    writeFileSync(truncated, speech.subarray(0, 5000));
    const noFormat = join(dir, 'no-fmt.wav');
    writeFileSync(noFormat, Buffer.concat([speech.subarray(0, 12), Buffer.from('data\x04\x00\x00\x00abcd', 'latin1')]));
    const headerOnly = join(dir, 'header-only.wav');
    writeFileSync(headerOnly, speech.subarray(0, 20));
    const text = join(dir, 'notes.wav');
    writeFileSync(text, 'these are not the samples you are looking for\n');
    const folder = join(dir, 'folder.wav');
    mkdirSync(folder);

    const expectations: Array<[string, RegExp]> = [
      [join(dir, 'missing.wav'), /no such file/],
      [folder, /directory/],
      [truncated, /truncated WAV: data chunk announces 328332 bytes, only 4956 present/],
      [noFormat, /data chunk before the "fmt " chunk/],
      [headerOnly, /truncated WAV/],
      [text, hasFfmpeg() ? /ffmpeg cannot decode it/ : /ffmpeg .* is not installed/],
    ];
    for (const [path, message] of expectations) {
      await assert.rejects(readAudio(path), (error: Error) => {
        assert.ok(error instanceof AudioFileError, `${path}: ${error}`);
        assert.match(error.message, message);
        assert.ok(error.message.startsWith(path));
        return true;
      });
    }
  });

  it('decodes other formats (FLAC) through ffmpeg', async function () {
    if (!hasFfmpeg()) this.skip();
    const flac = join(dir, 'speech.flac');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', speechPath, flac]);
    const [viaFfmpeg, direct] = await Promise.all([readAudio(flac), readAudio(speechPath)]);
    assert.equal(viaFfmpeg.sampleRate, 16000);
    assert.deepEqual(viaFfmpeg.samples[0], direct.samples[0]); // FLAC is lossless
  });

  it('loadMono mixes down and resamples', async () => {
    const stereo = join(dir, 'stereo.wav');
    const left = Array.from(sine(500, 8000, 800, 0.5), (v) => Math.round(v * 32767));
    writeFileSync(stereo, wavBytes(2, 8000, '16', [left, left.map((v) => -v)]));
    const mono = await loadMono(stereo, 16000);
    assert.equal(mono.length, 1600);
    assert.ok(Math.max(...mono.map(Math.abs)) < 1e-3, 'opposite channels cancel');
  });
});

describe('WavWriter', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'earshot-wavwriter-test-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a valid WAV up to the last header update when never closed (crash)', () => {
    const path = join(dir, 'crash.wav');
    const writer = new WavWriter(path, 8000);
    const tone = sine(440, 8000, 20000, 0.5); // 2.5 s
    for (let i = 0; i < tone.length; i += 160) writer.write(tone.subarray(i, i + 160));
    // No close(): read what a crash would leave behind.
    const crashed = decodeWav(readFileSync(path), path);
    assert.equal(crashed.sampleRate, 8000);
    assert.equal(crashed.samples[0].length, 16000, 'header covers the first 2 s');
    for (let i = 0; i < 16000; i += 997) assert.ok(Math.abs(crashed.samples[0][i] - tone[i]) < 1 / 16384);
    writer.close();
    writer.close();
    assert.equal(decodeWav(readFileSync(path)).samples[0].length, 20000);
    assert.throws(() => writer.write(new Int16Array(1)), /closed/);
  });

  it('writes Int16 as is and clips floats', () => {
    const path = join(dir, 'clip.wav');
    const writer = new WavWriter(path, 48000);
    writer.write(Int16Array.of(1, -2, 32767));
    writer.write(Float32Array.of(2, -2, 0.5));
    writer.close();
    const wav = new wavefile.WaveFile(readFileSync(path));
    assert.deepEqual([...(wav.getSamples(false, Float64Array) as unknown as Float64Array)], [1, -2, 32767, 32767, -32768, 16384]);
    assert.equal(writer.samplesWritten, 6);
  });

  it('finalizeOnExit adds one set of process handlers and removes it on close', () => {
    const before = process.listenerCount('SIGINT');
    const writers = [0, 1, 2].map((i) => new WavWriter(join(dir, `exit-${i}.wav`), 8000));
    for (const writer of writers) finalizeOnExit(writer);
    assert.equal(process.listenerCount('SIGINT'), before + 1);
    assert.equal(process.listenerCount('SIGTERM') > 0, true);
    for (const writer of writers) writer.close();
    assert.equal(process.listenerCount('SIGINT'), before);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`a ${signal} leaves a finalized WAV with everything written, and still ends the process`, () => {
      const path = join(dir, `${signal}.wav`);
      const script = `
        import { WavWriter, finalizeOnExit } from ${JSON.stringify(wavModule)};
        const writer = new WavWriter(${JSON.stringify(path)}, 8000);
        finalizeOnExit(writer);
        writer.write(new Int16Array(12000).fill(1000)); // the header is updated here (over 1 s)
        writer.write(new Int16Array(800).fill(2000)); // and not here: only the signal handler covers these
        process.kill(process.pid, '${signal}');
        setTimeout(() => console.log('still alive'), 2000);
      `;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10000 });
      assert.equal(result.signal, signal, result.stderr);
      assert.equal(result.stdout, '');
      const audio = decodeWav(readFileSync(path), path);
      assert.equal(audio.samples[0].length, 12800);
      assert.equal(Math.round(audio.samples[0][12799] * 32768), 2000);
    });
  }
});
