// What a call leg leaves beside its recording when it ends: the pcap of its RTP/RTCP, the log of every received
// packet, and the impairment's fate of every packet; and the impairment's summary for the leg's result. A file
// that cannot be written is left out with a warning: the call's result and recording stand without it.
import { writeFile } from 'node:fs/promises';
import type { PacketCapture, Playout } from '../media/index.js';
import type { ImpairedLink } from '../netsim/index.js';
import { logger } from '../util/index.js';
import type { CallLegResult } from './result.js';

const log = logger('call');

export async function writeCapture(capture: PacketCapture, path: string): Promise<string | undefined> {
  try {
    await capture.writeTo(path);
    return path;
  } catch (error) {
    log.warn(`capture not written to ${path}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Beside the recording: one JSON line per received packet (arrival, seq, timestamp, size, fate). */
export async function writePacketLog(playout: Playout, recordPath: string): Promise<string | undefined> {
  const path = besideRecording(recordPath, 'packets.jsonl');
  try {
    await playout.log.writeJsonLines(path);
    return path;
  } catch (error) {
    log.warn(`packet log not written to ${path}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Beside the recording: the impairment's fate of every packet, both directions, one JSON line each. */
export async function writeFateLog(link: ImpairedLink, recordPath: string): Promise<string | undefined> {
  const path = besideRecording(recordPath, 'impairment.jsonl');
  const lines = (['up', 'down'] as const).flatMap((direction) => link.fates(direction).map((fate) => JSON.stringify({ direction, ...fate })));
  try {
    await writeFile(path, lines.length ? `${lines.join('\n')}\n` : '');
    return path;
  } catch (error) {
    log.warn(`impairment log not written to ${path}: ${(error as Error).message}`);
    return undefined;
  }
}

/** What the impairment did, per direction, from its fate log (RTP only: what the call statistics can be checked against). */
export function describeImpairmentRun(link: ImpairedLink): NonNullable<CallLegResult['impairment']> {
  const direction = (name: 'up' | 'down') => {
    const fates = link.fates(name).filter((fate) => fate.kind === 'rtp');
    const delivered = fates.filter((fate) => fate.fate === 'delivered');
    const delays = delivered.map((fate) => fate.delayMs ?? 0);
    return {
      packets: fates.length,
      delivered: delivered.length,
      lost: fates.filter((fate) => fate.fate === 'lost').length,
      droppedByQueue: fates.filter((fate) => fate.fate === 'dropped-queue').length,
      lostInOutage: fates.filter((fate) => fate.fate === 'outage').length,
      duplicated: fates.filter((fate) => fate.duplicated).length,
      meanDelayMs: delays.length ? Math.round((delays.reduce((sum, d) => sum + d, 0) / delays.length) * 10) / 10 : 0,
    };
  };
  return { profile: link.applied.join(' then '), source: link.profile.source, seed: link.seed, up: direction('up'), down: direction('down') };
}

function besideRecording(recordPath: string, suffix: string): string {
  return `${recordPath.replace(/\.wav$/i, '')}.${suffix}`;
}
