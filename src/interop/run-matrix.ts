// The whole interop run: start the servers, run the matrix's cells one after the other, stop the servers.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReferenceAudio } from '../call/call.js';
import type { Lab } from '../lab/lab.js';
import { matrixCells, type InteropCell, type InteropMatrix, type MatrixOptions } from './matrix.js';
import { reversedReference, runCell, type ExternalPeerFactory } from './run-cell.js';
import { InteropServers } from './servers.js';
import type { PeerKind } from './matrix.js';

export interface InteropRunOptions extends MatrixOptions {
  /** Folder for the servers, recordings and reversed speech; kept after the run. */
  workDir: string;
  /** Speech earshot plays; the other peers play it backwards. */
  reference: ReferenceAudio;
  durationMs: number;
  /** A running lab to call through instead of starting one (tests share theirs). */
  lab?: Lab;
  /** Peers besides earshot and stanzajs (Dino), by kind. */
  externalPeers?: Partial<Record<PeerKind, ExternalPeerFactory>>;
  /** Called after each cell, for progress output. */
  onCell?: (cell: InteropCell, index: number, total: number) => void;
}

export async function runInteropMatrix(options: InteropRunOptions): Promise<InteropMatrix> {
  const specs = matrixCells(options);
  mkdirSync(options.workDir, { recursive: true });
  const servers = await InteropServers.start({ dir: join(options.workDir, 'servers'), servers: options.servers, ipv6: options.ip.includes(6), lab: options.lab });
  try {
    const peerReference = reversedReference(options.reference, join(options.workDir, 'peer-reference.wav'));
    const cells: InteropCell[] = [];
    for (const spec of specs) {
      const cell = await runCell(spec, {
        servers,
        reference: options.reference,
        peerReference,
        durationMs: options.durationMs,
        workDir: join(options.workDir, 'cells'),
        externalPeers: options.externalPeers,
      });
      cells.push(cell);
      options.onCell?.(cell, cells.length, specs.length);
    }
    return { cells };
  } finally {
    await servers.stop();
  }
}
