// Scoring speed: scoreSpeech on 10 s of 16 kHz speech against a degraded copy (noise, a dropout, 30 ms late),
// median of 7 warm runs, with and without ViSQOL. Run: node dist/bench/score.js
import { fileURLToPath } from 'node:url';
import { loadMono } from '../src/media/index.js';
import { percentile } from '../src/media/index.js';
import { scoreSpeech } from '../src/metrics/index.js';

const RATE = 16_000;
const speech = await loadMono(fileURLToPath(new URL('../../media/speech-en-16k.wav', import.meta.url)), RATE);
const reference = speech.subarray(0, 10 * RATE);
const degraded = new Float32Array(reference.length);
let seed = 1;
const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.004;
for (let i = 0; i < reference.length; i++) {
  const source = i - 0.03 * RATE;
  const dropped = source > 3 * RATE && source < 3.06 * RATE;
  degraded[i] = (source >= 0 && !dropped ? reference[source] : 0) + noise();
}

for (const visqol of [false, true]) {
  const cpuMs: number[] = [];
  let mos = 0;
  for (let run = 0; run < 8; run++) {
    const before = process.cpuUsage();
    mos = scoreSpeech(reference, RATE, degraded, RATE, { visqol }).mosLqo;
    const used = process.cpuUsage(before);
    if (run > 0) cpuMs.push((used.user + used.system) / 1000);
  }
  const median = percentile(cpuMs, 50);
  console.log(`scoreSpeech, 10 s at 16 kHz, ${visqol ? 'with' : 'without'} ViSQOL: median ${median.toFixed(0)} ms CPU (${(10_000 / median).toFixed(0)}x real time), mosLqo ${mos.toFixed(2)}`);
}
