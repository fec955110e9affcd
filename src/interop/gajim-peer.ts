// Gajim 1.7.3 (Debian gajim, Jingle audio through Farstream) as a headless peer that answers calls by itself:
// Xvfb and PulseAudio (xvfb.ts, pulse.ts), and Gajim in a client sandbox (client-sandbox.ts) that shows it the
// XMPP server as its domain's port 5222 and trusts the given CA. Gajim refuses to run as root, so the sandbox
// runs it through setpriv as an unprivileged user with its own HOME and XDG folders. Its settings are written
// before it starts (gajim-settings.ts); earshot's plugin (gajim-plugin/) accepts every incoming audio call and
// logs what happens, which is how this class follows the calls. Gajim offers plain RTP only (no DTLS-SRTP).
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { findExecutable } from '../lab/processes.js';
import { readAudio, downmix } from '../media/wav.js';
import { Event, logger, redact } from '../util/index.js';
import { ClientSandbox } from './client-sandbox.js';
import { InteropError, runCommand, waitUntil } from './commands.js';
import { AUTO_ANSWER_PLUGIN, writeGajimSettings } from './gajim-settings.js';
import { PulseServer, type LoopingPlayer, type SpeakerRecording } from './pulse.js';
import { startXvfb, type VirtualDisplay } from './xvfb.js';

const log = logger('gajim');
const GAJIM = 'gajim';
const DEFAULT_USER = 'earshot-gajim';
const POLL_MS = 100;
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

export interface GajimPeerOptions {
  /** Bare JID (a resource after "/" becomes Gajim's resource) and password. */
  account: { jid: string; password: string };
  /** Folder for Gajim's home, settings, logs and the helper servers' sockets; created if missing. Its parents must be traversable by `user`. */
  workDir: string;
  /** WAV played into Gajim's microphone, looped while a call is up. */
  play: string;
  /** WAV (16-bit mono, 48 kHz) of what Gajim's speaker plays, from the first answered call until stop(). */
  recordPath: string;
  /** Where Gajim's "<domain>:5222" leads; default 127.0.0.1:5222. */
  server?: { host: string; port: number };
  /** A CA (PEM) Gajim trusts besides the system store: the lab's. */
  trustedCaPem?: string;
  /** Default "gajim". */
  resource?: string;
  /** The unprivileged user Gajim runs as; created (a system user without a home) if missing. Default "earshot-gajim". */
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

export interface ProcessUsage {
  rssBytes: number;
  /** User + system CPU time since the process started. */
  cpuSeconds: number;
}

export class GajimPeer {
  /** A call was accepted by the plugin. */
  readonly onCallAnswered = new Event<[GajimAnsweredCall]>();
  readonly onCallEvent = new Event<[GajimCallEvent]>();
  readonly calls: GajimAnsweredCall[] = [];
  readonly events: GajimCallEvent[] = [];
  private logOffset: number;
  private player: LoopingPlayer | undefined;
  private recorder: SpeakerRecording | undefined;
  private polling: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    /** Gajim's full JID. */
    readonly jid: string,
    /** From start() to logged in. */
    readonly startupMs: number,
    /** Whether Gajim's audio/video check passed (else it advertises no call features). */
    readonly audioVideoAvailable: boolean,
    readonly logFile: string,
    private readonly options: GajimPeerOptions,
    private readonly pcm: { samples: Int16Array; sampleRate: number },
    private readonly services: Services,
    private readonly gajim: ClientSandbox,
  ) {
    this.logOffset = readText(logFile).length;
    this.schedulePoll();
  }

  static async start(options: GajimPeerOptions): Promise<GajimPeer> {
    const startedAt = performance.now();
    for (const tool of [GAJIM, 'setpriv']) if (!findExecutable(tool)) throw new InteropError(`${tool} is not installed: apt-get install -y gajim util-linux`);
    if (!PLUGIN_SOURCE) throw new InteropError(`earshot's Gajim plugin (gajim-plugin/${AUTO_ANSWER_PLUGIN}) is missing beside ${fileURLToPath(import.meta.url)}`);
    const [bareJid, resource = options.resource ?? 'gajim'] = options.account.jid.split('/');
    const [localpart, domain] = bareJid.split('@');
    if (!localpart || !domain) throw new InteropError(`"${options.account.jid}" is not a JID with a local part and a domain`);
    redact(options.account.password);
    const pcm = await loadSpeech(options.play);
    const user = await unprivilegedUser(options.user ?? DEFAULT_USER);
    const dir = resolve(options.workDir);
    const logFile = join(dir, 'gajim.log');
    const paths = await prepareProfile(dir, user, PLUGIN_SOURCE, { localpart, domain, resource, password: options.account.password });

    const logStart = readText(logFile).length;
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
      const running = gajim;
      const timeoutMs = options.startTimeoutMs ?? 30_000;
      const signedIn = await waitUntil(`Gajim did not log in as ${bareJid}`, () => SIGNED_IN.exec(readText(logFile).slice(logStart)) ?? undefined, {
        timeoutMs,
        intervalMs: 100,
        giveUp: () => (running.client.exited ? `it exited:\n${running.client.outputTail().trim()}\n${lastLines(logFile)}` : undefined),
      }).catch((error: Error) => {
        throw new InteropError(`${error.message}\n--- last warnings in ${logFile}:\n${lastLines(logFile)}`);
      });
      const startupMs = Math.round(performance.now() - startedAt);
      const audioVideo = signedIn[2] === 'True';
      log.info(`Gajim logged in as ${signedIn[1]} in ${startupMs} ms (address ${gajim.clientAddress}, audio/video ${audioVideo ? 'available' : 'NOT available'})`);
      return new GajimPeer(`${bareJid}/${resource}`, startupMs, audioVideo, logFile, options, pcm, services, gajim);
    } catch (error) {
      await gajim?.stop();
      await stopServices(services);
      throw error;
    }
  }

  /** Gajim's address on its private link to this host: its only ICE host candidate. */
  get address(): string | undefined {
    return this.gajim.clientAddress;
  }

  /** Epoch ms of the recording's first sample; undefined until a call was answered. */
  get recordingStartedAt(): number | undefined {
    return this.recorder?.startedAt;
  }

  /** Gajim's memory and CPU time now (Linux /proc). */
  usage(): ProcessUsage {
    const pid = this.gajim.client.pid;
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readText(`/proc/${pid}/status`))?.[1] ?? NaN);
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
    const fields = readText(`/proc/${pid}/stat`).split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (!Number.isFinite(rssKb) || !Number.isFinite(ticks)) throw new InteropError(`Gajim (pid ${pid}) is not running`);
    return { rssBytes: rssKb * 1024, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
  }

  /** Stops Gajim and everything started for it, and finalizes the recording. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.polling;
      await this.player?.stop();
      this.recorder?.stop();
      await this.gajim.stop();
      await stopServices(this.services);
    })();
    return this.stopping;
  }

  private schedulePoll(): void {
    setTimeout(() => {
      if (this.stopping) return;
      this.polling = this.poll()
        .catch((error: Error) => log.warn(`following Gajim: ${error.message}`))
        .finally(() => this.schedulePoll());
    }, POLL_MS);
  }

  private async poll(): Promise<void> {
    const text = readText(this.logFile);
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
    await this.player?.stop();
    this.player = this.services.pulse.playLoop(this.pcm.samples, this.pcm.sampleRate);
    this.recorder ??= this.services.pulse.record(this.options.recordPath);
    const call = { sid, from, answeredAt, playStartedAt: this.player.startedAt };
    this.calls.push(call);
    log.info(`answered call ${sid} from ${from}`);
    this.onCallAnswered.emit(call);
  }

  private async callEvent(event: GajimCallEvent): Promise<void> {
    this.events.push(event);
    log.info(`call ${event.sid}: ${event.kind} ${event.detail}`);
    if (event.kind === 'ended' || event.kind === 'error') {
      await this.player?.stop();
      this.player = undefined;
    }
    this.onCallEvent.emit(event);
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times, on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

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

interface Services {
  display: VirtualDisplay;
  pulse: PulseServer;
}

async function startServices(dir: string, user: UnixUser): Promise<Services> {
  const pulseDir = join(dir, 'pulse');
  mkdirSync(pulseDir, { recursive: true });
  const [display, pulse] = await Promise.allSettled([startXvfb(dir), PulseServer.start(pulseDir)]);
  if (display.status === 'fulfilled' && pulse.status === 'fulfilled') {
    // PulseAudio, run by root, keeps its folder and socket to root (0700, checked at its start only); Gajim
    // connects as another user: it may now traverse the folder and owns the socket.
    chmodSync(pulseDir, 0o711);
    chownSync(pulse.value.address.replace(/^unix:/, ''), user.uid, user.gid);
    return { display: display.value, pulse: pulse.value };
  }
  await Promise.all([display.status === 'fulfilled' && display.value.process.terminate(), pulse.status === 'fulfilled' && pulse.value.stop()]);
  const failure = [display, pulse].find((result) => result.status === 'rejected') as PromiseRejectedResult;
  throw failure.reason;
}

async function stopServices(services: Services): Promise<void> {
  await Promise.all([services.pulse.stop(), services.display.process.terminate()]);
}

function gajimEnvironment(paths: ProfilePaths, services: Services): Record<string, string> {
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

async function loadSpeech(path: string): Promise<{ samples: Int16Array; sampleRate: number }> {
  const audio = await readAudio(resolve(path));
  const mono = downmix(audio.samples);
  const samples = Int16Array.from(mono, (sample) => Math.max(-32768, Math.min(32767, Math.round(sample * 32768))));
  return { samples, sampleRate: audio.sampleRate };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function lastLines(logFile: string): string {
  return readText(logFile)
    .split('\n')
    .filter((line) => /\((W|E|C)\)|WARNING|CRITICAL|ERROR|Traceback|[Ee]rror|earshot:/.test(line))
    .slice(-12)
    .join('\n');
}
