// Runs a desktop client in its own network and mount namespaces, so that it reaches nothing beyond this host
// and needs no change to the system:
// - its network holds only loopback and one end of a veth pair whose other end is on the host: no default
//   route, so nothing it sends can leave the machine; its ICE host candidate is its veth address;
// - its 127.0.0.1:5222 is a forwarder to a Unix socket that the host side joins to the real XMPP server,
//   so a client that always dials "<domain>:5222" reaches a server on any host and port;
// - /etc/hosts maps the domain to 127.0.0.1, /etc/resolv.conf points at nothing (DNS fails at once), and
//   the system CA bundle it reads is a copy with the extra CA appended (bind mounts, seen only by it).
// Needs root (namespaces, veth) and iproute2.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { appendFileSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { findExecutable, ManagedProcess } from '../lab/processes.js';
import { InteropError, runCommand, waitUntil, withEnvironment } from './commands.js';

const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** libnice ignores interfaces named veth*, docker*, virbr* ...: inside, the client sees an ordinary eth0. */
const CLIENT_INTERFACE = 'eth0';
const XMPP_CLIENT_PORT = 5222;
/** Veth pairs get a /30 from 10.254.0.0/16. */
const SUBNET_PREFIX = '10.254';
const forwarderScript = fileURLToPath(new URL('./namespace-forwarder.js', import.meta.url));

// Runs inside the new namespaces: private mounts, loopback up, then waits for the host side to finish the
// network before it becomes the client (exec keeps the pid, so stopping the sandbox stops the client).
const LAUNCHER = `
set -e
dir="$1"; log="$2"; shift 2
mount --bind "$dir/ca-certificates.crt" ${SYSTEM_CA_BUNDLE}
mount --bind "$dir/resolv.conf" /etc/resolv.conf
mount --bind "$dir/hosts" /etc/hosts
ip link set lo up
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
tries=0
until [ -e "$dir/network-ready" ]; do
  tries=$((tries + 1))
  [ "$tries" -le 300 ] || { echo "the host did not set up the network within 15 s" >&2; exit 1; }
  sleep 0.05
done
exec "$@" >>"$log" 2>&1
`;

export interface ClientSandboxOptions {
  /** Folder for the sandbox's files (bind-mounted copies, Unix socket). */
  dir: string;
  name: string;
  command: string;
  args: string[];
  /** The client's whole environment (PATH is added). */
  env: Record<string, string>;
  /** The client's stdout and stderr are appended here. */
  logFile: string;
  /** Where the client's "<domain>:5222" leads; without it the client has loopback only. */
  xmpp?: { domain: string; host: string; port: number };
  /** A CA (PEM) the client trusts besides the system's. */
  trustedCaPem?: string;
}

export class ClientSandbox {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly client: ManagedProcess,
    /** The client's address on its veth (its ICE host candidate); undefined without `xmpp`. */
    readonly clientAddress: string | undefined,
    private readonly hostInterface: string | undefined,
    private readonly forwarder: ManagedProcess | undefined,
    private readonly bridge: XmppBridge | undefined,
  ) {}

  static async start(options: ClientSandboxOptions): Promise<ClientSandbox> {
    for (const tool of ['unshare', 'nsenter', 'ip']) {
      if (!findExecutable(tool)) throw new InteropError(`${tool} is not installed (util-linux, iproute2)`);
    }
    if (process.getuid?.() !== 0) throw new InteropError('the client sandbox needs root (network and mount namespaces, veth)');
    const { dir, xmpp } = options;
    copyFileSync(SYSTEM_CA_BUNDLE, join(dir, 'ca-certificates.crt'));
    if (options.trustedCaPem) appendFileSync(join(dir, 'ca-certificates.crt'), `\n${options.trustedCaPem.trim()}\n`);
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost${xmpp && xmpp.domain !== 'localhost' ? ` ${xmpp.domain}` : ''}\n`);
    const ready = join(dir, 'network-ready');
    rmSync(ready, { force: true });
    if (!xmpp) writeFileSync(ready, '');

    const unshare = ['--net', '--mount', '--propagation', 'private', 'sh', '-c', LAUNCHER, options.name, dir, options.logFile, options.command, ...options.args];
    const client = await ManagedProcess.spawn(options.name, 'env', withEnvironment(options.env, 'unshare', unshare), dir);
    if (!xmpp) return new ClientSandbox(client, undefined, undefined, undefined, undefined);

    let hostInterface: string | undefined;
    let forwarder: ManagedProcess | undefined;
    let bridge: XmppBridge | undefined;
    try {
      const subnet = await freeSubnet(client.pid);
      hostInterface = `esh${client.pid}`;
      await runCommand('ip', ['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', CLIENT_INTERFACE, 'netns', String(client.pid)]);
      await runCommand('ip', ['addr', 'add', `${subnet.host}/30`, 'dev', hostInterface]);
      await runCommand('ip', ['link', 'set', hostInterface, 'up']);
      const inside = ['--target', String(client.pid), '--net'];
      await runCommand('nsenter', [...inside, 'ip', 'addr', 'add', `${subnet.client}/30`, 'dev', CLIENT_INTERFACE]);
      await runCommand('nsenter', [...inside, 'ip', 'link', 'set', CLIENT_INTERFACE, 'up']);

      const socketPath = join(dir, 'xmpp.sock');
      if (Buffer.byteLength(socketPath) > 100) throw new InteropError(`the sandbox folder's path is too long for a Unix socket: ${socketPath}`);
      bridge = await XmppBridge.listen(socketPath, xmpp.host, xmpp.port);
      forwarder = await ManagedProcess.spawn(`${options.name}-forwarder`, 'nsenter', [...inside, process.execPath, forwarderScript, String(XMPP_CLIENT_PORT), socketPath], dir);
      const started = forwarder;
      await waitUntil('the XMPP forwarder in the sandbox did not start', () => (started.outputTail().includes('listening') ? true : undefined), {
        timeoutMs: 10_000,
        giveUp: () => (started.exited ? `it exited: ${started.outputTail().trim()}` : client.exited ? `${options.name} exited: ${client.outputTail().trim()}` : undefined),
      });
      writeFileSync(ready, '');
      return new ClientSandbox(client, subnet.client, hostInterface, forwarder, bridge);
    } catch (error) {
      await new ClientSandbox(client, undefined, hostInterface, forwarder, bridge).stop();
      throw error;
    }
  }

  /** Stops the client and everything the sandbox set up; the namespaces go with the client. Safe to call again. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.client.terminate();
      await this.forwarder?.terminate();
      this.bridge?.close();
      // Normally gone with the client's namespace, which took its peer along.
      if (this.hostInterface) await runCommand('ip', ['link', 'del', this.hostInterface]).catch(() => undefined);
    })();
    return this.stopping;
  }
}

/** The host side of the client's port 5222: a Unix socket whose connections are joined to the real server. */
class XmppBridge {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly path: string,
  ) {}

  static listen(path: string, host: string, port: number): Promise<XmppBridge> {
    rmSync(path, { force: true });
    return new Promise((resolve, reject) => {
      const server = createServer();
      const bridge = new XmppBridge(server, path);
      server.on('connection', (client) => {
        const upstream = connect(port, host);
        for (const socket of [client, upstream]) {
          bridge.sockets.add(socket);
          socket.on('close', () => bridge.sockets.delete(socket));
        }
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(path, () => resolve(bridge));
    });
  }

  close(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
    rmSync(this.path, { force: true });
  }
}

/** A /30 in 10.254.0.0/16 that no interface of this host uses, starting from one derived from `seed`. */
async function freeSubnet(seed: number): Promise<{ host: string; client: string }> {
  const used = await runCommand('ip', ['-4', '-o', 'addr', 'show']);
  for (let attempt = 0; attempt < 256; attempt++) {
    const index = (seed + attempt) % 16384;
    const third = index >> 6;
    const base = (index & 63) * 4;
    const host = `${SUBNET_PREFIX}.${third}.${base + 1}`;
    const client = `${SUBNET_PREFIX}.${third}.${base + 2}`;
    if (!used.includes(` ${host}/`) && !used.includes(` ${client}/`)) return { host, client };
  }
  throw new InteropError(`no free /30 left in ${SUBNET_PREFIX}.0.0/16`);
}
