// Login cost: median wall time and CPU per XMPP login (TLS + SCRAM-SHA-1 + bind + presence) against
// a private lab Prosody. CPU is this process's, all threads (PBKDF2 runs on libuv's pool).
// Usage: node dist/bench/login.js [logins, default 10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../src/lab/index.js';
import { XmppConnection, type XmppAccount } from '../src/xmpp/index.js';

const logins = Number(process.argv[2] ?? 10);
if (!Number.isInteger(logins) || logins < 1) throw new Error(`usage: login.js [number of logins], got ${process.argv[2]}`);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-'));
const lab = await Lab.start({ dir, accounts: ['bench'], turn: false });
try {
  const { jid, password } = lab.info.accounts[0]!;
  const account: XmppAccount = { jid, password, host: lab.info.host, port: lab.info.ports.c2s, ca: lab.info.caPem };
  await (await XmppConnection.connect(account)).close(); // warm-up: module loading, JIT, TLS context

  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < logins; i++) {
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    const connection = await XmppConnection.connect(account);
    wallMs.push(performance.now() - startedAt);
    const cpu = process.cpuUsage(cpuBefore);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    await connection.close();
  }
  console.log(`${logins} logins to Prosody on loopback (STARTTLS, SCRAM-SHA-1):`);
  console.log(`  wall time per login: median ${median(wallMs).toFixed(1)} ms, max ${Math.max(...wallMs).toFixed(1)} ms`);
  console.log(`  CPU per login:       median ${median(cpuMs).toFixed(1)} ms, max ${Math.max(...cpuMs).toFixed(1)} ms`);
} finally {
  await lab.stop();
  rmSync(dir, { recursive: true, force: true });
}
