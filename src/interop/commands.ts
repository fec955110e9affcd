// Short-lived helper commands (ip, nsenter, sqlite3, pactl, gdbus) run to completion, with the command's own
// error output in the message when they fail; waiting for a condition, and polling until stopped.
import { execFile } from 'node:child_process';

export class InteropError extends Error {
  override name = 'InteropError';
}

export interface CommandOptions {
  /** Written to the command's stdin (keeps secrets off the command line). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 10 s. */
  timeoutMs?: number;
}

/** Runs `command` and resolves with its stdout; rejects with an InteropError carrying its stderr. */
export function runCommand(command: string, args: string[], options: CommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { env: options.env ?? process.env, timeout: options.timeoutMs ?? 10_000 }, (error, stdout, stderr) => {
      if (error) {
        const why = String(stderr).trim() || error.message;
        reject(new InteropError(`${command} ${args.slice(0, 3).join(' ')} failed: ${why}`));
      } else {
        resolve(String(stdout));
      }
    });
    child.stdin?.on('error', () => undefined); // a command that exits without reading its input: its exit status tells
    child.stdin?.end(options.input ?? '');
  });
}

/** `env -i` arguments that start `command` with exactly `env` (plus PATH): for ManagedProcess, which has no env option. */
export function withEnvironment(env: Record<string, string>, command: string, args: string[]): string[] {
  const path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin';
  return ['-i', `PATH=${path}`, ...Object.entries(env).map(([key, value]) => `${key}=${value}`), command, ...args];
}

/** Polls `check` every `intervalMs` until it returns a value; rejects with `what` at the deadline or when `giveUp()` says why. */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; giveUp?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const reason = options.giveUp?.();
    if (reason) throw new InteropError(`${what}: ${reason}`);
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new InteropError(`${what}: not within ${options.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** Runs `step` every `intervalMs` (counted from the end of the previous run) until stop(); a failed run goes to `onError`. */
export class Poller {
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly step: () => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {
    this.schedule();
  }

  /** No run starts after this; resolves once the one under way (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.running = this.step()
        .catch(this.onError)
        .finally(() => this.schedule());
    }, this.intervalMs);
  }
}
