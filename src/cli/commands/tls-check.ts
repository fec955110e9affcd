/**
 * `earshot tls-check`: the 2010 interop event's scripted client tests. `--lab` runs them against
 * the lab's good and broken servers (those of a lab started with `earshot lab up --broken`, else
 * a temporary lab of its own); `--server HOST[:PORT] --domain D` against any server, logging in
 * too when given an account. Exit code 0 only when every test went as expected.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Lab } from '../../lab/lab.js';
import { defaultLabDir, readLabState } from '../../lab/lab-state.js';
import { tlsCheckLab } from '../../tlscheck/lab-suite.js';
import { allPassed, reportJson, reportTable, type TlsCheckReport } from '../../tlscheck/report.js';
import { tlsCheckServer } from '../../tlscheck/server-suite.js';
import { resolveAccount } from '../accounts.js';

interface TlsCheckFlags {
  lab?: boolean;
  dir?: string;
  server?: string;
  domain?: string;
  ca?: string;
  account?: string;
  accounts?: string;
  revocation: string;
  json?: boolean;
}

export function registerTlsCheckCommand(program: Command): void {
  program
    .command('tls-check')
    .description('the 2010 interop scripted client tests: TLS required, certificate checks (expiry, revocation by CRL and OCSP, issuer, name), TLS 1.2+, SCRAM-SHA-1-PLUS, IPv6')
    .option('--lab', "against the lab's good and broken servers")
    .option('--dir <dir>', 'lab folder to look for a lab running with --broken (default $EARSHOT_LAB_DIR or ~/.local/state/earshot/lab)')
    .option('--server <host[:port]>', 'against this server (port default 5222; [v6]:port for IPv6)')
    .option('--domain <domain>', 'the XMPP domain the server must prove it is (with --server; default the host)')
    .option('--ca <file>', 'also trust this CA certificate (PEM), with --server')
    .option('--account <name>', 'also log in: a lab account, an accounts-file entry, or a JID with $EARSHOT_PASSWORD')
    .option('--accounts <file>', 'accounts file (default $EARSHOT_ACCOUNTS or ~/.config/earshot/accounts.yaml)')
    .option('--revocation <policy>', 'when no CRL/OCSP responder answers: soft-fail (warn and go on) or hard-fail', 'soft-fail')
    .option('--json', 'print { "tests": [ { name, server, expected, result, reason } ] }')
    .action((flags: TlsCheckFlags) => tlsCheck(flags));
}

async function tlsCheck(flags: TlsCheckFlags): Promise<void> {
  if (flags.lab === (flags.server !== undefined)) throw new Error('give either --lab or --server HOST[:PORT]');
  if (flags.revocation !== 'soft-fail' && flags.revocation !== 'hard-fail') throw new Error(`--revocation must be soft-fail or hard-fail, got "${flags.revocation}"`);
  const report = flags.lab ? await checkLab(resolve(flags.dir ?? defaultLabDir())) : await checkServer(flags.server!, flags);
  process.stdout.write(flags.json ? `${JSON.stringify(reportJson(report), null, 2)}\n` : reportTable(report));
  process.exitCode = allPassed(report) ? 0 : 1;
}

async function checkLab(dir: string): Promise<TlsCheckReport> {
  const running = readLabState(dir);
  if (running?.brokenServers) return tlsCheckLab(running);
  const temporary = mkdtempSync(join(tmpdir(), 'earshot-tls-check-'));
  try {
    const lab = await Lab.start({ dir: temporary, brokenServers: true, ipv6: true, turn: false, accounts: ['alice'] });
    try {
      return await tlsCheckLab(lab.info);
    } finally {
      await lab.stop();
    }
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
}

async function checkServer(address: string, flags: TlsCheckFlags): Promise<TlsCheckReport> {
  const { host, port } = parseHostPort(address);
  const account = flags.account ? resolveAccount(flags.account, { accountsFile: flags.accounts }) : undefined;
  return tlsCheckServer({
    domain: flags.domain ?? account?.jid.split('@')[1] ?? host,
    host,
    ...(port !== undefined && { port }),
    ...(flags.ca !== undefined && { ca: readFileSync(flags.ca, 'utf8') }),
    revocation: flags.revocation as 'soft-fail' | 'hard-fail',
    ...(account && { account }),
  });
}

/** "host", "host:5222", "[::1]:5222" or a bare IPv6 address. */
function parseHostPort(address: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  const [host, portText] = bracketed
    ? [bracketed[1]!, bracketed[2]]
    : address.split(':').length === 2
      ? (address.split(':') as [string, string])
      : [address, undefined];
  if (!host) throw new Error(`--server needs a host, got "${address}"`);
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--server port must be 1-65535, got "${portText}"`);
  return { host, port };
}
