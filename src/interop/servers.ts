// The servers an interop run calls through: the lab's Prosody (and its coturn), and Debian's ejabberd beside it on
// free ports with the lab's certificate, CA, accounts and TURN secret. A server that cannot start is not an error
// of the run: its cells say why they were not run.
import { join } from 'node:path';
import { EjabberdServer, isEjabberdInstalled } from '../lab/ejabberd.js';
import { Lab } from '../lab/lab.js';
import type { LabAccount, LabInfo } from '../lab/lab-state.js';
import { freeTcpPort } from '../lab/ports.js';
import type { XmppAccount } from '../xmpp/connection.js';
import type { IpVersion, ServerKind } from './matrix.js';

/** Accounts every interop server has: one per peer and role, so that no two ends of a call share one. */
export const INTEROP_ACCOUNTS = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;

/** How to reach one running server, over IPv4 or IPv6. */
export interface InteropServer {
  kind: ServerKind;
  domain: string;
  caPem: string;
  accounts: readonly LabAccount[];
  /** The TURN server announced through XEP-0215; absent when none runs. */
  turn?: { host: string; port: number };
  /** Whether the server also listens on ::1. */
  ipv6: boolean;
  /** A STARTTLS login to the c2s port (earshot's XmppAccount). */
  login(username: string, ip: IpVersion): XmppAccount;
  /** The XMPP-over-WebSocket URL on 127.0.0.1 or [::1]. */
  websocketUrl(ip: IpVersion): string;
}

export interface InteropServersOptions {
  /** Folder for the servers' configuration, data and logs. */
  dir: string;
  servers: readonly ServerKind[];
  /** Let the servers listen on ::1 too. */
  ipv6: boolean;
  /**
   * A running lab to use for Prosody and TURN instead of starting one (it must have INTEROP_ACCOUNTS, or they are
   * registered); it is left running. Its IPv6 listening is unknown, so IPv6 cells on it are not run.
   */
  lab?: Lab;
}

export class InteropServers {
  private constructor(
    private readonly running: Map<ServerKind, InteropServer>,
    /** Why a requested server is not running. */
    private readonly missing: Map<ServerKind, string>,
    private readonly stops: Array<() => Promise<void>>,
  ) {}

  static async start(options: InteropServersOptions): Promise<InteropServers> {
    const running = new Map<ServerKind, InteropServer>();
    const missing = new Map<ServerKind, string>();
    const stops: Array<() => Promise<void>> = [];
    const lab = options.lab ?? (await Lab.start({ dir: join(options.dir, 'prosody'), ipv6: options.ipv6, accounts: [...INTEROP_ACCOUNTS] }));
    if (!options.lab) stops.push(() => lab.stop());
    const servers = new InteropServers(running, missing, stops);
    try {
      const ipv6 = options.lab ? false : options.ipv6;
      const accounts = await ensureAccounts(lab);
      if (options.servers.includes('prosody')) running.set('prosody', prosodyServer(lab.info, accounts, ipv6));
      if (options.servers.includes('ejabberd')) {
        try {
          const ejabberd = await startEjabberd(options.dir, lab.info, accounts, options.ipv6);
          stops.push(() => ejabberd.stop());
          running.set('ejabberd', ejabberdServer(ejabberd, options.ipv6));
        } catch (error) {
          missing.set('ejabberd', `ejabberd did not start: ${(error as Error).message.split('\n')[0]}`);
        }
      }
      return servers;
    } catch (error) {
      await servers.stop();
      throw error;
    }
  }

  /** The running server of this kind, or why there is none. */
  get(kind: ServerKind): InteropServer | string {
    return this.running.get(kind) ?? this.missing.get(kind) ?? `${kind} was not requested`;
  }

  /** Stops what this run started (not a lab it was given). Safe to call more than once. */
  async stop(): Promise<void> {
    await Promise.all(this.stops.splice(0).map((stop) => stop()));
  }
}

async function ensureAccounts(lab: Lab): Promise<LabAccount[]> {
  for (const username of INTEROP_ACCOUNTS) {
    if (!lab.info.accounts.some((account) => account.username === username)) await lab.registerAccount(username);
  }
  return INTEROP_ACCOUNTS.map((username) => lab.info.accounts.find((account) => account.username === username)!);
}

function prosodyServer(info: LabInfo, accounts: readonly LabAccount[], ipv6: boolean): InteropServer {
  return {
    kind: 'prosody',
    domain: info.domain,
    caPem: info.caPem,
    accounts,
    turn: info.turn && { host: info.turn.host, port: info.turn.port },
    ipv6,
    login: (username, ip) => ({ ...accountLogin(accounts, username), host: hostFor(ip), port: info.ports.c2s, tls: 'starttls', ca: info.caPem }),
    websocketUrl: (ip) => onHost(info.websocketUrl, ip),
  };
}

async function startEjabberd(dir: string, info: LabInfo, accounts: readonly LabAccount[], ipv6: boolean): Promise<EjabberdServer> {
  if (!isEjabberdInstalled()) throw new Error('ejabberd is not installed (apt-get install -y ejabberd)');
  const certs = join(info.dir, 'certs');
  return EjabberdServer.start({
    dir: join(dir, 'ejabberd'),
    domain: info.domain,
    ports: { c2s: await freeTcpPort(), http: await freeTcpPort() },
    certificateFile: join(certs, 'server.crt'),
    keyFile: join(certs, 'server.key'),
    caFile: info.caFile,
    accounts: accounts.map(({ username, password }) => ({ username, password })),
    ...(info.turn && { turn: info.turn }),
    ipv6,
  });
}

function ejabberdServer(server: EjabberdServer, ipv6: boolean): InteropServer {
  const { info } = server;
  return {
    kind: 'ejabberd',
    domain: info.domain,
    caPem: info.caPem,
    accounts: info.accounts,
    turn: info.turn && { host: info.turn.host, port: info.turn.port },
    ipv6,
    login: (username, ip) => ({ ...server.login(username), host: hostFor(ip) }),
    websocketUrl: (ip) => onHost(info.websocketUrl, ip),
  };
}

function accountLogin(accounts: readonly LabAccount[], username: string): { jid: string; password: string } {
  const account = accounts.find((candidate) => candidate.username === username);
  if (!account) throw new Error(`no interop account "${username}"`);
  return { jid: account.jid, password: account.password };
}

function hostFor(ip: IpVersion): string {
  return ip === 6 ? '::1' : '127.0.0.1';
}

/** The lab's URLs name 127.0.0.1; over IPv6 the same port on [::1]. */
function onHost(url: string, ip: IpVersion): string {
  return ip === 6 ? url.replace('//127.0.0.1:', '//[::1]:') : url;
}
