/** Per-packet receive log, and the RFC 3550 interarrival jitter computed from it. */
import { writeFile } from 'node:fs/promises';
import { timestampDistance } from './rtp-packet.js';

/** What became of a received packet: played, or discarded as late, duplicate, or to cut delay. */
export type PacketFate = 'played' | 'late' | 'duplicate' | 'dropped';

export interface PacketLogEntry {
  arrivalMs: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  payloadType: number;
  /** Payload bytes. */
  size: number;
  fate?: PacketFate;
}

export class PacketLog {
  readonly entries: PacketLogEntry[] = [];

  /** Appends an entry and returns it, so its fate can be filled in later. */
  add(entry: PacketLogEntry): PacketLogEntry {
    this.entries.push(entry);
    return entry;
  }

  /** One JSON object per line, in arrival order. */
  toJsonLines(): string {
    return this.entries.map((entry) => JSON.stringify(entry)).join('\n') + (this.entries.length ? '\n' : '');
  }

  async writeJsonLines(path: string): Promise<void> {
    await writeFile(path, this.toJsonLines());
  }
}

/**
 * RFC 3550 section 6.4.1 / A.8 interarrival jitter, in ms: over packets in arrival order,
 * D = (R_j - R_i) - (S_j - S_i) in timestamp units and J += (|D| - J) / 16. Duplicates are
 * skipped; the estimate restarts its transit reference when the SSRC changes.
 */
export function rfc3550Jitter(entries: readonly PacketLogEntry[], clockRate: number): number {
  let jitter = 0;
  let previous: PacketLogEntry | undefined;
  for (const entry of entries) {
    if (entry.fate === 'duplicate') continue;
    if (previous && previous.ssrc === entry.ssrc) {
      const arrivalUnits = ((entry.arrivalMs - previous.arrivalMs) * clockRate) / 1000;
      const difference = arrivalUnits - timestampDistance(previous.timestamp, entry.timestamp);
      jitter += (Math.abs(difference) - jitter) / 16;
    }
    previous = entry;
  }
  return (jitter * 1000) / clockRate;
}
