// The desktop clients of the interop matrix, Dino and Gajim, each run headless in its own sandbox and
// answering by itself, behind the ExternalPeer face the matrix drives. Both only answer (nothing starts a call
// from outside them) and their only ICE candidate is their sandbox link's address, so earshot offers routable
// candidates to reach them. Gajim (Farstream) has no DTLS-SRTP: its cells are plain RTP, marked unencrypted.
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DinoPeer } from './dino-peer.js';
import { GajimPeer } from './gajim-peer.js';
import type { ExternalPeer, ExternalPeerFactory, ExternalPeerStart } from './run-cell.js';

/** How long after earshot hangs up the client is taken to have ended its side (neither reports it to us). */
const END_GRACE_MS = 500;

interface DesktopClient {
  readonly jid: string;
  readonly recordingStartedAt: number | undefined;
  readonly calls: ReadonlyArray<{ playStartedAt: number }>;
  stop(): Promise<void>;
}

export const startDino: ExternalPeerFactory = async (start) => {
  const { server, workDir } = sandboxPlaces(start, 'dino');
  const peer = await DinoPeer.start({ account: start.account, workDir, play: start.play.path, recordPath: start.recordPath, server, trustedCaPem: start.server.caPem });
  return asExternalPeer(peer, server, true);
};

export const startGajim: ExternalPeerFactory = async (start) => {
  const { server, workDir } = sandboxPlaces(start, 'gajim');
  mkdirSync(dirname(workDir), { recursive: true });
  // Gajim runs as an unprivileged user, which must reach its folder through ours (mkdtemp makes them 0700).
  for (let dir = dirname(workDir); dir !== dirname(dir); dir = dirname(dir)) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
  }
  const peer = await GajimPeer.start({ account: start.account, workDir, play: start.play.path, recordPath: start.recordPath, server, trustedCaPem: start.server.caPem });
  return asExternalPeer(peer, server, false);
};

function sandboxPlaces(start: ExternalPeerStart, name: string): { server: { host: string; port: number }; workDir: string } {
  const login = start.server.login(start.account.jid.split('@')[0]!, start.ip);
  return { server: { host: '127.0.0.1', port: login.port! }, workDir: join(dirname(start.recordPath), name) };
}

function asExternalPeer(peer: DesktopClient, server: { host: string; port: number }, encrypted: boolean): ExternalPeer {
  return {
    jid: peer.jid,
    signalling: `c2s ${server.host}:${server.port} from its own network namespace`,
    encrypted,
    routableCandidates: true,
    autoAnswer: () => undefined, // it answers every call from its roster contacts
    hangUp: async () => undefined,
    callEnded: async () => {
      await new Promise((resolve) => setTimeout(resolve, END_GRACE_MS));
      return 'success';
    },
    recordingStartedAt: () => peer.recordingStartedAt,
    speechStartedAt: () => peer.calls.at(-1)?.playStartedAt,
    stop: () => peer.stop(),
  };
}
