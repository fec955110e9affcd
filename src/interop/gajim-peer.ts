// Gajim 1.7.3 (Debian gajim, Jingle audio through Farstream) as a headless peer that answers calls by itself:
// Xvfb and PulseAudio (xvfb.ts, pulse.ts), and Gajim in a client sandbox (client-sandbox.ts) that shows it the
// XMPP server as its domain's port 5222 and trusts the given CA. Gajim refuses to run as root, so the sandbox
// runs it through setpriv as an unprivileged user with its own HOME and XDG folders. Its settings are written
// before it starts (gajim-settings.ts); earshot's plugin (gajim-plugin/) accepts every incoming audio call and
// logs what happens, which is how this class follows the calls. Gajim offers plain RTP only (no DTLS-SRTP).
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { findExecutable } from '../lab/processes.js';
import { Event, logger, redact } from '../util/index.js';
import { CallAudio, loadSpeech } from './call-audio.js';
import { ClientLog } from './client-log.js';
import { ClientSandbox } from './client-sandbox.js';
import { InteropError, runCommand } from './commands.js';
import { startDesktopServices, stopDesktopServices, type DesktopServices } from './desktop-services.js';
import { AUTO_ANSWER_PLUGIN, writeGajimSettings } from './gajim-settings.js';
import { HeadlessPeer, type HeadlessPeerOptions, type HeadlessPeerParts } from './headless-peer.js';

const log = logger('gajim');
const GAJIM = 'gajim';
const DEFAULT_USER = 'earshot-gajim';
/** The plugin as shipped beside this module (copied to dist/ by the build, else read from src/). */
const PLUGIN_SOURCE = [new URL(`./gajim-plugin/${AUTO_ANSWER_PLUGIN}`, import.meta.url), new URL(`../../../src/interop/gajim-plugin/${AUTO_ANSWER_PLUGIN}`, import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((path) => existsSync(join(path, 'plugin-manifest.json')));
const GSTREAMER_PLUGIN_DIRS = ['/usr/lib/x86_64-linux-gnu/gstreamer-1.0', '/usr/lib/aarch64-linux-gnu/gstreamer-1.0', '/usr/lib/gstreamer-1.0'];
/**
 * With GStreamer's srtp plugin present, Farstream's conference tries SRTP and Gajim's first call fails with
 * "Could not initialize SRTP encoder" (content-remove, failed-application): Gajim sees a plugin folder without it.
 */
const HIDDEN_GSTREAMER_PLUGINS = new Set(['libgstsrtp.so']);

/** The plugin's log lines (gajim-plugin/earshot_autoanswer/__init__.py). */
const SIGNED_IN = /earshot: signed in as (\S+) av=(\w+)/;
const PLUGIN_EVENT = /earshot: (accepted|not accepted|connected|ended|error) (\S+)(?: from (\S+))?(?: (?:media|reason)=(.*))?$/gm;
const WARNING_LINE = /\((W|E|C)\)|WARNING|CRITICAL|ERROR|Traceback|[Ee]rror|earshot:/;

export interface GajimPeerOptions extends HeadlessPeerOptions {
  /**
   * The unprivileged user Gajim runs as; created (a system user without a home) if missing. Default "earshot-gajim".
   * Every parent folder of `workDir` must be traversable by it.
   */
  user?: string;
  /** How long Gajim may take to log in; default 30 s. */
  startTimeoutMs?: number;
}

export interface GajimAnsweredCall {
  /** The Jingle session id. */
  sid: string;
  /** The caller's full JID. */
  from: string;
  /** Epoch ms at which the plugin reported the call accepted. */
  answeredAt: number;
  /** Epoch ms at which the speech loop began playing into Gajim's microphone for this call. */
  playStartedAt: number;
}

/** What the plugin reported about a call besides its acceptance: connected, ended, error, not accepted. */
export interface GajimCallEvent {
  kind: 'connected' | 'ended' | 'error' | 'not accepted';
  sid: string;
  /** The media (connected) or the reason (ended, error) as Gajim gave it. */
  detail: string;
  at: number;
}

export class GajimPeer extends HeadlessPeer {
  /** A call was accepted by the plugin. */
  readonly onCallAnswered = new Event<[GajimAnsweredCall]>();
  readonly onCallEvent = new Event<[GajimCallEvent]>();
  readonly calls: GajimAnsweredCall[] = [];
  readonly events: GajimCallEvent[] = [];
  private logOffset: number;

  private constructor(
    parts: HeadlessPeerParts<DesktopServices>,
    /** Whether Gajim's audio/video check passed (else it advertises no call features). */
    readonly audioVideoAvailable: boolean,
    private readonly clientLog: ClientLog,
  ) {
    super(parts);
    this.logOffset = clientLog.text().length;
  }

  static async start(options: GajimPeerOptions): Promise<GajimPeer> {
    const startedAt = performance.now();
    for (const tool of [GAJIM, 'setpriv']) if (!findExecutable(tool)) throw new InteropError(`${tool} is not installed: apt-get install -y gajim util-linux`);
    if (!PLUGIN_SOURCE) throw new InteropError(`earshot's Gajim plugin (gajim-plugin/${AUTO_ANSWER_PLUGIN}) is missing beside ${fileURLToPath(import.meta.url)}`);
    const [bareJid, resource = options.resource ?? 'gajim'] = options.account.jid.split('/');
    const [localpart, domain] = bareJid.split('@');
    if (!localpart || !domain) throw new InteropError(`"${options.account.jid}" is not a JID with a local part and a domain`);
    redact(options.account.password);
    const speech = await loadSpeech(options.play);
    const user = await unprivilegedUser(options.user ?? DEFAULT_USER);
    const dir = resolve(options.workDir);
    const logFile = join(dir, 'gajim.log');
    const clientLog = new ClientLog(logFile, WARNING_LINE);
    const paths = await prepareProfile(dir, user, PLUGIN_SOURCE, { localpart, domain, resource, password: options.account.password });

    const logStart = clientLog.text().length;
    const services = await startServices(dir, user);
    let gajim: ClientSandbox | undefined;
    try {
      const env = gajimEnvironment(paths, services);
      const setpriv = ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', GAJIM, '--loglevel', `p.${AUTO_ANSWER_PLUGIN}=INFO`];
      const server = options.server ?? { host: '127.0.0.1', port: 5222 };
      gajim = await ClientSandbox.start({
        dir: paths.sandbox,
        name: GAJIM,
        command: 'setpriv',
        args: setpriv,
        env,
        logFile,
        trustedCaPem: options.trustedCaPem,
        xmpp: { domain, ...server },
      });
      const timeoutMs = options.startTimeoutMs ?? 30_000;
      const signedIn = await clientLog.waitFor(`Gajim did not log in as ${bareJid}`, logStart, (written) => SIGNED_IN.exec(written) ?? undefined, gajim, timeoutMs);
      const startupMs = Math.round(performance.now() - startedAt);
      const audioVideo = signedIn[2] === 'True';
      log.info(`Gajim logged in as ${signedIn[1]} in ${startupMs} ms (address ${gajim.clientAddress}, audio/video ${audioVideo ? 'available' : 'NOT available'})`);
      const audio = new CallAudio(services.pulse, speech, options.recordPath);
      return new GajimPeer({ name: 'Gajim', jid: `${bareJid}/${resource}`, startupMs, logFile, sandbox: gajim, services, audio, log }, audioVideo, clientLog);
    } catch (error) {
      await gajim?.stop();
      await stopDesktopServices(services);
      throw error;
    }
  }

  protected async poll(): Promise<void> {
    const text = this.clientLog.text();
    const fresh = text.slice(this.logOffset, text.lastIndexOf('\n') + 1);
    this.logOffset += fresh.length;
    for (const [, kind, sid, from, detail] of fresh.matchAll(PLUGIN_EVENT)) {
      if (this.stopping) return;
      if (kind === 'accepted') await this.answered(sid!, from!);
      else await this.callEvent({ kind: kind as GajimCallEvent['kind'], sid: sid!, detail: (detail ?? '').trim(), at: Date.now() });
    }
  }

  private async answered(sid: string, from: string): Promise<void> {
    const answeredAt = Date.now();
    const playStartedAt = await this.audio.callStarted();
    const call = { sid, from, answeredAt, playStartedAt };
    this.calls.push(call);
    log.info(`answered call ${sid} from ${from}`);
    this.onCallAnswered.emit(call);
  }

  private async callEvent(event: GajimCallEvent): Promise<void> {
    this.events.push(event);
    log.info(`call ${event.sid}: ${event.kind} ${event.detail}`);
    if (event.kind === 'ended' || event.kind === 'error') await this.audio.callEnded();
    this.onCallEvent.emit(event);
  }
}

interface UnixUser {
  name: string;
  uid: number;
  gid: number;
}

async function unprivilegedUser(name: string): Promise<UnixUser> {
  const ids = async () => {
    const [uid, gid] = await Promise.all([runCommand('id', ['-u', name]), runCommand('id', ['-g', name])]);
    return { name, uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  const existing = await ids().catch(() => undefined);
  if (existing?.uid === 0) throw new InteropError(`user ${name} is root; Gajim refuses to run as root`);
  if (existing) return existing;
  if (process.getuid?.() !== 0) throw new InteropError(`user ${name} does not exist, and only root can create it`);
  log.info(`creating the system user ${name} to run Gajim as`);
  await runCommand('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]);
  return ids();
}

interface ProfilePaths {
  home: string;
  config: string;
  data: string;
  cache: string;
  runtime: string;
  gstreamerPlugins: string;
  sandbox: string;
}

/** Gajim's folders, owned by `user`: settings, the plugin, and a GStreamer plugin folder without srtp. */
async function prepareProfile(dir: string, user: UnixUser, pluginSource: string, account: Parameters<typeof writeGajimSettings>[1]): Promise<ProfilePaths> {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o711); // Gajim, as `user`, reaches its folders and the PulseAudio socket here, and lists nothing else
  const paths: ProfilePaths = {
    home: join(dir, 'home'),
    config: join(dir, 'config'),
    data: join(dir, 'data'),
    cache: join(dir, 'cache'),
    runtime: join(dir, 'runtime'),
    gstreamerPlugins: join(dir, 'gstreamer-plugins'),
    sandbox: join(dir, 'sandbox'),
  };
  for (const path of Object.values(paths)) mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(paths.gstreamerPlugins, 0o755);
  // Written afresh at every start: the account and password are this start's.
  const settings = join(paths.config, 'gajim', 'settings.sqlite');
  mkdirSync(join(paths.config, 'gajim'), { recursive: true });
  rmSync(settings, { force: true });
  await writeGajimSettings(settings, account);
  cpSync(pluginSource, join(paths.data, 'gajim', 'plugins', AUTO_ANSWER_PLUGIN), { recursive: true, filter: (source) => !source.includes('__pycache__') });
  linkGstreamerPlugins(paths.gstreamerPlugins);
  for (const path of [paths.home, paths.config, paths.data, paths.cache, paths.runtime]) chownTree(path, user);
  // A parent folder that `user` cannot traverse shows up here rather than as a puzzling failure inside Gajim.
  await runCommand('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', 'test', '-w', paths.home]).catch(() => {
    throw new InteropError(`user ${user.name} cannot write to ${paths.home}: every parent folder of ${dir} must be traversable by it (chmod o+x)`);
  });
  return paths;
}

function linkGstreamerPlugins(target: string): void {
  const source = GSTREAMER_PLUGIN_DIRS.find((path) => existsSync(path));
  if (!source) throw new InteropError(`no GStreamer plugin folder found (looked in ${GSTREAMER_PLUGIN_DIRS.join(', ')})`);
  for (const name of readdirSync(source)) {
    if (HIDDEN_GSTREAMER_PLUGINS.has(name) || existsSync(join(target, name))) continue;
    symlinkSync(join(source, name), join(target, name));
  }
}

function chownTree(path: string, user: UnixUser): void {
  chownSync(path, user.uid, user.gid);
  if (!statSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), user);
}

/** Xvfb and PulseAudio, the latter's socket handed to `user`. */
async function startServices(dir: string, user: UnixUser): Promise<DesktopServices> {
  const pulseDir = join(dir, 'pulse');
  mkdirSync(pulseDir, { recursive: true });
  const services = await startDesktopServices({ dir, pulseDir });
  try {
    // PulseAudio, run by root, keeps its folder and socket to root (0700, checked at its start only); Gajim
    // connects as another user: it may now traverse the folder and owns the socket.
    chmodSync(pulseDir, 0o711);
    chownSync(services.pulse.address.replace(/^unix:/, ''), user.uid, user.gid);
    return services;
  } catch (error) {
    await stopDesktopServices(services);
    throw error;
  }
}

function gajimEnvironment(paths: ProfilePaths, services: DesktopServices): Record<string, string> {
  return {
    HOME: paths.home,
    XDG_CONFIG_HOME: paths.config,
    XDG_DATA_HOME: paths.data,
    XDG_CACHE_HOME: paths.cache,
    XDG_RUNTIME_DIR: paths.runtime,
    DISPLAY: services.display.display,
    // No session bus: GApplication then runs as a plain, non-unique application. An address that leads nowhere
    // keeps GLib from autolaunching a bus of its own (dbus-launch) that would outlive Gajim.
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(paths.runtime, 'no-session-bus')}`,
    NO_AT_BRIDGE: '1',
    PULSE_SERVER: services.pulse.address,
    GST_PLUGIN_SYSTEM_PATH_1_0: paths.gstreamerPlugins,
    // GLib's netlink monitor calls a network without a default route offline; the base monitor assumes it is there.
    GIO_USE_NETWORK_MONITOR: 'base',
    GSETTINGS_BACKEND: 'memory',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}
