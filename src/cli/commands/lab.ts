/**
 * `earshot lab up|down|status`: the private Prosody + coturn on the default lab ports, where
 * other earshot commands (`--as alice`) find it through the lab folder's lab.json.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import {
  defaultLabDir,
  defaultLabPorts,
  isProsodyRunning,
  isTurnRunning,
  Lab,
  labStateFile,
  readLabState,
  readLabStateFile,
  type LabInfo,
} from '../../lab/index.js';
import { isBrokenServersRunning } from '../../lab/lab-state.js';

interface DirOption {
  dir?: string;
}

export function registerLabCommand(program: Command): void {
  const lab = program
    .command('lab')
    .description('a private XMPP lab: Prosody and coturn on loopback ports, a generated CA, accounts alice, bob, carol, dave');

  lab
    .command('up')
    .description('start the lab and keep it running until Ctrl-C')
    .option('--dir <dir>', 'lab folder (default $EARSHOT_LAB_DIR or ~/.local/state/earshot/lab)')
    .option('--broken', "also the broken servers of earshot tls-check, and the CA's CRL and OCSP responder")
    .action((options: DirOption & { broken?: boolean }) => labUp(labDir(options), options.broken === true));

  lab
    .command('down')
    .description('stop a lab started by another earshot process')
    .option('--dir <dir>', 'lab folder')
    .action((options: DirOption) => labDown(labDir(options)));

  lab
    .command('status')
    .description('say whether the lab runs, and where (exit code 3 when it does not)')
    .option('--dir <dir>', 'lab folder')
    .option('--json', 'machine-readable output (no passwords)')
    .action((options: DirOption & { json?: boolean }) => labStatus(labDir(options), options.json === true));
}

function labDir(options: DirOption): string {
  return resolve(options.dir ?? defaultLabDir());
}

async function labUp(dir: string, brokenServers: boolean): Promise<void> {
  const running = readLabState(dir);
  if (running) {
    process.stdout.write(`A lab is already running in ${dir} (Prosody pid ${running.prosodyPid}):\n${describeLab(running)}`);
    return;
  }
  const startedAt = Date.now();
  const lab = await Lab.start({ dir, ports: defaultLabPorts, brokenServers });
  process.stdout.write(`Lab up in ${Date.now() - startedAt} ms.\n${describeLab(lab.info)}Press Ctrl-C to stop.\n`);

  const reason = await new Promise<string>((resolveReason) => {
    const onSignal = (signal: NodeJS.Signals) => resolveReason(`got ${signal}`);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    lab.onProcessExit.subscribe((name, code, signal) => {
      resolveReason(signal === 'SIGTERM' ? `${name} was stopped from outside` : `${name} exited (${signal ?? `code ${code}`})`);
    });
  });
  await lab.stop();
  process.stdout.write(`Lab stopped: ${reason}.\n`);
}

async function labDown(dir: string): Promise<void> {
  const info = readLabStateFile(dir);
  if (!info) {
    process.stdout.write(`No lab in ${dir}.\n`);
    return;
  }
  // Only processes that are still this lab's Prosody and coturn: pids are reused.
  const targets = [
    ...(isProsodyRunning(info) ? [{ name: 'Prosody', pid: info.prosodyPid }] : []),
    ...(isTurnRunning(info) && info.turnPid !== undefined ? [{ name: 'coturn', pid: info.turnPid }] : []),
    ...(isBrokenServersRunning(info) && info.brokenServers ? [{ name: 'broken-servers Prosody', pid: info.brokenServers.pid }] : []),
  ];
  for (const target of targets) signal(target.pid, 'SIGTERM');
  const stillRunning = () => [isProsodyRunning(info), isTurnRunning(info), isBrokenServersRunning(info)].some(Boolean);
  for (let waited = 0; stillRunning() && waited < 5000; waited += 50) await sleep(50);
  if (stillRunning()) for (const target of targets) signal(target.pid, 'SIGKILL');
  rmSync(labStateFile(dir), { force: true });
  process.stdout.write(
    targets.length > 0
      ? `Stopped the lab in ${dir} (${targets.map((t) => `${t.name} pid ${t.pid}`).join(', ')}).\n`
      : `The lab in ${dir} was not running; removed its stale lab.json.\n`,
  );
}

function labStatus(dir: string, json: boolean): void {
  const info = readLabState(dir);
  if (json) {
    const status = info
      ? {
          running: true,
          dir,
          domain: info.domain,
          host: info.host,
          ports: info.ports,
          websocketUrl: info.websocketUrl,
          caFile: info.caFile,
          accounts: info.accounts.map((a) => a.jid),
          prosodyPid: info.prosodyPid,
          turn: info.turn ? { host: info.turn.host, port: info.turn.port, running: isTurnRunning(info) } : undefined,
          stateFile: labStateFile(dir),
        }
      : { running: false, dir };
    process.stdout.write(JSON.stringify(status, null, 2) + '\n');
  } else {
    process.stdout.write(info ? `The lab is running in ${dir}.\n${describeLab(info)}` : `No lab is running in ${dir}.\n`);
  }
  if (!info) process.exitCode = 3;
}

/** Where the lab listens and who its accounts are; passwords stay in lab.json. */
export function describeLab(info: LabInfo): string {
  const rows: Array<[string, string]> = [
    ['domain', info.domain],
    ['XMPP (STARTTLS)', `${info.host}:${info.ports.c2s}`],
    ['XMPP (direct TLS)', `${info.host}:${info.ports.c2sDirectTls}`],
    ['WebSocket', info.websocketUrl],
    ['STUN/TURN (udp)', info.turn ? `${info.turn.host}:${info.turn.port}` : 'off'],
    ['CA certificate', info.caFile],
    ...(info.brokenServers
      ? [['broken servers', `${info.brokenServers.host}:${info.brokenServers.port}: ${info.brokenServers.servers.map((s) => s.domain).join(', ')}`] as [string, string]]
      : []),
    ...(info.revocation ? [['CRL / OCSP', `${info.revocation.crlUrl} ${info.revocation.ocspUrl}`] as [string, string]] : []),
    ['accounts', info.accounts.map((a) => a.jid).join(', ') || 'none'],
    ['passwords', labStateFile(info.dir)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}\n`).join('');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // exited meanwhile
  }
}
