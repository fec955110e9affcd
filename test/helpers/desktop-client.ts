// What the desktop-client interop tests (Dino, Gajim) share: skipping with the reason and the apt-get line when
// the machine cannot run the client, and how they print a call's timeline and a process's memory.
import type { Context } from 'mocha';
import type { CallLegResult } from '../../src/call/index.js';
import { findExecutable } from '../../src/lab/processes.js';

export interface DesktopClientNeeds {
  client: string;
  /** Executables that must be on the PATH. */
  tools: readonly string[];
  /** Why the client needs root. */
  rootBecause: string;
  /** The Debian packages that provide the tools. */
  packages: readonly string[];
}

/** Skips the suite (from its before hook) unless every tool is there and the tests run as root. */
export function skipUnlessDesktopClientCanRun(context: Context, needs: DesktopClientNeeds): void {
  const missing = needs.tools.filter((tool) => !findExecutable(tool));
  if (missing.length === 0 && process.getuid?.() === 0) return;
  const why = missing.length > 0 ? `missing ${missing.join(', ')}` : `not root (${needs.rootBecause})`;
  console.log(`      skipped: ${needs.client} interop needs ${why}; apt-get install -y ${needs.packages.join(' ')}`);
  context.skip();
}

export function timeline(leg: CallLegResult): string {
  return leg.timeline.map((entry) => `${entry.atMs} ${entry.event}`).join(', ');
}

export function mb(bytes: number): number {
  return Math.round(bytes / 1048576);
}
