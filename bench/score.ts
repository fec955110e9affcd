// Scoring speed (issue 3's target: scoreSpeech of 10 s of 16 kHz speech in <= 100 ms of one core's CPU, ViSQOL
// included). The reference is 10 s of speech; the recording a degraded copy (noise, a 60 ms dropout, 30 ms
// late). Medians (and minima: the machine may be shared) of 15 warm runs of CPU time (process.cpuUsage: every
// thread, so V8's background garbage collection and compilation count too), with and without ViSQOL, the
// elapsed time of the same runs (the scoring itself runs on one thread), then the pipeline stage by stage.
// Run: node dist/bench/score.js [runs]
import { fileURLToPath } from 'node:url';
import { loadMono, percentile } from '../src/media/index.js';
import { clipping, dropouts, requireSpeech, signalLevels } from '../src/metrics/levels.js';
import { localAlign, realign } from '../src/metrics/local-align.js';
import { mosLqo } from '../src/metrics/mos-lqo/index.js';
import { scoreSpeech } from '../src/metrics/score.js';
import { segmentalSnr } from '../src/metrics/seg-snr.js';
import { stoi } from '../src/metrics/stoi.js';
import { visqolSpeechAligned } from '../src/metrics/visqol/visqol-speech.js';

const RATE = 16_000;
const TARGET_MS = 100;
const RUNS = Math.max(7, Number(process.argv[2] ?? 15));

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

function cpuMs<T>(work: () => T): [number, T] {
  const before = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(before);
  return [(used.user + used.system) / 1000, result];
}

/** scoreSpeech's stages, called one by one as it calls them. */
function stages(): Record<string, number> {
  const [activityMs, activity] = cpuMs(() => requireSpeech(reference, RATE));
  const [mosLqoMs, headline] = cpuMs(() => mosLqo(reference, degraded, RATE, { windowS: 2 }));
  const [alignMs, aligned] = cpuMs(() => {
    const local = localAlign(reference, degraded, RATE, { globalDelayMs: headline.delayMs, referenceActivity: activity });
    return realign(reference, degraded, RATE, local.segments);
  });
  const [visqolMs] = cpuMs(() => visqolSpeechAligned(reference, aligned, RATE));
  const [stoiMs] = cpuMs(() => stoi(reference, aligned, RATE, { referenceActivity: activity }));
  const [segSnrMs] = cpuMs(() => segmentalSnr(reference, aligned, RATE, { referenceActivity: activity }));
  const [levelsMs] = cpuMs(() => {
    signalLevels(aligned, RATE);
    clipping(degraded);
    dropouts(reference, aligned, RATE, activity);
  });
  return {
    'speech activity': activityMs,
    mosLqo: mosLqoMs,
    'local alignment': alignMs,
    ViSQOL: visqolMs,
    STOI: stoiMs,
    'segmental SNR': segSnrMs,
    'levels, clipping, dropouts': levelsMs,
  };
}

const totals: Record<'with' | 'without', number[]> = { with: [], without: [] };
const elapsed: Record<'with' | 'without', number[]> = { with: [], without: [] };
const perStage = new Map<string, number[]>();
let scores = '';
for (let run = 0; run <= RUNS; run++) {
  const startedWithout = performance.now();
  const [withoutMs] = cpuMs(() => scoreSpeech(reference, RATE, degraded, RATE, { visqol: false }));
  const startedWith = performance.now();
  const [withMs, quality] = cpuMs(() => scoreSpeech(reference, RATE, degraded, RATE));
  const ended = performance.now();
  const stageMs = stages();
  if (run === 0) continue; // warm-up
  totals.without.push(withoutMs);
  totals.with.push(withMs);
  elapsed.without.push(startedWith - startedWithout);
  elapsed.with.push(ended - startedWith);
  for (const [stage, ms] of Object.entries(stageMs)) perStage.set(stage, [...(perStage.get(stage) ?? []), ms]);
  scores = `mosLqo ${quality.mosLqo}, ViSQOL ${quality.visqol?.mos}, STOI ${quality.stoi}, segSNR ${quality.segSnrDb} dB`;
}

const median = (values: number[]) => percentile(values, 50);
console.log(`scoreSpeech, 10 s at 16 kHz, median CPU of ${RUNS} warm runs (${scores}):`);
for (const variant of ['without', 'with'] as const) {
  const ms = median(totals[variant]);
  console.log(
    `  ${variant.padEnd(7)} ViSQOL ${ms.toFixed(1).padStart(6)} ms  (${(10_000 / ms).toFixed(0)}x real time; min ${Math.min(...totals[variant]).toFixed(1)} ms; elapsed ${median(elapsed[variant]).toFixed(1)} ms)`,
  );
}
console.log('  by stage:');
for (const [stage, ms] of perStage) console.log(`    ${stage.padEnd(27)} ${median(ms).toFixed(1).padStart(6)} ms  (min ${Math.min(...ms).toFixed(1)})`);
const full = median(totals.with);
console.log(
  full <= TARGET_MS
    ? `TARGET MET: full scoring (ViSQOL included) ${full.toFixed(1)} ms <= ${TARGET_MS} ms CPU`
    : `TARGET NOT MET: full scoring (ViSQOL included) ${full.toFixed(1)} ms > ${TARGET_MS} ms CPU`,
);
