// Dino as a cell of the interop matrix: a DinoPeer (headless, auto-answering) behind the ExternalPeer face the
// matrix drives. Dino only answers (nothing starts a call from outside it), and its only ICE candidate is the
// address of its sandbox's link, so earshot must offer routable candidates to reach it.
import { join } from 'node:path';
import { DinoPeer } from './dino-peer.js';
import type { ExternalPeer, ExternalPeerFactory } from './run-cell.js';

/** How long after earshot hangs up Dino is taken to have ended its side (it reports no end of its own). */
const END_GRACE_MS = 500;

export const startDino: ExternalPeerFactory = async (start) => {
  const login = start.server.login(start.account.jid.split('@')[0]!, start.ip);
  const peer = await DinoPeer.start({
    account: start.account,
    workDir: join(start.recordPath, '..', 'dino'),
    play: start.play.path,
    recordPath: start.recordPath,
    server: { host: '127.0.0.1', port: login.port! },
    trustedCaPem: start.server.caPem,
  });
  const dino: ExternalPeer = {
    jid: peer.jid,
    signalling: `c2s 127.0.0.1:${login.port} from its own network namespace`,
    encrypted: true,
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
  return dino;
};
