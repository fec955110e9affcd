// npm run bench: every benchmark in turn, each in its own process so their figures do not disturb each other.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benches = ['codecs', 'login', 'calls', 'network-stats', 'visqol', 'visqol-kernels', 'diagnostics', 'mos-lqo', 'score'];
for (const name of benches) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(script)) continue;
  console.log(`\n== ${name}`);
  const { status } = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (status !== 0) process.exitCode = 1;
}
