// Speed of the pure measures that run on every call: RTP statistics and per-window figures on 100k packets
// (about 33 minutes of 20 ms audio), and the FFT delay estimate on 10 s of 16 kHz speech. Median of 7 warm runs.
// Run: node dist/bench/network-stats.js
import { fileURLToPath } from 'node:url';
import { loadMono, percentile } from '../src/media/index.js';
import { estimateDelay, networkWindows, rtpStatistics, type ReceivedPacket } from '../src/metrics/index.js';

function median(work: () => void): number {
  work();
  const times: number[] = [];
  for (let run = 0; run < 7; run++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  return percentile(times, 50);
}

const received: ReceivedPacket[] = [];
for (let n = 0; n < 100_000; n++) {
  if (n % 50 === 7) continue;
  received.push({ seq: n & 0xffff, timestamp: (n * 960) >>> 0, arrivalMs: n * 20 + ((n * 7919) % 13), ssrc: 1, payloadType: 111, fate: 'played' });
}
console.log(`rtpStatistics, 100k packets:   ${median(() => rtpStatistics(received, { clockRate: 48000 })).toFixed(1)} ms`);
console.log(`networkWindows, 100k packets:  ${median(() => networkWindows(received, { clockRate: 48000 })).toFixed(1)} ms`);

const speech = (await loadMono(fileURLToPath(new URL('../../media/speech-en-16k.wav', import.meta.url)), 16000)).subarray(0, 160_000);
const late = new Float32Array(speech.length + 3000);
late.set(speech, 3000);
console.log(`estimateDelay, 10 s at 16 kHz: ${median(() => estimateDelay(speech, late, 16000)).toFixed(1)} ms`);
