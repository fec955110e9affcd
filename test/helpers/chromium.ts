/**
 * Debian's headless Chromium for tests that look at a page as a person would: the DOM after scripts ran, or a
 * screenshot. Each launch gets a fresh profile (removed afterwards) and no network but the page's own files.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

/** Why Chromium cannot run here, or null when it can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (Debian package "chromium")`;
}

const QUIET_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

export interface PageOptions {
  /** Viewport, default 1280 x 2400. */
  width?: number;
  height?: number;
  timeoutMs?: number;
}

/** The DOM of the page at `path` once loaded and its scripts have had up to a second of (virtual) time. */
export async function dumpDom(path: string, options: PageOptions = {}): Promise<string> {
  return runChromium(['--virtual-time-budget=1000', '--dump-dom', pathToFileURL(path).href], options);
}

/** A PNG of the page at `path`, the size of the viewport. */
export async function screenshot(path: string, pngPath: string, options: PageOptions = {}): Promise<void> {
  await runChromium([`--screenshot=${pngPath}`, pathToFileURL(path).href], options);
  if (!existsSync(pngPath)) throw new Error(`chromium wrote no screenshot to ${pngPath}`);
}

async function runChromium(args: string[], options: PageOptions): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'earshot-chromium-'));
  const size = `--window-size=${options.width ?? 1280},${options.height ?? 2400}`;
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(
        CHROMIUM,
        [...QUIET_FLAGS, `--user-data-dir=${profile}`, size, ...args],
        { timeout: options.timeoutMs ?? 30_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => (error ? reject(new Error(`chromium failed: ${error.message}\n${stderr.slice(-2000)}`)) : resolve(stdout)),
      );
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
