// A headless client's log file (its own output and debug lines), read while the client appends to it.
import { readFileSync } from 'node:fs';
import type { ClientSandbox } from './client-sandbox.js';
import { InteropError, waitUntil } from './commands.js';

const WARNINGS_SHOWN = 12;

export class ClientLog {
  constructor(
    readonly path: string,
    /** The lines worth showing when the client fails: its warnings and errors. */
    private readonly warning: RegExp,
  ) {}

  /** Everything written so far; empty before the file exists. */
  text(): string {
    try {
      return readFileSync(this.path, 'utf8');
    } catch {
      return '';
    }
  }

  /** The last few warning lines. */
  lastWarnings(): string {
    return this.text()
      .split('\n')
      .filter((line) => this.warning.test(line))
      .slice(-WARNINGS_SHOWN)
      .join('\n');
  }

  /**
   * Waits until `find` gives a value for what was written after offset `from`, and resolves with it; rejects
   * with the last warnings when the client exits first or `timeoutMs` passes.
   */
  async waitFor<T>(what: string, from: number, find: (written: string) => T | undefined, client: ClientSandbox, timeoutMs: number): Promise<T> {
    return waitUntil(what, () => find(this.text().slice(from)), {
      timeoutMs,
      intervalMs: 100,
      giveUp: () => (client.client.exited ? `it exited:\n${client.client.outputTail().trim()}\n${this.lastWarnings()}` : undefined),
    }).catch((error: Error) => {
      throw new InteropError(`${error.message}\n--- last warnings in ${this.path}:\n${this.lastWarnings()}`);
    });
  }
}
