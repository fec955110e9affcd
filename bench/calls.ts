// Call setup and cost: 10 calls in a row through a fresh lab (setup time: call placed -> ICE and DTLS up,
// median and spread), then one 10 s call measured for CPU and memory. Both ends run in this one process, so
// the CPU figure is for a whole call, caller and callee together. Run: node dist/bench/calls.js [calls]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Endpoint, type Call } from '../src/call/index.js';
import { Lab, labAccountConfig } from '../src/lab/index.js';
import { percentile } from '../src/media/index.js';
import { loadReference } from '../src/cli/media-options.js';

const calls = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-calls-'));
const lab = await Lab.start({ dir });
const [alice, bob] = await Promise.all([Endpoint.login(labAccountConfig(lab.info, 'alice')), Endpoint.login(labAccountConfig(lab.info, 'bob'))]);
const reference = await loadReference();
bob.autoAnswer({ allow: ['alice@localhost'], media: { play: reference, loop: true } });

async function oneCall(mediaS: number): Promise<{ setupMs: number; call: Call }> {
  const answered = bob.onIncomingCall.next();
  const call = await alice.call('bob@localhost', { play: reference, loop: true });
  const [incoming] = await answered;
  await call.onConnected.next();
  await new Promise((resolve) => setTimeout(resolve, mediaS * 1000));
  call.hangUp();
  const [leg] = await Promise.all([call.ended, incoming.ended]);
  return { setupMs: leg.setupMs ?? NaN, call };
}

try {
  const setups: number[] = [];
  for (let i = 0; i < calls; i++) setups.push((await oneCall(0.5)).setupMs);
  console.log(`setup (JMI propose -> media connected), ${calls} calls: median ${percentile(setups, 50).toFixed(0)} ms, min ${Math.min(...setups).toFixed(0)}, max ${Math.max(...setups).toFixed(0)}`);

  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await oneCall(10);
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(`one 10 s Opus call, both ends: ${cpuS.toFixed(2)} s CPU in ${wallS.toFixed(1)} s (${((100 * cpuS) / wallS).toFixed(1)}% of a core), ` +
    `RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (${((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(1)} MiB more than before the call)`);
} finally {
  await Promise.all([alice.close(), bob.close()]);
  await lab.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
