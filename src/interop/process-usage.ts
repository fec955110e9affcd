// A running process's memory and CPU time, read from Linux's /proc.
import { readFileSync } from 'node:fs';
import { InteropError } from './commands.js';

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times, on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcessUsage {
  rssBytes: number;
  /** User + system CPU time since the process started. */
  cpuSeconds: number;
}

/** `name` says whose process it is in the error when it is not running. */
export function processUsage(pid: number, name: string): ProcessUsage {
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readProc(pid, 'status'))?.[1] ?? NaN);
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
  const fields = readProc(pid, 'stat').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(rssKb) || !Number.isFinite(ticks)) throw new InteropError(`${name} (pid ${pid}) is not running`);
  return { rssBytes: rssKb * 1024, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}
