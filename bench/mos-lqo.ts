// mosLqo speed: one core's time to score 10 s of speech against a noisy, lossy copy (median of 15 runs).
// Run: node dist/bench/mos-lqo.js
import { fileURLToPath } from 'node:url';
import { loadMono } from '../src/media/wav.js';
import { mosLqo } from '../src/metrics/mos-lqo/index.js';
import { resample } from '../src/util/index.js';

const RUNS = 15;
const speechPath = fileURLToPath(new URL('../../media/speech-en-16k.wav', import.meta.url));

function degrade(reference: Float32Array, rate: number): Float32Array {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const frame = Math.round(0.02 * rate);
  return reference.map((v, i) => (Math.floor(i / frame) % 17 === 5 ? 0 : v + 0.003 * (next() - 0.5)));
}

function medianMs(work: () => void): number {
  work();
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[RUNS >> 1];
}

const speech16k = (await loadMono(speechPath, 16_000)).subarray(0, 160_000);
for (const rate of [16_000, 8_000, 48_000]) {
  const reference = rate === 16_000 ? speech16k : resample(speech16k, 16_000, rate);
  const degraded = degrade(reference, rate);
  const score = mosLqo(reference, degraded, rate).mosLqo;
  console.log(`${String(rate / 1000).padStart(2)} kHz: ${medianMs(() => mosLqo(reference, degraded, rate)).toFixed(1).padStart(6)} ms per 10 s (score ${score.toFixed(2)})`);
}
