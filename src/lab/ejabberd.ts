/**
 * Debian's ejabberd 23.01 as a lab server: one private instance per folder, on loopback ports the caller
 * chooses, run in the foreground as a child of earshot (never the system service).
 *
 * The Erlang VM runs without distribution (no node name, no cookie, no epmd): nothing is shared between
 * instances but the installed code, so several run side by side and stopping one leaves nothing behind.
 * ejabberdctl would need distribution, so accounts and rosters go through ejabberd's admin API on the
 * HTTP port instead, which only lets loopback call the few commands the lab uses.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { basename, join, resolve } from 'node:path';
import { Event, logger, redact, scrub } from '../util/index.js';
import { EJABBERD_API_COMMANDS, EJABBERD_API_PATH, EJABBERD_WEBSOCKET_PATH, renderEjabberdConfig, type EjabberdConfigOptions } from './ejabberd-config.js';
import type { LabAccount, LabLogin } from './lab-state.js';
import { tcpPortIsFree } from './ports.js';
import { findExecutable, ManagedProcess, processMatches } from './processes.js';

const log = logger('lab');

export interface EjabberdPorts {
  c2s: number;
  /** Direct TLS (XEP-0368); no such listener when absent. */
  c2sDirectTls?: number;
  /** Plain HTTP: XMPP over WebSocket at /xmpp-websocket, and the admin API the lab uses. */
  http: number;
}

export interface EjabberdOptions {
  /** Folder for this instance's config, database and log; created if missing. Each start begins with an empty database. */
  dir: string;
  /** XMPP domain; default `localhost`. */
  domain?: string;
  ports: EjabberdPorts;
  /** PEM files of the server certificate (for `domain`), its key, and the CA that issued it (the lab's). */
  certificateFile: string;
  keyFile: string;
  caFile: string;
  /** Registered at start, each with every other in its roster (subscription both). Default none. */
  accounts?: { username: string; password: string }[];
  /** coturn to announce through XEP-0215 (STUN, and TURN with credentials from its use-auth-secret). */
  turn?: { host: string; port: number; secret: string };
  /** Also listen on ::1. */
  ipv6?: boolean;
  /** How long ejabberd may take to answer; default 20 s. */
  startTimeoutMs?: number;
}

export interface EjabberdInfo {
  dir: string;
  domain: string;
  host: '127.0.0.1';
  ports: EjabberdPorts;
  caFile: string;
  caPem: string;
  accounts: LabAccount[];
  turn?: { host: string; port: number; secret: string };
  websocketUrl: string;
  pid: number;
  logFile: string;
}

export class EjabberdError extends Error {
  override name = 'EjabberdError';
}

const usernamePattern = /^[a-z0-9][a-z0-9._-]*$/;
const domainPattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const API_CALL_TIMEOUT_MS = 10_000;
/** ejabberd stops cleanly in about a second; SIGKILL after this. */
const STOP_GRACE_MS = 3_000;

export class EjabberdServer {
  /** ejabberd exited while it was not being stopped. */
  readonly onExit = new Event<[code: number | null, signal: NodeJS.Signals | null]>();
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly info: EjabberdInfo,
    /** Milliseconds from the call to start() until the accounts and rosters were in place. */
    readonly startupMs: number,
    private readonly process: ManagedProcess,
  ) {
    process.onExit.subscribe((code, signal) => {
      if (!this.stopping) this.onExit.emit(code, signal);
    });
  }

  static async start(options: EjabberdOptions): Promise<EjabberdServer> {
    const startedAt = performance.now();
    const dir = resolve(options.dir);
    const domain = options.domain ?? 'localhost';
    const accounts = options.accounts ?? [];
    const timeoutMs = options.startTimeoutMs ?? 20_000;
    if (!domainPattern.test(domain)) throw new EjabberdError(`"${domain}" is not a valid lab domain (lowercase host name)`);
    for (const { username } of accounts) checkUsername(username);
    for (const { password } of accounts) redact(password);
    if (options.turn) redact(options.turn.secret);
    await checkPorts(options.ports);
    const application = findEjabberdApplication();
    if (!application || !findExecutable('erl')) throw new EjabberdError('ejabberd is not installed: apt-get install -y ejabberd');
    for (const file of [options.certificateFile, options.keyFile, options.caFile]) {
      if (!existsSync(file)) throw new EjabberdError(`no such certificate file: ${file}`);
    }

    const paths = ejabberdPaths(dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const runningPid = Number(readText(paths.pidFile));
    if (processMatches(runningPid, [paths.database])) {
      throw new EjabberdError(`an ejabberd is already running in ${dir} (pid ${runningPid}); stop it first`);
    }
    for (const folder of [paths.database, paths.logs, paths.erlangLibs]) rmSync(folder, { recursive: true, force: true });
    for (const folder of [paths.database, paths.logs, paths.noTranslations, paths.erlangLibs]) mkdirSync(folder, { recursive: true, mode: 0o700 });
    // Debian's ERL_LIBS is a folder of ~2000 entries that the VM would scan at every boot (~0.2 s): this one holds only ejabberd.
    symlinkSync(application, join(paths.erlangLibs, basename(application)));
    const config: EjabberdConfigOptions = {
      domain,
      certificateFile: options.certificateFile,
      keyFile: options.keyFile,
      caFile: options.caFile,
      ports: options.ports,
      ipv6: options.ipv6,
      turn: options.turn,
    };
    writeFileSync(paths.config, renderEjabberdConfig(config), { mode: 0o600 });
    // Host names from this file only: no resolver helper process, no DNS.
    writeFileSync(paths.inetrc, `{lookup, [file]}.\n{host, {127,0,0,1}, ["localhost", "${domain}"]}.\n`);

    const child = await ManagedProcess.spawn('ejabberd', 'erl', erlArguments(paths), paths.database);
    const registered = accounts.map(({ username, password }) => ({ username, jid: `${username}@${domain}`, password }));
    try {
      await waitForApi(child, options.ports.http, timeoutMs).catch((error: Error) => {
        throw new EjabberdError(`ejabberd did not start: ${error.message}\n${startFailureTail(child, paths.log)}`);
      });
      await addAccounts(options.ports.http, domain, registered);
    } catch (error) {
      // Nothing to save and a VM still booting ignores SIGTERM: kill it at once.
      await child.terminate(0);
      throw error;
    }
    const startupMs = Math.round(performance.now() - startedAt);
    log.info(`ejabberd for ${domain} up in ${startupMs} ms: c2s 127.0.0.1:${options.ports.c2s}, pid ${child.pid}`);
    const info: EjabberdInfo = {
      dir,
      domain,
      host: '127.0.0.1',
      ports: options.ports,
      caFile: options.caFile,
      caPem: readFileSync(options.caFile, 'utf8'),
      accounts: registered,
      turn: options.turn,
      websocketUrl: `ws://127.0.0.1:${options.ports.http}${EJABBERD_WEBSOCKET_PATH}`,
      pid: child.pid,
      logFile: paths.log,
    };
    return new EjabberdServer(info, startupMs, child);
  }

  /** What an XMPP login (STARTTLS on the c2s port, the lab CA trusted) needs for one of the accounts. */
  login(username: string): LabLogin {
    const account = this.info.accounts.find((a) => a.username === username || a.jid === username);
    if (!account) {
      throw new EjabberdError(`ejabberd has no lab account "${username}" (it has: ${this.info.accounts.map((a) => a.username).join(', ') || 'none'})`);
    }
    return { jid: account.jid, password: account.password, host: this.info.host, port: this.info.ports.c2s, tls: 'starttls', ca: this.info.caPem };
  }

  /** Registers one more account, in nobody's roster. */
  async registerAccount(username: string, password: string): Promise<LabAccount> {
    if (this.stopping) throw new EjabberdError('ejabberd is stopped');
    checkUsername(username);
    redact(password);
    await callApi(this.info.ports.http, 'register', { user: username, host: this.info.domain, password });
    const account = { username, jid: `${username}@${this.info.domain}`, password };
    this.info.accounts.push(account);
    return account;
  }

  /** Stops ejabberd and waits for the VM to exit. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.process.terminate(STOP_GRACE_MS);
      rmSync(ejabberdPaths(this.info.dir).pidFile, { force: true });
    })();
    return this.stopping;
  }

}

/** Registers the accounts, then gives each every other one as a contact with subscription both. */
async function addAccounts(httpPort: number, domain: string, accounts: LabAccount[]): Promise<void> {
  await Promise.all(accounts.map(({ username, password }) => callApi(httpPort, 'register', { user: username, host: domain, password })));
  const pairs = accounts.flatMap((owner) => accounts.filter((contact) => contact !== owner).map((contact) => [owner, contact] as const));
  await Promise.all(
    pairs.map(([owner, contact]) =>
      callApi(httpPort, 'add_rosteritem', {
        localuser: owner.username,
        localhost: domain,
        user: contact.username,
        host: domain,
        nick: contact.username,
        group: 'lab',
        subs: 'both',
      }),
    ),
  );
}

async function callApi(httpPort: number, command: (typeof EJABBERD_API_COMMANDS)[number], args: Record<string, string>): Promise<string> {
  const { status, body } = await postJson(httpPort, `${EJABBERD_API_PATH}/${command}`, args, API_CALL_TIMEOUT_MS);
  if (status !== 200) throw new EjabberdError(`ejabberd refused ${command} (HTTP ${status}): ${scrub(body)}`);
  return body;
}

function ejabberdPaths(dir: string) {
  return {
    config: join(dir, 'ejabberd.yml'),
    inetrc: join(dir, 'inetrc'),
    database: join(dir, 'database'),
    logs: join(dir, 'logs'),
    log: join(dir, 'logs', 'ejabberd.log'),
    pidFile: join(dir, 'ejabberd.pid'),
    noTranslations: join(dir, 'no-translations'),
    erlangLibs: join(dir, 'erlang-libs'),
  };
}

function erlArguments(paths: ReturnType<typeof ejabberdPaths>): string[] {
  const environment = {
    ERL_LIBS: paths.erlangLibs,
    EJABBERD_CONFIG_PATH: paths.config,
    EJABBERD_LOG_PATH: paths.log,
    EJABBERD_PID_PATH: paths.pidFile,
    // An empty folder: building the translation cache took a quarter of the boot time, and the lab speaks English.
    EJABBERD_MSGS_PATH: paths.noTranslations,
    ERL_INETRC: paths.inetrc,
    ERL_CRASH_DUMP_BYTES: '0',
  };
  return [
    '-noinput',
    ...Object.entries(environment).flatMap(([name, value]) => ['-env', name, value]),
    // Idle schedulers sleep instead of spinning: the machine's cores are for the calls.
    ...['+sbwt', 'none', '+sbwtdcpu', 'none', '+sbwtdio', 'none'],
    '-mnesia',
    'dir',
    erlangString(paths.database),
    // Log to the file only, not to stdout as well.
    ...['-ejabberd', 'quiet', 'true'],
    '-s',
    'ejabberd',
  ];
}

/** Whether Debian's ejabberd (and the Erlang VM it runs on) is installed. */
export function isEjabberdInstalled(): boolean {
  return findEjabberdApplication() !== undefined && findExecutable('erl') !== undefined;
}

/** Debian installs the ejabberd Erlang application as /usr/lib/<multiarch>/ejabberd-<version>. */
function findEjabberdApplication(): string | undefined {
  const root = '/usr/lib';
  if (!existsSync(root)) return undefined;
  for (const arch of readdirSync(root).filter((name) => name.endsWith('-linux-gnu'))) {
    const libs = join(root, arch);
    const name = readdirSync(libs).find((entry) => entry.startsWith('ejabberd-') && existsSync(join(libs, entry, 'ebin', 'ejabberd.app')));
    if (name) return join(libs, name);
  }
  return undefined;
}

/**
 * ejabberd binds its ports early but accepts connections only once fully started, so one request waits in the
 * listen backlog until then and is answered at the first possible moment; only a refused connection is retried.
 */
async function waitForApi(child: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.exited) throw new Error('it exited');
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw new Error(`no answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
    try {
      const { status, body } = await postJson(port, `${EJABBERD_API_PATH}/status`, {}, remaining);
      if (status === 200) return;
      throw new Error(`its admin API answered HTTP ${status}: ${body}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED') {
        // A VM going down resets the waiting connection a moment before its exit is seen.
        await Promise.race([child.waitForExit(), new Promise((resolve) => setTimeout(resolve, 200))]);
        throw child.exited ? new Error('it exited') : error;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

function postJson(port: number, path: string, body: object, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent: false, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer on 127.0.0.1:${port} within ${Math.round(timeoutMs)} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}

async function checkPorts(ports: EjabberdPorts): Promise<void> {
  const named = Object.entries(ports).filter((entry): entry is [string, number] => entry[1] !== undefined);
  for (const [name, port] of named) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EjabberdError(`ejabberd port ${name} must be 1-65535, got ${port}`);
  }
  if (new Set(named.map(([, port]) => port)).size < named.length) throw new EjabberdError(`ejabberd ports must differ: ${JSON.stringify(ports)}`);
  const busy: string[] = [];
  for (const [name, port] of named) if (!(await tcpPortIsFree(port))) busy.push(`${name} ${port}`);
  if (busy.length > 0) throw new EjabberdError(`ejabberd ports already in use on 127.0.0.1: ${busy.join(', ')}`);
}

function startFailureTail(child: ManagedProcess, logFile: string): string {
  const logLines = readText(logFile).trimEnd().split('\n').slice(-15);
  const output = child.outputTail().trim();
  return scrub([`--- last lines of ${logFile}:`, ...logLines, ...(output ? ['--- ejabberd output:', output] : [])].join('\n'));
}

function checkUsername(username: string): void {
  if (!usernamePattern.test(username)) {
    throw new EjabberdError(`"${username}" is not a valid lab username (lowercase letters, digits, ".", "_", "-")`);
  }
}

/** An Erlang string literal, as `-mnesia dir` wants it. */
function erlangString(text: string): string {
  return `"${text.replace(/[\\"]/g, (character) => `\\${character}`)}"`;
}

function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
