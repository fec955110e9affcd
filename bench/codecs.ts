// Codec speed: encode and decode of 10 s of reference speech, as multiples of real time
// (median of 5 runs). Run: node dist/bench/codecs.js
import { fileURLToPath } from 'node:url';
import { createCodec, type CodecName } from '../src/media/codec.js';
import { percentile } from '../src/media/frame-timer.js';
import { loadMono } from '../src/media/wav.js';

const SECONDS = 10;
const RUNS = 5;
const speechPath = fileURLToPath(new URL('../../media/speech-en-16k.wav', import.meta.url));

function frames(audio: Float32Array, frameSamples: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let start = 0; start + frameSamples <= audio.length; start += frameSamples) {
    out.push(Int16Array.from(audio.subarray(start, start + frameSamples), (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768)))));
  }
  return out;
}

function timeMs(work: () => void): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

async function bench(name: CodecName): Promise<string> {
  const probe = createCodec(name);
  const audio = (await loadMono(speechPath, probe.sampleRate)).subarray(0, probe.sampleRate * SECONDS);
  const pcm = frames(audio, probe.frameSamples);
  const seconds = (pcm.length * probe.frameSamples) / probe.sampleRate;
  const encodeTimes: number[] = [];
  const decodeTimes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const codec = createCodec(name);
    let payloads: Uint8Array[] = [];
    encodeTimes.push(timeMs(() => (payloads = pcm.map((frame) => codec.encode(frame)))));
    decodeTimes.push(timeMs(() => payloads.forEach((payload) => codec.decode(payload))));
    codec.close();
  }
  const speed = (times: number[]) => ((seconds * 1000) / percentile(times, 50)).toFixed(0).padStart(7);
  return `${name.padEnd(5)} encode ${speed(encodeTimes)}x  decode ${speed(decodeTimes)}x real time`;
}

console.log(`codec speed over ${SECONDS} s of speech, median of ${RUNS} runs`);
for (const name of ['opus', 'PCMU', 'PCMA'] as const) console.log(await bench(name));
