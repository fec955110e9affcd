/**
 * Where `--as ACCOUNT` finds its login. In order:
 * 1. a lab account name or JID (`alice`, `alice@localhost`) when a lab is running: credentials from its lab.json;
 * 2. an entry of the accounts file (`--accounts FILE`, `$EARSHOT_ACCOUNTS`, or ~/.config/earshot/accounts.yaml):
 *      alice:
 *        jid: alice@example.org
 *        password-env: ALICE_PASSWORD      # or password-file: ~/.secrets/alice
 *        host: xmpp.example.org            # optional; port, tls (starttls|direct), ca (PEM file) too
 * 3. a JID with its password in `$EARSHOT_PASSWORD`.
 * Passwords are registered for redaction as soon as they are read, and never printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { redact } from '../util/index.js';
import type { XmppAccount } from '../xmpp/index.js';
import { defaultLabDir, readLabState, labAccountConfig, type LabInfo } from '../lab/index.js';

export interface AccountSources {
  accountsFile?: string;
  labDir?: string;
  env?: NodeJS.ProcessEnv;
}

export class AccountError extends Error {
  override name = 'AccountError';
}

export function resolveAccount(name: string, sources: AccountSources = {}): XmppAccount {
  const env = sources.env ?? process.env;
  const lab = readLabState(sources.labDir ?? defaultLabDir());
  const fromLab = lab && labAccount(lab, name);
  if (fromLab) return remember(fromLab);

  const fromFile = fileAccount(name, sources.accountsFile ?? env.EARSHOT_ACCOUNTS ?? join(homedir(), '.config/earshot/accounts.yaml'), env);
  if (fromFile) return remember(fromFile);

  if (name.includes('@') && env.EARSHOT_PASSWORD) return remember({ jid: name, password: env.EARSHOT_PASSWORD });
  throw new AccountError(
    `no credentials for "${name}": start the lab (earshot lab up) for its accounts, add it to an accounts file, ` +
      'or give a JID with its password in $EARSHOT_PASSWORD',
  );
}

function labAccount(lab: LabInfo, name: string): XmppAccount | undefined {
  const account = lab.accounts.find((a) => a.username === name || a.jid === name);
  return account && labAccountConfig(lab, account.username);
}

interface AccountEntry {
  jid?: unknown;
  'password-env'?: unknown;
  'password-file'?: unknown;
  host?: unknown;
  port?: unknown;
  tls?: unknown;
  ca?: unknown;
}

function fileAccount(name: string, file: string, env: NodeJS.ProcessEnv): XmppAccount | undefined {
  if (!existsSync(file)) return undefined;
  let entries: Record<string, AccountEntry>;
  try {
    entries = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, AccountEntry>;
  } catch (error) {
    throw new AccountError(`${file}: ${(error as Error).message}`);
  }
  const [key, entry] = Object.entries(entries).find(([k, e]) => k === name || e?.jid === name) ?? [];
  if (!key || !entry) return undefined;
  const where = `${file}: account "${key}"`;
  if (typeof entry.jid !== 'string' || !entry.jid.includes('@')) throw new AccountError(`${where}: "jid" must be a JID`);
  const password = readPassword(entry, env, where);
  const tls = entry.tls ?? 'starttls';
  if (tls !== 'starttls' && tls !== 'direct') throw new AccountError(`${where}: "tls" must be starttls or direct`);
  return {
    jid: entry.jid,
    password,
    host: typeof entry.host === 'string' ? entry.host : undefined,
    port: typeof entry.port === 'number' ? entry.port : undefined,
    tls,
    ca: typeof entry.ca === 'string' ? readFileSync(expandHome(entry.ca), 'utf8') : undefined,
  };
}

function readPassword(entry: AccountEntry, env: NodeJS.ProcessEnv, where: string): string {
  if (typeof entry['password-env'] === 'string') {
    const value = env[entry['password-env']];
    if (!value) throw new AccountError(`${where}: environment variable ${entry['password-env']} is not set`);
    return value;
  }
  if (typeof entry['password-file'] === 'string') {
    const path = expandHome(entry['password-file']);
    if (!existsSync(path)) throw new AccountError(`${where}: password file ${path} does not exist`);
    return readFileSync(path, 'utf8').trim();
  }
  throw new AccountError(`${where}: give "password-env" or "password-file" (passwords are never written inline)`);
}

function expandHome(path: string): string {
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

function remember(account: XmppAccount): XmppAccount {
  redact(account.password);
  return account;
}
