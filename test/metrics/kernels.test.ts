import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LAG_SUMS_WASM } from '../../src/metrics/lag-sums-wasm.js';
import { WasmKernel } from '../../src/metrics/wasm-kernel.js';
import { resamplePairTo10k } from '../../src/metrics/resample-10k.js';
import { scoreSpeech } from '../../src/metrics/score.js';
import { loadSpeech, RATE, whiteNoise } from './diagnostics-fixtures.js';

describe('the scoring kernels', () => {
  let speech: Float32Array;

  before(async () => {
    speech = await loadSpeech();
  });

  it('convert both signals of a pair to 10 kHz independently, a shorter second one as silent past its end', () => {
    const noise = whiteNoise(3, speech.length, 0.05);
    for (const rate of [RATE, 48_000]) {
      const [speech10k, noise10k] = resamplePairTo10k(speech, noise, rate);
      const [noiseAgain, speechAgain] = resamplePairTo10k(noise, speech, rate);
      assert.deepEqual(speechAgain, speech10k);
      assert.deepEqual(noiseAgain, noise10k);
      const half = noise.subarray(0, noise.length / 2);
      const zeroExtended = new Float32Array(noise.length);
      zeroExtended.set(half);
      assert.deepEqual(resamplePairTo10k(speech, half, rate), resamplePairTo10k(speech, zeroExtended, rate));
    }
  });

  it('replace their memory rather than grow it, so no ArrayBuffer is ever detached', () => {
    const kernel = new WasmKernel(LAG_SUMS_WASM);
    const small = kernel.reserve(1000).buffer;
    assert.equal(kernel.reserve(2000).buffer, small);
    const large = kernel.reserve(1_000_000).buffer;
    assert.ok(large.byteLength >= 1_000_000);
    assert.equal(small.byteLength, 65_536);
  });

  it('all import their memory, and a full scoring grows none (a grown memory detaches a buffer and slows V8)', () => {
    const src = fileURLToPath(new URL('../../../src/', import.meta.url));
    const kernels = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.wat'));
    assert.ok(kernels.length >= 7, kernels.join(', '));
    for (const file of kernels) {
      const text = readFileSync(src + file, 'utf8');
      assert.match(text, /\(import "env" "memory" \(memory 1\)\)/, file);
      assert.doesNotMatch(text, /memory\.grow/, file);
    }
    const grow = WebAssembly.Memory.prototype.grow;
    let grown = 0;
    WebAssembly.Memory.prototype.grow = function (this: WebAssembly.Memory, pages: number) {
      grown++;
      return grow.call(this, pages);
    };
    try {
      const degraded = speech.map((sample, i) => 0.8 * sample + (i % 7) * 1e-4);
      scoreSpeech(speech, RATE, degraded, RATE);
    } finally {
      WebAssembly.Memory.prototype.grow = grow;
    }
    assert.equal(grown, 0);
  });

  it('leave the caller\'s samples untouched when scoring 16 kHz input in place', () => {
    const reference = speech.slice(0, 6 * RATE);
    const recording = new Float32Array(reference.length);
    recording.set(reference.subarray(0, reference.length - 480), 480);
    const [referenceBefore, recordingBefore] = [reference.slice(), recording.slice()];
    scoreSpeech(reference, RATE, recording, RATE, { visqol: false });
    assert.deepEqual(reference, referenceBefore);
    assert.deepEqual(recording, recordingBefore);
  });
});
