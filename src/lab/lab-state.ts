/**
 * What a running lab looks like from outside: the types, where labs live by default, and lab.json,
 * the state file through which other processes (the CLI, `--as alice`) find a running lab.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BrokenServersInfo } from './broken-servers.js';
import { processMatches } from './processes.js';

export interface LabPorts {
  c2s: number;
  c2sDirectTls: number;
  http: number;
  turn: number;
}

export interface LabAccount {
  username: string;
  jid: string;
  password: string;
}

export interface LabInfo {
  dir: string;
  domain: string;
  host: '127.0.0.1';
  ports: LabPorts;
  /** The lab CA's certificate, as a file and as PEM text: trust it explicitly per connection. */
  caFile: string;
  caPem: string;
  accounts: LabAccount[];
  /** Absent when the lab runs without coturn. */
  turn?: { host: string; port: number; secret: string };
  websocketUrl: string;
  prosodyPid: number;
  turnPid?: number;
  /** The lab CA's CRL and OCSP responder, named in the certificates; only in a lab started with its broken servers. */
  revocation?: { crlUrl: string; ocspUrl: string };
  /** Present when the lab was started with its broken servers (tls-check). */
  brokenServers?: BrokenServersInfo;
}

/** What an XMPP login to the lab needs. */
export interface LabLogin {
  jid: string;
  password: string;
  host: string;
  port: number;
  tls: 'starttls';
  ca: string;
}

/** The ports of the CLI's default lab, fixed so that other processes find it. */
export const defaultLabPorts: LabPorts = { c2s: 15222, c2sDirectTls: 15223, http: 15280, turn: 13478 };

/** `$EARSHOT_LAB_DIR`, else ~/.local/state/earshot/lab. */
export function defaultLabDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EARSHOT_LAB_DIR || join(homedir(), '.local/state/earshot/lab');
}

export function labStateFile(dir: string): string {
  return join(dir, 'lab.json');
}

export function prosodyConfigFile(dir: string): string {
  return join(dir, 'prosody.cfg.lua');
}

export function turnPidFile(dir: string): string {
  return join(dir, 'turnserver.pid');
}

/** The state of the lab running in `dir`; undefined when there is none, or its Prosody is no longer running. */
export function readLabState(dir: string): LabInfo | undefined {
  const info = readLabStateFile(dir);
  return info && isProsodyRunning(info) ? info : undefined;
}

/** lab.json as written, whether or not its processes still run; undefined when missing or unreadable. */
export function readLabStateFile(dir: string): LabInfo | undefined {
  const file = labStateFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LabInfo;
    return typeof info.prosodyPid === 'number' && Array.isArray(info.accounts) && typeof info.ports === 'object' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Written atomically, readable only by its owner: it holds the lab accounts' passwords. */
export function writeLabState(info: LabInfo): void {
  const file = labStateFile(info.dir);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(temporary, file);
}

export function isProsodyRunning(info: LabInfo): boolean {
  return processMatches(info.prosodyPid, ['prosody', prosodyConfigFile(info.dir)]);
}

export function isBrokenServersRunning(info: LabInfo): boolean {
  return info.brokenServers !== undefined && processMatches(info.brokenServers.pid, ['prosody', info.brokenServers.configFile]);
}

export function isTurnRunning(info: LabInfo): boolean {
  return info.turnPid !== undefined && processMatches(info.turnPid, ['turnserver', turnPidFile(info.dir)]);
}

export function labAccountConfig(info: LabInfo, username: string): LabLogin {
  const account = info.accounts.find((a) => a.username === username || a.jid === username);
  if (!account) {
    throw new Error(`the lab has no account "${username}" (it has: ${info.accounts.map((a) => a.username).join(', ') || 'none'})`);
  }
  return { jid: account.jid, password: account.password, host: info.host, port: info.ports.c2s, tls: 'starttls', ca: info.caPem };
}
