// Dino 0.4.2 (Debian dino-im) as a headless peer that answers calls by itself: Xvfb, a private D-Bus session
// bus and PulseAudio, and Dino in a client sandbox (client-sandbox.ts) that shows it the XMPP server as its
// domain's port 5222 and trusts the given CA. Incoming calls are found in Dino's database and answered through
// its `accept-call` GAction; while a call is up the speech file plays into Dino's microphone in a loop, and
// what Dino's speaker plays is recorded from the first answered call until stop().
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findExecutable } from '../lab/processes.js';
import { readAudio, downmix } from '../media/wav.js';
import { Event, logger, redact } from '../util/index.js';
import { ClientSandbox } from './client-sandbox.js';
import { InteropError, waitUntil } from './commands.js';
import { DinoDatabase } from './dino-database.js';
import { PulseServer, type LoopingPlayer, type SpeakerRecording } from './pulse.js';
import { activateAction, startSessionBus, type SessionBus } from './session-bus.js';
import { startXvfb, type VirtualDisplay } from './xvfb.js';

const log = logger('dino');
const DINO = 'dino-im';
const POLL_MS = 100;
/** Debug output of these GLib log domains goes to dino.log: connections, Jingle, ICE, RTP. */
const LOG_DOMAINS = 'libdino xmpp-vala rtp ice';
const CONNECTED_LINE = /\] New connection with resource/;

export interface DinoPeerOptions {
  /** Bare JID (a resource after "/" becomes Dino's resource) and password. */
  account: { jid: string; password: string };
  /** Folder for Dino's home, database, logs and the helper servers' sockets; created if missing. */
  workDir: string;
  /** WAV played into Dino's microphone, looped while a call is up. */
  play: string;
  /** WAV (16-bit mono, 48 kHz) of what Dino's speaker plays, from the first answered call until stop(). */
  recordPath: string;
  /** Where Dino's "<domain>:5222" leads; default 127.0.0.1:5222. */
  server?: { host: string; port: number };
  /** A CA (PEM) Dino trusts besides the system store: the lab's. */
  trustedCaPem?: string;
  /** Default "dino". */
  resource?: string;
  /** How long Dino may take to create its database, and then to log in; default 30 s each. */
  startTimeoutMs?: number;
}

export interface DinoAnsweredCall {
  /** Dino's call id. */
  id: number;
  /** The caller, as Dino stored it. */
  from: string;
  /** Epoch ms at which accept-call was sent. */
  answeredAt: number;
  /** Epoch ms at which the speech loop began playing into Dino's microphone for this call. */
  playStartedAt: number;
}

export interface ProcessUsage {
  rssBytes: number;
  /** User + system CPU time since the process started. */
  cpuSeconds: number;
}

export class DinoPeer {
  /** A call was answered (accept-call sent). */
  readonly onCallAnswered = new Event<[DinoAnsweredCall]>();
  readonly calls: DinoAnsweredCall[] = [];
  private lastCallId = 0;
  private player: { loop: LoopingPlayer; sawCapture: boolean } | undefined;
  private recorder: SpeakerRecording | undefined;
  private polling: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    /** Dino's full JID. */
    readonly jid: string,
    /** From start() to logged in. */
    readonly startupMs: number,
    readonly logFile: string,
    private readonly options: DinoPeerOptions,
    private readonly pcm: { samples: Int16Array; sampleRate: number },
    private readonly services: Services,
    private readonly dino: ClientSandbox,
    private readonly database: DinoDatabase,
  ) {
    this.schedulePoll();
  }

  static async start(options: DinoPeerOptions): Promise<DinoPeer> {
    const startedAt = performance.now();
    if (!findExecutable(DINO)) throw new InteropError('Dino is not installed: apt-get install -y dino-im');
    const [bareJid, resource = options.resource ?? 'dino'] = options.account.jid.split('/');
    const domain = bareJid.split('@')[1];
    if (!domain || !bareJid.split('@')[0]) throw new InteropError(`"${options.account.jid}" is not a JID with a local part and a domain`);
    redact(options.account.password);
    const pcm = await loadSpeech(options.play);
    const dir = resolve(options.workDir);
    for (const sub of ['home', 'config', 'data', 'cache', 'runtime', 'sandbox']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    const logFile = join(dir, 'dino.log');
    const database = new DinoDatabase(join(dir, 'data/dino/dino.db'));
    const timeoutMs = options.startTimeoutMs ?? 30_000;

    const services = await startServices(dir);
    let dino: ClientSandbox | undefined;
    try {
      const env = dinoEnvironment(dir, services);
      const sandbox = { dir: join(dir, 'sandbox'), name: DINO, command: DINO, args: [], env, logFile, trustedCaPem: options.trustedCaPem };
      // Dino creates its database on its first start; the account row must be there before the next one.
      const firstRun = await ClientSandbox.start(sandbox);
      try {
        await waitUntil('Dino did not create its database', () => database.isInitialized().then((ok) => ok || undefined), {
          timeoutMs,
          intervalMs: 200,
          giveUp: () => (firstRun.client.exited ? `it exited: ${firstRun.client.outputTail().trim() || lastLines(logFile)}` : undefined),
        });
      } finally {
        await firstRun.stop();
      }
      await database.addAccount(bareJid, resource, options.account.password);

      const logStart = readText(logFile).length;
      const server = options.server ?? { host: '127.0.0.1', port: 5222 };
      dino = await ClientSandbox.start({ ...sandbox, xmpp: { domain, ...server } });
      const running = dino;
      await waitUntil(`Dino did not log in as ${bareJid}`, () => (CONNECTED_LINE.test(readText(logFile).slice(logStart)) ? true : undefined), {
        timeoutMs,
        intervalMs: 100,
        giveUp: () => (running.client.exited ? `it exited:\n${running.client.outputTail().trim()}\n${lastLines(logFile)}` : undefined),
      }).catch((error: Error) => {
        throw new InteropError(`${error.message}\n--- last warnings in ${logFile}:\n${lastLines(logFile)}`);
      });
      const startupMs = Math.round(performance.now() - startedAt);
      log.info(`Dino logged in as ${bareJid}/${resource} in ${startupMs} ms (address ${dino.clientAddress})`);
      return new DinoPeer(`${bareJid}/${resource}`, startupMs, logFile, options, pcm, services, dino, database);
    } catch (error) {
      await dino?.stop();
      await stopServices(services);
      throw error;
    }
  }

  /** Dino's address on its private link to this host: its only ICE host candidate. */
  get address(): string | undefined {
    return this.dino.clientAddress;
  }

  /** Epoch ms of the recording's first sample; undefined until a call was answered. */
  get recordingStartedAt(): number | undefined {
    return this.recorder?.startedAt;
  }

  /** Dino's memory and CPU time now (Linux /proc). */
  usage(): ProcessUsage {
    const pid = this.dino.client.pid;
    const status = readText(`/proc/${pid}/status`);
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
    const fields = readText(`/proc/${pid}/stat`).split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (!Number.isFinite(rssKb) || !Number.isFinite(ticks)) throw new InteropError(`Dino (pid ${pid}) is not running`);
    return { rssBytes: rssKb * 1024, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
  }

  /** Stops Dino and everything started for it, and finalizes the recording. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.polling;
      await this.player?.loop.stop();
      this.recorder?.stop();
      await this.dino.stop();
      await stopServices(this.services);
    })();
    return this.stopping;
  }

  private schedulePoll(): void {
    setTimeout(() => {
      if (this.stopping) return;
      this.polling = this.poll()
        .catch((error: Error) => log.warn(`polling Dino: ${error.message}`))
        .finally(() => this.schedulePoll());
    }, POLL_MS);
  }

  private async poll(): Promise<void> {
    for (const call of await this.database.incomingCallsAfter(this.lastCallId)) {
      this.lastCallId = call.id;
      if (this.stopping) return;
      await activateAction(this.services.bus.address, 'im.dino.Dino', '/im/dino/Dino', 'accept-call', `(${call.conversationId}, ${call.id})`);
      const answeredAt = Date.now();
      await this.player?.loop.stop();
      const loop = this.services.pulse.playLoop(this.pcm.samples, this.pcm.sampleRate);
      this.player = { loop, sawCapture: false };
      this.recorder ??= this.services.pulse.record(this.options.recordPath);
      const answered = { id: call.id, from: call.from, answeredAt, playStartedAt: loop.startedAt };
      this.calls.push(answered);
      log.info(`answered call ${call.id} from ${call.from}`);
      this.onCallAnswered.emit(answered);
    }
    // The call is up while Dino captures from the microphone; once that stream has come and gone, it is over.
    const player = this.player;
    if (player && !this.stopping) {
      const capturing = (await this.services.pulse.captureStreams()) > 0;
      if (capturing) player.sawCapture = true;
      else if (player.sawCapture) {
        this.player = undefined;
        await player.loop.stop();
      }
    }
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times, on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

interface Services {
  display: VirtualDisplay;
  bus: SessionBus;
  pulse: PulseServer;
}

async function startServices(dir: string): Promise<Services> {
  const [display, bus, pulse] = await Promise.allSettled([startXvfb(dir), startSessionBus(dir), PulseServer.start(dir)]);
  if (display.status === 'fulfilled' && bus.status === 'fulfilled' && pulse.status === 'fulfilled') {
    return { display: display.value, bus: bus.value, pulse: pulse.value };
  }
  await Promise.all([
    display.status === 'fulfilled' && display.value.process.terminate(),
    bus.status === 'fulfilled' && bus.value.process.terminate(),
    pulse.status === 'fulfilled' && pulse.value.stop(),
  ]);
  const failure = [display, bus, pulse].find((result) => result.status === 'rejected') as PromiseRejectedResult;
  throw failure.reason;
}

async function stopServices(services: Services): Promise<void> {
  await Promise.all([services.pulse.stop(), services.bus.process.terminate(), services.display.process.terminate()]);
}

function dinoEnvironment(dir: string, services: Services): Record<string, string> {
  return {
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_RUNTIME_DIR: join(dir, 'runtime'),
    DISPLAY: services.display.display,
    DBUS_SESSION_BUS_ADDRESS: services.bus.address,
    PULSE_SERVER: services.pulse.address,
    // GLib's netlink monitor calls a network without a default route offline, and Dino then shows its account
    // as disconnected and stops reconnecting; the base monitor assumes the network is there.
    GIO_USE_NETWORK_MONITOR: 'base',
    GSETTINGS_BACKEND: 'memory',
    GTK_A11Y: 'none', // else GTK 4 has the session bus start an accessibility bus
    G_MESSAGES_DEBUG: LOG_DOMAINS,
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
    .filter((line) => /WARNING|CRITICAL|ERROR|[Ee]rror|[Cc]ertificate/.test(line))
    .slice(-12)
    .join('\n');
}
