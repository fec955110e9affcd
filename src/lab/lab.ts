/**
 * The lab: a private Prosody and coturn on loopback ports, with a generated CA, a server
 * certificate, and throwaway accounts. `Lab.start` returns once both servers answer.
 * With `brokenServers`, also the CA's CRL and OCSP responder (named in the server certificate)
 * and the deliberately broken servers of `earshot tls-check` (broken-servers.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Event, logger, redact } from '../util/index.js';
import { startBrokenServers } from './broken-servers.js';
import { createLabCertificates } from './certificates.js';
import {
  labStateFile,
  prosodyConfigFile,
  readLabState,
  turnPidFile,
  writeLabState,
  type LabAccount,
  type LabInfo,
  type LabPorts,
} from './lab-state.js';
import { findExecutable, ManagedProcess, waitForTcp } from './processes.js';
import { freeTcpAndUdpPort, freeTcpPort, tcpAndUdpPortIsFree, tcpPortIsFree } from './ports.js';
import { renderProsodyConfig } from './prosody-config.js';
import { startRevocationServer, type RevocationServer } from './revocation-server.js';
import { stunPing } from './stun.js';

const log = logger('lab');
const run = promisify(execFile);

export interface LabOptions {
  /** Folder for the lab's config, certificates, data, logs and lab.json; created if missing. */
  dir: string;
  /** XMPP domain; default `localhost`. */
  domain?: string;
  /** Fixed ports; any left out are picked free on 127.0.0.1. */
  ports?: Partial<LabPorts>;
  /**
   * Accounts registered at start, with random passwords; default alice, bob, carol and dave. Each start begins with
   * empty storage. These accounts have each other in their rosters (mutual subscription); later registrations do not.
   */
  accounts?: string[];
  /** Run coturn for STUN/TURN (announced through XEP-0215); default true. */
  turn?: boolean;
  /** Also listen on ::1 when the machine has it; default false. */
  ipv6?: boolean;
  /** How long to wait for the servers to answer; default 15 s. */
  startTimeoutMs?: number;
  /**
   * Also start the CA's CRL/OCSP responder and the broken servers for `earshot tls-check`: a second
   * Prosody, about half a second more. Default false.
   */
  brokenServers?: boolean;
}

export type LabProcessName = 'prosody' | 'turnserver' | 'prosody-broken';

export class LabError extends Error {
  override name = 'LabError';
}

const usernamePattern = /^[a-z0-9][a-z0-9._-]*$/;
const domainPattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export class Lab {
  /** A server exited while the lab was not being stopped. */
  readonly onProcessExit = new Event<[name: LabProcessName, code: number | null, signal: NodeJS.Signals | null]>();
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly info: LabInfo,
    private readonly prosody: ManagedProcess,
    private readonly turn: ManagedProcess | undefined,
    private readonly brokenProsody: ManagedProcess | undefined,
    private readonly revocationServer: RevocationServer | undefined,
  ) {
    for (const [name, child] of [['prosody', prosody], ['turnserver', turn], ['prosody-broken', brokenProsody]] as const) {
      child?.onExit.subscribe((code, signal) => {
        if (!this.stopping) this.onProcessExit.emit(name, code, signal);
      });
    }
  }

  static async start(options: LabOptions): Promise<Lab> {
    const startedAt = Date.now();
    const dir = resolve(options.dir);
    const domain = options.domain ?? 'localhost';
    const usernames = options.accounts ?? ['alice', 'bob', 'carol', 'dave'];
    const withTurn = options.turn ?? true;
    const timeoutMs = options.startTimeoutMs ?? 15_000;
    if (!domainPattern.test(domain)) throw new LabError(`"${domain}" is not a valid lab domain (lowercase host name)`);
    for (const username of usernames) checkUsername(username);
    if (!findExecutable('prosody')) throw new LabError('Prosody is not installed: apt-get install -y prosody');
    if (withTurn && !findExecutable('turnserver')) throw new LabError('coturn is not installed: apt-get install -y coturn');

    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const running = readLabState(dir);
    if (running) {
      throw new LabError(`a lab is already running in ${dir} (Prosody pid ${running.prosodyPid}); stop it first (earshot lab down --dir ${dir})`);
    }
    rmSync(labStateFile(dir), { force: true });
    const paths = labPaths(dir);
    rmSync(paths.data, { recursive: true, force: true });
    mkdirSync(paths.data, { mode: 0o700 });
    mkdirSync(paths.certs, { recursive: true, mode: 0o700 });

    const now = new Date();
    // The revocation server's URLs go into the server certificate, so its port is chosen first.
    const revocationPort = options.brokenServers ? await freeTcpPort() : undefined;
    const revocationUrls = revocationPort === undefined ? undefined : { crl: `http://127.0.0.1:${revocationPort}/ca.crl`, ocsp: `http://127.0.0.1:${revocationPort}/ocsp` };
    const [ports, certificates, ipv6] = await Promise.all([
      resolvePorts(options.ports ?? {}),
      createLabCertificates(domain, now, revocationUrls),
      options.ipv6 ? tcpPortIsFree(0, '::1') : Promise.resolve(false), // port 0 binds if ::1 exists at all
    ]);
    const revocation = revocationPort === undefined ? undefined : await startRevocationServer(certificates.ca, '127.0.0.1', revocationPort);
    writeFileSync(paths.caFile, certificates.ca.certPem);
    writeFileSync(paths.certificateFile, certificates.server.certPem);
    writeFileSync(paths.keyFile, certificates.server.keyPem, { mode: 0o600 });
    writeFileSync(paths.groupsFile, `[lab]\n${usernames.map((u) => `${u}@${domain}\n`).join('')}`);

    const turnSecret = randomBytes(24).toString('hex');
    redact(turnSecret);
    const turn = withTurn ? { host: '127.0.0.1', port: ports.turn, secret: turnSecret } : undefined;
    const configFile = prosodyConfigFile(dir);
    writeFileSync(
      configFile,
      renderProsodyConfig({
        domain,
        dataPath: paths.data,
        pidFile: paths.prosodyPidFile,
        logFile: paths.prosodyLog,
        certificateFile: paths.certificateFile,
        keyFile: paths.keyFile,
        ports,
        runAsRoot: process.getuid?.() === 0,
        ipv6,
        groupsFile: paths.groupsFile,
        turn,
      }),
    );

    // Accounts are written to storage directly, so registering need not wait for the server.
    const registering = Promise.all(usernames.map((username) => register(configFile, username, domain, randomPassword())));
    registering.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    const broken = revocation
      ? startBrokenServers({
          dir,
          labDomain: domain,
          ca: certificates.ca,
          revocation,
          now,
          runAsRoot: process.getuid?.() === 0,
          ipv6,
          timeoutMs,
          password: randomPassword,
        })
      : undefined;
    broken?.catch(() => undefined); // awaited below
    const prosody = await ManagedProcess.spawn('prosody', 'prosody', ['--config', configFile, '-F'], dir);
    let coturn: ManagedProcess | undefined;
    try {
      coturn = turn ? await ManagedProcess.spawn('turnserver', 'turnserver', coturnArguments(dir, domain, ports.turn, turnSecret), dir) : undefined;
      await Promise.all([
        broken,
        waitForTcp('127.0.0.1', ports.c2s, timeoutMs, () => (prosody.exited ? 'it exited' : undefined)).catch((error: Error) => {
          throw new LabError(`Prosody did not start: ${error.message}\n${tail(prosody, paths.prosodyLog)}`);
        }),
        coturn && waitForStun(coturn, ports.turn, timeoutMs, paths.turnLog),
      ]);
      const portFailures = readText(paths.prosodyLog).split('\n').filter((line) => line.includes('Failed to open server port'));
      if (portFailures.length > 0) throw new LabError(`Prosody could not listen:\n${portFailures.join('\n')}`);
      const accounts = await registering;
      const brokenServers = await broken;
      const lab = new Lab(
        {
          dir,
          domain,
          host: '127.0.0.1',
          ports,
          caFile: paths.caFile,
          caPem: certificates.ca.certPem,
          accounts,
          turn,
          websocketUrl: `ws://127.0.0.1:${ports.http}/xmpp-websocket`,
          prosodyPid: prosody.pid,
          turnPid: coturn?.pid,
          ...(revocation && { revocation: { crlUrl: revocation.crlUrl, ocspUrl: revocation.ocspUrl } }),
          ...(brokenServers && { brokenServers: brokenServers.info }),
        },
        prosody,
        coturn,
        brokenServers?.process,
        revocation,
      );
      writeLabState(lab.info);
      log.info(`lab for ${domain} up in ${Date.now() - startedAt} ms: c2s 127.0.0.1:${ports.c2s}, state in ${labStateFile(dir)}`);
      return lab;
    } catch (error) {
      // prosodyctl may still be registering accounts in the lab folder: let it finish, then nothing is left.
      await Promise.all([
        prosody.terminate(),
        coturn?.terminate(),
        registering.catch(() => undefined),
        broken?.then(({ process: child }) => child.terminate(), () => undefined),
        revocation?.close(),
      ]);
      throw error;
    }
  }

  /** Registers (or resets the password of) an account; random password unless given. */
  async registerAccount(username: string, password: string = randomPassword()): Promise<LabAccount> {
    if (this.stopping) throw new LabError('the lab is stopped');
    checkUsername(username);
    const account = await register(prosodyConfigFile(this.info.dir), username, this.info.domain, password);
    const index = this.info.accounts.findIndex((a) => a.username === username);
    if (index >= 0) this.info.accounts[index] = account;
    else this.info.accounts.push(account);
    writeLabState(this.info);
    return account;
  }

  /** Stops Prosody and coturn (and the broken servers) and waits for them to exit. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([this.prosody.terminate(), this.turn?.terminate(), this.brokenProsody?.terminate(), this.revocationServer?.close()]);
      rmSync(labStateFile(this.info.dir), { force: true });
    })();
    return this.stopping;
  }
}

function labPaths(dir: string) {
  const certs = join(dir, 'certs');
  return {
    data: join(dir, 'data'),
    certs,
    caFile: join(certs, 'ca.pem'),
    certificateFile: join(certs, 'server.crt'),
    keyFile: join(certs, 'server.key'),
    groupsFile: join(dir, 'groups.txt'),
    prosodyPidFile: join(dir, 'prosody.pid'),
    prosodyLog: join(dir, 'prosody.log'),
    turnLog: join(dir, 'turnserver.log'),
  };
}

function coturnArguments(dir: string, domain: string, port: number, secret: string): string[] {
  return [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${domain}`,
    '--no-tls',
    '--no-dtls',
    '--allow-loopback-peers',
    '--no-cli',
    '--fingerprint',
    `--pidfile=${turnPidFile(dir)}`,
    `--log-file=${join(dir, 'turnserver.log')}`,
    '--simple-log',
    '--no-stdout-log',
    `--db=${join(dir, 'turndb.sqlite')}`,
  ];
}

async function resolvePorts(fixed: Partial<LabPorts>): Promise<LabPorts> {
  for (const [name, port] of Object.entries(fixed)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LabError(`lab port ${name} must be 1-65535, got ${port}`);
  }
  // One after another: two lookups at once could be handed the same port.
  const c2s = fixed.c2s ?? (await freeTcpPort());
  const c2sDirectTls = fixed.c2sDirectTls ?? (await freeTcpPort());
  const http = fixed.http ?? (await freeTcpPort());
  const turn = fixed.turn ?? (await freeTcpAndUdpPort());
  const ports = { c2s, c2sDirectTls, http, turn };
  if (new Set([c2s, c2sDirectTls, http]).size < 3) throw new LabError(`lab ports must differ: ${JSON.stringify(ports)}`);
  // Prosody keeps running when a port is taken, so a busy port would pass for our server.
  const busy: string[] = [];
  for (const [name, port] of Object.entries(fixed)) {
    const free = name === 'turn' ? await tcpAndUdpPortIsFree(port) : await tcpPortIsFree(port);
    if (!free) busy.push(`${name} ${port}`);
  }
  if (busy.length > 0) throw new LabError(`lab ports already in use on 127.0.0.1: ${busy.join(', ')}`);
  return ports;
}

async function register(configFile: string, username: string, domain: string, password: string): Promise<LabAccount> {
  redact(password);
  try {
    await run('prosodyctl', ['--config', configFile, 'register', username, domain, password], { timeout: 15_000 });
  } catch (error) {
    const output = error as { stderr?: string; stdout?: string; message: string };
    throw new LabError(`could not register ${username}@${domain}: ${(output.stderr || output.stdout || output.message).trim()}`);
  }
  return { username, jid: `${username}@${domain}`, password };
}

async function waitForStun(coturn: ManagedProcess, port: number, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await stunPing('127.0.0.1', port, 200))) {
    if (coturn.exited || Date.now() > deadline) {
      const why = coturn.exited ? 'it exited' : `no STUN answer on 127.0.0.1:${port} within ${timeoutMs} ms`;
      throw new LabError(`coturn did not start: ${why}\n${tail(coturn, logFile)}`);
    }
  }
}

function tail(child: ManagedProcess, logFile: string): string {
  const logLines = readText(logFile).trimEnd().split('\n').slice(-15);
  const output = child.outputTail().trim();
  return [`--- last lines of ${logFile}:`, ...logLines, ...(output ? [`--- ${child.name} output:`, output] : [])].join('\n');
}

function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function checkUsername(username: string): void {
  if (!usernamePattern.test(username)) {
    throw new LabError(`"${username}" is not a valid lab username (lowercase letters, digits, ".", "_", "-")`);
  }
}

function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
