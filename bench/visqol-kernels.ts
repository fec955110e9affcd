// Speed of ViSQOL's two WebAssembly kernels with their wrappers, on scoreSpeech's work for 10 s of 16 kHz speech
// (bench/score.ts's pair): the gammatone frames of both signals (FrameStore.spectrogram, ~994 frames), and the
// NSIM of every voiced reference patch at every degraded offset (PatchComparator, as matchPatches calls it: its
// construction and the single-precision search).
// Medians of warm runs, CPU time. Run: node dist/bench/visqol-kernels.js [runs]
import { fileURLToPath } from 'node:url';
import { loadMono } from '../src/media/index.js';
import { FrameStore, GammatoneFilterbank } from '../src/metrics/visqol/gammatone.js';
import { PatchComparator } from '../src/metrics/visqol/patch-comparator.js';
import { prepareForComparison } from '../src/metrics/visqol/prepare.js';
import { PATCH_FRAMES, voicedPatchStarts } from '../src/metrics/visqol/voice-activity.js';

const RATE = 16_000;
const RUNS = Math.max(5, Number(process.argv[2] ?? 21));

const speech = await loadMono(fileURLToPath(new URL('../../media/speech-en-16k.wav', import.meta.url)), RATE);
const reference = Float64Array.from(speech.subarray(0, 10 * RATE));
const degraded = new Float64Array(reference.length);
let seed = 1;
const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.004;
for (let i = 0; i < reference.length; i++) {
  const source = i - 0.03 * RATE;
  degraded[i] = (source >= 0 ? reference[source] : 0) + noise();
}

function medianCpuMs(work: () => void): number {
  const times: number[] = [];
  for (let run = 0; run < RUNS + 2; run++) {
    const before = process.cpuUsage();
    work();
    const used = process.cpuUsage(before);
    if (run >= 2) times.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const filterbank = new GammatoneFilterbank(RATE);
const spectrograms = () => [
  new FrameStore(filterbank, reference).spectrogram({ data: reference, origin: 0 }),
  new FrameStore(filterbank, degraded).spectrogram({ data: degraded, origin: 0 }),
];
const gammatoneMs = medianCpuMs(spectrograms);

const [ref, deg] = prepareForComparison(...(spectrograms() as [ReturnType<typeof spectrograms>[0], ReturnType<typeof spectrograms>[0]]));
const refStarts = voicedPatchStarts(reference, ref.frames, filterbank.hop);
let checksum = 0;
const nsimMs = medianCpuMs(() => {
  const comparator = new PatchComparator(ref, refStarts, PATCH_FRAMES, deg);
  checksum = 0;
  refStarts.forEach((_, patch) => {
    for (const similarity of comparator.similarities(patch, 0, deg.frames - 1)) checksum += similarity;
  });
});

// The single-precision search against the double-precision detailed() at every 7th offset.
const check = new PatchComparator(ref, refStarts, PATCH_FRAMES, deg);
let searchError = 0;
refStarts.forEach((_, patch) => {
  const similarities = check.similarities(patch, 0, deg.frames - 1);
  for (let offset = 0; offset < deg.frames; offset += 7) {
    searchError = Math.max(searchError, Math.abs(similarities[offset] - check.detailed(patch, offset).similarity));
  }
});

console.log(`gammatone frames: ${gammatoneMs.toFixed(2)} ms CPU for ${ref.frames + deg.frames} frames (median of ${RUNS})`);
console.log(`NSIM offsets:     ${nsimMs.toFixed(2)} ms CPU for ${refStarts.length} patches x ${deg.frames} offsets (checksum ${checksum}; search within ${searchError.toExponential(1)} of detailed())`);
