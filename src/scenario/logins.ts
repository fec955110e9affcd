// A script's accounts made into logins: lab accounts from the lab's state, others with their password read
// from the environment variable or file the script names (relative files against the script's folder).
// Passwords are registered for redaction as soon as they are read.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { labAccountConfig, type LabInfo } from '../lab/index.js';
import { redact } from '../util/index.js';
import type { XmppAccount } from '../xmpp/index.js';
import type { AccountRef, Scenario } from './model.js';

export class LoginError extends Error {
  override readonly name = 'LoginError';
}

/** A login earshot uses, or a client it only calls (external: its JID is the call's target). */
export type Login = { kind: 'earshot'; account: XmppAccount } | { kind: 'external'; jid: string };

export interface LoginSources {
  /** The running lab, for `lab:` accounts. */
  lab?: LabInfo;
  /** The script's folder: passwordFile and ca are relative to it. */
  baseDir: string;
  env?: NodeJS.ProcessEnv;
}

export function usesLab(scenario: Scenario): boolean {
  return Object.values(scenario.accounts).some((ref) => 'lab' in ref);
}

/** Every account of the script as a login; all problems at once, before anything connects. */
export function resolveLogins(scenario: Scenario, sources: LoginSources): Record<string, Login> {
  const problems: string[] = [];
  const logins: Record<string, Login> = {};
  for (const [name, ref] of Object.entries(scenario.accounts)) {
    try {
      logins[name] = resolveLogin(ref, sources);
    } catch (error) {
      problems.push(`account ${name}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new LoginError(problems.join('\n'));
  return logins;
}

function resolveLogin(ref: AccountRef, sources: LoginSources): Login {
  if ('external' in ref) return { kind: 'external', jid: ref.jid };
  if ('lab' in ref) {
    if (!sources.lab) throw new LoginError('needs the lab (earshot lab up)');
    if (!sources.lab.accounts.some((account) => account.username === ref.lab)) {
      throw new LoginError(`the lab has no account ${ref.lab} (it has ${sources.lab.accounts.map((a) => a.username).join(', ')})`);
    }
    return { kind: 'earshot', account: labAccountConfig(sources.lab, ref.lab) };
  }
  const password = ref.passwordEnv !== undefined ? fromEnv(ref.passwordEnv, sources.env ?? process.env) : fromFile(resolve(sources.baseDir, ref.passwordFile));
  redact(password);
  return {
    kind: 'earshot',
    account: {
      jid: ref.jid,
      password,
      host: ref.host,
      port: ref.port,
      tls: ref.tls,
      ca: ref.ca === undefined ? undefined : readFileSync(resolve(sources.baseDir, ref.ca), 'utf8'),
    },
  };
}

function fromEnv(variable: string, env: NodeJS.ProcessEnv): string {
  const value = env[variable];
  if (!value) throw new LoginError(`environment variable ${variable} (passwordEnv) is not set`);
  return value;
}

function fromFile(path: string): string {
  if (!existsSync(path)) throw new LoginError(`password file ${path} does not exist`);
  const password = readFileSync(path, 'utf8').trim();
  if (!password) throw new LoginError(`password file ${path} is empty`);
  return password;
}
