/**
 * The lab's child processes (Prosody, coturn): started in their own process group so a terminal's
 * Ctrl-C reaches only earshot, which then stops them cleanly, and never outliving earshot:
 * - when earshot exits, or gets SIGINT/SIGTERM/SIGHUP with nobody else handling it, they get SIGTERM;
 * - when earshot dies without a chance to clean up (SIGKILL, crash), a watchdog shell per child sees
 *   its stdin pipe from earshot close and kills the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Event } from '../util/index.js';

const outputLines = 40;

export class ManagedProcess {
  /** Emitted once, when the process has exited. */
  readonly onExit = new Event<[code: number | null, signal: NodeJS.Signals | null]>();
  exited = false;
  private readonly output: string[] = [];
  private readonly exitPromise: Promise<void>;

  private constructor(
    readonly name: string,
    child: ChildProcess,
    readonly pid: number,
    watchdog: ChildProcess,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        liveProcesses.delete(this);
        watchdog.kill('SIGKILL');
        this.onExit.emit(code, signal);
        resolve();
      });
    });
    child.on('error', (error) => this.remember(`${error.message}\n`)); // e.g. a failed kill(): kept for the output tail rather than crashing
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.remember(chunk));
    }
  }

  /** Resolves once the process is running; rejects when it cannot be started (not installed, ...). */
  static spawn(name: string, command: string, args: string[], cwd: string): Promise<ManagedProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child.once('error', reject);
      child.once('spawn', () => {
        child.removeListener('error', reject);
        const pid = child.pid as number;
        const managed = new ManagedProcess(name, child, pid, startWatchdog(pid));
        liveProcesses.add(managed);
        installExitHooks();
        resolve(managed);
      });
    });
  }

  /** The last lines the process wrote to stdout/stderr. */
  outputTail(): string {
    return this.output.join('');
  }

  waitForExit(): Promise<void> {
    return this.exitPromise;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Safe to call again. */
  async terminate(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exitPromise, killed]);
    clearTimeout(timer);
    await this.exitPromise;
  }

  /** Synchronous, for exit hooks: to the whole process group (spawned detached), so helpers it started go too. */
  signal(signal: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  private remember(chunk: string): void {
    this.output.push(...chunk.split(/(?<=\n)/));
    if (this.output.length > outputLines) this.output.splice(0, this.output.length - outputLines);
  }
}

function startWatchdog(pid: number): ChildProcess {
  const script = 'read _ignored; kill -TERM "$0" 2>/dev/null; sleep 3; kill -KILL "$0" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, String(pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => undefined); // without sh the exit hooks still cover every orderly exit
  watchdog.unref();
  (watchdog.stdin as unknown as { unref(): void } | null)?.unref();
  return watchdog;
}

const liveProcesses = new Set<ManagedProcess>();
let exitHooksInstalled = false;

function terminateAllNow(): void {
  for (const managed of liveProcesses) managed.signal('SIGTERM');
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', terminateAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // Another handler (earshot lab up, mocha) owns this signal and will exit, which runs the exit hook.
      if (process.listenerCount(signal) > 1) return;
      terminateAllNow();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Polls until a TCP connection to host:port succeeds; rejects at the deadline or when `giveUp()` says so. */
export async function waitForTcp(host: string, port: number, timeoutMs: number, giveUp: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = giveUp();
    if (reason) throw new Error(reason);
    if (await tcpAccepts(host, port)) return;
    if (Date.now() > deadline) throw new Error(`nothing accepted TCP connections on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether `pid` is alive and its command line contains every marker (Linux /proc). */
export function processMatches(pid: number, markers: string[]): boolean {
  const file = `/proc/${pid}/cmdline`;
  if (!Number.isInteger(pid) || pid <= 0 || !existsSync(file)) return false;
  let commandLine: string;
  try {
    commandLine = readFileSync(file, 'utf8').split('\0').join(' ');
  } catch {
    return false;
  }
  return markers.every((marker) => commandLine.includes(marker));
}

/** Looks `command` up in $PATH. */
export function findExecutable(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(`${dir}/${command}`)) return `${dir}/${command}`;
  }
  return undefined;
}
