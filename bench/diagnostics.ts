// Full-reference diagnostics on 10 s of 16 kHz speech against a degraded copy (40 ms late, white noise
// at 20 dB SNR, 5% of 20 ms frames zeroed): milliseconds per call, median of 7 warm runs.
// Run: node dist/bench/diagnostics.js
import { fileURLToPath } from 'node:url';
import { loadMono } from '../src/media/wav.js';
import { percentile } from '../src/media/frame-timer.js';
import { localAlign, realign } from '../src/metrics/local-align.js';
import { clipping, dropouts, signalLevels, speechActivity } from '../src/metrics/levels.js';
import { alignExact, segmentalSnr } from '../src/metrics/seg-snr.js';
import { stoi } from '../src/metrics/stoi.js';

const RATE = 16_000;
const RUNS = 7;
const DELAY_SAMPLES = Math.round(0.04 * RATE);
const speechPath = fileURLToPath(new URL('../../media/speech-en-16k.wav', import.meta.url));

const reference = (await loadMono(speechPath, RATE)).subarray(0, 10 * RATE);
const degraded = degrade(reference);

const steps: Array<[string, () => unknown]> = [
  ['speechActivity (reference)', () => speechActivity(reference, RATE)],
  ['signalLevels + clipping (degraded)', () => [signalLevels(degraded, RATE), clipping(degraded)]],
  ['alignExact + dropouts', () => dropouts(reference, alignExact(reference, degraded, DELAY_SAMPLES), RATE)],
  ['alignExact + segmentalSnr', () => segmentalSnr(reference, alignExact(reference, degraded, DELAY_SAMPLES), RATE)],
  ['localAlign + realign', () => realign(reference, degraded, RATE, localAlign(reference, degraded, RATE, { globalDelayMs: 40 }).segments)],
  ['stoi (aligned)', () => stoi(reference, alignExact(reference, degraded, DELAY_SAMPLES), RATE)],
  [
    'all of it, activity computed once',
    () => {
      const referenceActivity = speechActivity(reference, RATE);
      const aligned = realign(reference, degraded, RATE, localAlign(reference, degraded, RATE, { globalDelayMs: 40, referenceActivity }).segments);
      return [signalLevels(degraded, RATE), clipping(degraded), dropouts(reference, aligned, RATE, referenceActivity), segmentalSnr(reference, aligned, RATE, { referenceActivity }), stoi(reference, aligned, RATE, { referenceActivity })];
    },
  ],
];

console.log(`full-reference diagnostics on ${reference.length / RATE} s at ${RATE / 1000} kHz, median of ${RUNS} runs`);
for (const [name, work] of steps) {
  work(); // compile, and build FFT and filter tables
  const times = Array.from({ length: RUNS }, () => {
    const startedAt = performance.now();
    work();
    return performance.now() - startedAt;
  });
  console.log(`${name.padEnd(36)} ${percentile(times, 50).toFixed(2).padStart(7)} ms`);
}

function degrade(signal: Float32Array): Float32Array {
  let state = 12345;
  const random = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  let energy = 0;
  for (const sample of signal) energy += sample * sample;
  const noiseRms = Math.sqrt(energy / signal.length) / 10;
  const frame = 0.02 * RATE;
  const out = new Float32Array(signal.length);
  for (let i = DELAY_SAMPLES; i < out.length; i++) out[i] = signal[i - DELAY_SAMPLES] + noiseRms * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  for (let start = 0; start < out.length; start += frame) if (random() < 0.05) out.fill(0, start, start + frame);
  return out;
}
