// Writes the synthetic UMTS capacity traces of the 3g-umts-trace profile (src/netsim/profiles/traces/):
//   npx tsc -p . && node dist/bench/make-umts-trace.js
// Synthetic because the Mahimahi T-Mobile UMTS driving traces cannot be downloaded here; the same seeds give
// the same files byte for byte. The figures it follows (see /work/shared/PROFILES.md and the profile's source):
// mean capacity 1.2 Mbps down (Loadero 3G) and 330 kbps up (Apple NLC 3G); capacity wandering over seconds
// (log-normal, AR(1) with a 3 s time constant, sd 0.5 in log: a factor of 2-3 between good and bad spells);
// outages of several seconds as in the Mahimahi UMTS trace (longest 5.8 s), shared by both directions
// because they are the same radio link. Format: one line per 1500-byte delivery opportunity, whole ms,
// looping with the last timestamp (60000) as the period.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gaussian, seededRandom } from '../src/util/index.js';

const PERIOD_MS = 60_000;
const STEP_MS = 100;
const TIME_CONSTANT_MS = 3_000;
const LOG_SD = 0.5;
const OUTAGE_SEED = 3100;
/** Longest first: the 5.8 s UMTS maximum, then shorter gaps. */
const OUTAGE_DURATIONS_MS = [5_800, 2_600, 1_200];
const OPPORTUNITY_BYTES = 1500;

interface Outage {
  startMs: number;
  endMs: number;
}

/** Outages at seeded places, apart from each other and from the loop's ends. */
function placeOutages(seed: number): Outage[] {
  const random = seededRandom(seed);
  const outages: Outage[] = [];
  for (const durationMs of OUTAGE_DURATIONS_MS) {
    for (;;) {
      const startMs = Math.round(2_000 + random() * (PERIOD_MS - 4_000 - durationMs));
      const candidate = { startMs, endMs: startMs + durationMs };
      if (outages.every((o) => candidate.endMs + 3_000 < o.startMs || o.endMs + 3_000 < candidate.startMs)) {
        outages.push(candidate);
        break;
      }
    }
  }
  return outages.sort((a, b) => a.startMs - b.startMs);
}

/** Delivery opportunity timestamps for a link of `meanKbps` mean capacity outside the outages. */
function makeTrace(meanKbps: number, seed: number, outages: Outage[]): number[] {
  const random = seededRandom(seed);
  const keep = Math.exp(-STEP_MS / TIME_CONSTANT_MS);
  const steps = PERIOD_MS / STEP_MS;
  const inOutage = (ms: number) => outages.some((o) => ms >= o.startMs && ms < o.endMs);
  let logCapacity = gaussian(random) * LOG_SD;
  const factors: number[] = [];
  for (let step = 0; step < steps; step++) {
    factors.push(inOutage(step * STEP_MS) ? 0 : Math.exp(logCapacity));
    logCapacity = keep * logCapacity + Math.sqrt(1 - keep * keep) * LOG_SD * gaussian(random);
  }
  // Scale so that the mean outside the outages is exactly the published figure.
  const working = factors.filter((f) => f > 0);
  const scale = meanKbps / (working.reduce((sum, f) => sum + f, 0) / working.length);
  const deliveries: number[] = [];
  let bytes = 0;
  for (let ms = 1; ms <= PERIOD_MS; ms++) {
    bytes += (factors[Math.floor((ms - 1) / STEP_MS)]! * scale * 1000) / 8 / 1000;
    while (bytes >= OPPORTUNITY_BYTES) {
      deliveries.push(ms);
      bytes -= OPPORTUNITY_BYTES;
    }
  }
  if (deliveries.at(-1) !== PERIOD_MS) deliveries.push(PERIOD_MS);
  return deliveries;
}

const outages = placeOutages(OUTAGE_SEED);
const traces = fileURLToPath(new URL('../../src/netsim/profiles/traces/', import.meta.url));
for (const [direction, meanKbps, seed] of [['down', 1200, 3101], ['up', 330, 3102]] as const) {
  const deliveries = makeTrace(meanKbps, seed, outages);
  writeFileSync(`${traces}umts-synthetic.${direction}`, `${deliveries.join('\n')}\n`);
  const kbps = (deliveries.length * OPPORTUNITY_BYTES * 8) / PERIOD_MS;
  process.stdout.write(`umts-synthetic.${direction}: ${deliveries.length} opportunities, ${kbps.toFixed(0)} kbps over the loop\n`);
}
process.stdout.write(`outages (both directions): ${outages.map((o) => `${o.startMs}-${o.endMs} ms`).join(', ')}\n`);
