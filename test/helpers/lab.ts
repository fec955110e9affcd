/**
 * One lab per mocha run, shared by every test that needs a real server: started on first use
 * (temporary folder, free ports), stopped by the root hook below. Loaded through .mocharc.json's "require".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../src/lab/index.js';

let started: { dir: string; lab: Promise<Lab> } | undefined;

/** The run's lab. A failed start fails every caller with the same error rather than retrying. */
export function sharedLab(): Promise<Lab> {
  if (!started) {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-lab-'));
    started = { dir, lab: Lab.start({ dir }) };
  }
  return started.lab;
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    if (!started) return;
    const { dir, lab } = started;
    started = undefined;
    await (await lab.catch(() => undefined))?.stop();
    rmSync(dir, { recursive: true, force: true });
  },
};
