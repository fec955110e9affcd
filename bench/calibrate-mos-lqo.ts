// Calibration of mosLqo against PESQ-WB: scores every pair of the calibration set with the shipped
// parameters, refits the four mapping parameters (least squares, Nelder-Mead) on all pairs and with
// leave-one-voice-out cross-validation, and prints per-condition scores, Pearson, Spearman and RMSE.
// Run: node dist/bench/calibrate-mos-lqo.js [--data DIR]   (default ../shared/data/calibration)
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMono } from '../src/media/wav.js';
import { componentsOver, componentsToMos, disturbancesOf, MOS_LQO_PARAMETERS, type MosLqoComponents, type MosLqoParameters } from '../src/metrics/mos-lqo/index.js';
import { pearson, rmse, spearman } from './stats.js';

const RATE = 16_000;
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Pair {
  voice: string;
  condition: string;
  pesqWb: number;
  terms: MosLqoComponents;
  ms: number;
}

function dataDir(): string {
  const flag = process.argv.indexOf('--data');
  return flag >= 0 && process.argv[flag + 1] ? resolve(process.argv[flag + 1]) : resolve(projectRoot, '../shared/data/calibration');
}

async function loadPairs(dir: string): Promise<Pair[]> {
  const lines = (await readFile(join(dir, 'scores.csv'), 'utf8')).trim().split('\n');
  const header = lines[0].split(',');
  const column = (name: string) => header.indexOf(name);
  const audio = new Map<string, Float32Array>();
  const load = async (path: string) => audio.get(path) ?? audio.set(path, await loadMono(join(dir, path), RATE)).get(path)!;
  const pairs: Pair[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const reference = await load(cells[column('ref')]);
    const degraded = await load(cells[column('deg')]);
    const start = performance.now();
    const disturbances = disturbancesOf(reference, degraded, RATE);
    const terms = componentsOver(disturbances, 0, disturbances.frameCount)!;
    pairs.push({ voice: cells[column('voice')], condition: cells[column('condition')], pesqWb: Number(cells[column('pesq_wb')]), terms, ms: performance.now() - start });
  }
  return pairs;
}

/** Parameters in log space (all positive), least-squares error against PESQ-WB. */
function fit(pairs: Pair[], start: MosLqoParameters): MosLqoParameters {
  const toParameters = (x: number[]): MosLqoParameters => ({ addedWeight: Math.exp(x[0]), missingWeight: Math.exp(x[1]), bandWeight: Math.exp(x[2]), exponent: Math.exp(x[3]) });
  const loss = (x: number[]) => {
    const parameters = toParameters(x);
    return pairs.reduce((sum, p) => sum + (componentsToMos(p.terms, parameters) - p.pesqWb) ** 2, 0);
  };
  let x = [start.addedWeight, start.missingWeight, start.bandWeight, start.exponent].map(Math.log);
  for (let restart = 0; restart < 3; restart++) x = nelderMead(loss, x, 0.3);
  return toParameters(x);
}

function nelderMead(f: (x: number[]) => number, x0: number[], step: number, iterations = 3000): number[] {
  const n = x0.length;
  let simplex = [x0, ...x0.map((_, i) => x0.map((v, j) => (i === j ? v + step : v)))].map((x) => ({ x, y: f(x) }));
  const combine = (a: number[], b: number[], t: number) => a.map((v, i) => v + t * (b[i] - v));
  for (let it = 0; it < iterations; it++) {
    simplex.sort((a, b) => a.y - b.y);
    if (simplex[n].y - simplex[0].y < 1e-12) break;
    const centroid = x0.map((_, i) => simplex.slice(0, n).reduce((s, p) => s + p.x[i], 0) / n);
    const worst = simplex[n];
    const reflected = combine(centroid, worst.x, -1);
    const yr = f(reflected);
    if (yr < simplex[0].y) {
      const expanded = combine(centroid, worst.x, -2);
      const ye = f(expanded);
      simplex[n] = ye < yr ? { x: expanded, y: ye } : { x: reflected, y: yr };
    } else if (yr < simplex[n - 1].y) {
      simplex[n] = { x: reflected, y: yr };
    } else {
      const contracted = combine(centroid, worst.x, 0.5);
      const yc = f(contracted);
      if (yc < worst.y) simplex[n] = { x: contracted, y: yc };
      else simplex = simplex.map((p, i) => (i === 0 ? p : { x: combine(simplex[0].x, p.x, 0.5), y: f(combine(simplex[0].x, p.x, 0.5)) }));
    }
  }
  simplex.sort((a, b) => a.y - b.y);
  return simplex[0].x;
}

function summary(label: string, predicted: number[], actual: number[]): string {
  return `${label.padEnd(34)} Pearson ${pearson(predicted, actual).toFixed(4)}  Spearman ${spearman(predicted, actual).toFixed(4)}  RMSE ${rmse(predicted, actual).toFixed(3)}`;
}

const format = (p: MosLqoParameters) => Object.entries(p).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');

async function main(): Promise<void> {
  const dir = dataDir();
  const pairs = await loadPairs(dir);
  const actual = pairs.map((p) => p.pesqWb);
  const shipped = pairs.map((p) => componentsToMos(p.terms));

  console.log(`calibration set: ${dir} (${pairs.length} pairs)\n`);
  console.log(`${'voice'.padEnd(12)} ${'condition'.padEnd(22)} PESQ-WB mosLqo  added  missing  band`);
  for (const [i, p] of pairs.entries()) {
    const t = p.terms;
    console.log(`${p.voice.padEnd(12)} ${p.condition.padEnd(22)} ${p.pesqWb.toFixed(2).padStart(7)} ${shipped[i].toFixed(2).padStart(6)} ${t.addedDistortion.toFixed(3).padStart(6)} ${t.missingSpeech.toFixed(3).padStart(8)} ${t.bandLimitation.toFixed(3).padStart(5)}`);
  }

  const conditions = [...new Set(pairs.map((p) => p.condition))];
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const byCondition = (values: number[]) => conditions.map((c) => mean(values.filter((_, i) => pairs[i].condition === c)));

  const refit = fit(pairs, MOS_LQO_PARAMETERS);
  const refitScores = pairs.map((p) => componentsToMos(p.terms, refit));
  const crossValidated = new Array<number>(pairs.length);
  const voices = [...new Set(pairs.map((p) => p.voice))];
  for (const voice of voices) {
    const parameters = fit(pairs.filter((p) => p.voice !== voice), MOS_LQO_PARAMETERS);
    console.log(`\nfitted without ${voice}: ${format(parameters)}`);
    pairs.forEach((p, i) => {
      if (p.voice === voice) crossValidated[i] = componentsToMos(p.terms, parameters);
    });
  }
  console.log(`refitted on all pairs: ${format(refit)}`);
  console.log(`shipped parameters:    ${format(MOS_LQO_PARAMETERS)}\n`);
  console.log(summary('shipped, in-sample', shipped, actual));
  console.log(summary('refitted on all, in-sample', refitScores, actual));
  console.log(summary('leave-one-voice-out', crossValidated, actual));
  console.log(summary('shipped, per-condition means', byCondition(shipped), byCondition(actual)));
  for (const voice of voices) {
    const index = pairs.flatMap((p, i) => (p.voice === voice ? [i] : []));
    console.log(summary(`  leave-out ${voice}`, index.map((i) => crossValidated[i]), index.map((i) => actual[i])));
  }
  const times = pairs.map((p) => p.ms).sort((a, b) => a - b);
  console.log(`\ntime per 8 s pair (scoring only): median ${times[times.length >> 1].toFixed(1)} ms`);
}

await main();
