// ViSQOL speech-mode speed: 10 s of 16 kHz speech against a noisy, delayed copy (whole pipeline, and the copy
// already lined up as scoreSpeech hands it over), and the 48 kHz conformance pair; median of 7 runs, wall
// clock and CPU time of this process. Run: node dist/bench/visqol.js
import { fileURLToPath } from 'node:url';
import { downmix, readAudio } from '../src/media/index.js';
import { visqolSpeech, type VisqolResult } from '../src/metrics/visqol/index.js';
import { visqolSpeechAligned } from '../src/metrics/visqol/visqol-speech.js';

const RUNS = 7;
const speechPath = fileURLToPath(new URL('../../media/speech-en-16k.wav', import.meta.url));
const conformanceDir = '/work/shared/data/visqol/';

/** The reference delayed by 40 ms, at 0.7 of its level, with white noise 20 dB under its RMS (fixed seed). */
function degrade(reference: Float32Array, sampleRate: number, delayS = 0.04): Float32Array {
  let power = 0;
  for (const sample of reference) power += sample * sample;
  const noiseRms = Math.sqrt(power / reference.length) * 0.1;
  const delay = Math.round(delayS * sampleRate);
  const out = new Float32Array(reference.length);
  let seed = 12345;
  for (let i = 0; i < out.length; i++) {
    seed = (seed * 16807) % 2147483647;
    const uniform = seed / 2147483647 - 0.5; // variance 1/12
    out[i] = (i >= delay ? 0.7 * reference[i - delay] : 0) + uniform * Math.sqrt(12) * noiseRms;
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

type Scorer = (reference: Float32Array, degraded: Float32Array, sampleRate: number) => VisqolResult;

function bench(label: string, reference: Float32Array, degraded: Float32Array, sampleRate: number, scorer: Scorer = visqolSpeech): void {
  const wall: number[] = [];
  const cpu: number[] = [];
  let mos = 0;
  for (let run = 0; run < RUNS; run++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    mos = scorer(reference, degraded, sampleRate).mos;
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  console.log(`${label.padEnd(34)} MOS ${mos.toFixed(4)}  wall ${median(wall).toFixed(1).padStart(6)} ms  cpu ${median(cpu).toFixed(1).padStart(6)} ms`);
}

const speech = await readAudio(speechPath);
const reference = downmix(speech.samples).subarray(0, 10 * speech.sampleRate);
bench('10 s speech, 16 kHz, noisy copy', reference, degrade(reference, speech.sampleRate), speech.sampleRate);
bench('  the same lined up, aligned path', reference, degrade(reference, speech.sampleRate, 0), speech.sampleRate, visqolSpeechAligned);

const clean = await readAudio(`${conformanceDir}CA01_01.wav`);
const transcoded = await readAudio(`${conformanceDir}transcoded_CA01_01.wav`);
bench('CA01 transcoded, 48 kHz (2.7 s)', downmix(clean.samples), downmix(transcoded.samples), clean.sampleRate);
