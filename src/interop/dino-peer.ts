// Dino 0.4.2 (Debian dino-im) as a headless peer that answers calls by itself: Xvfb, a private D-Bus session
// bus and PulseAudio, and Dino in a client sandbox (client-sandbox.ts) that shows it the XMPP server as its
// domain's port 5222 and trusts the given CA. Incoming calls are found in Dino's database and answered through
// its `accept-call` GAction; while a call is up the speech file plays into Dino's microphone in a loop, and
// what Dino's speaker plays is recorded from the first answered call until stop().
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findExecutable } from '../lab/processes.js';
import { Event, logger, redact } from '../util/index.js';
import { CallAudio, loadSpeech } from './call-audio.js';
import { ClientLog } from './client-log.js';
import { ClientSandbox } from './client-sandbox.js';
import { InteropError, waitUntil } from './commands.js';
import { startDesktopServices, stopDesktopServices, type DesktopServices } from './desktop-services.js';
import { DinoDatabase } from './dino-database.js';
import { HeadlessPeer, type HeadlessPeerOptions, type HeadlessPeerParts } from './headless-peer.js';
import { activateAction, type SessionBus } from './session-bus.js';

const log = logger('dino');
const DINO = 'dino-im';
/** Debug output of these GLib log domains goes to dino.log: connections, Jingle, ICE, RTP. */
const LOG_DOMAINS = 'libdino xmpp-vala rtp ice';
const CONNECTED_LINE = /\] New connection with resource/;
const WARNING_LINE = /WARNING|CRITICAL|ERROR|[Ee]rror|[Cc]ertificate/;

type Services = DesktopServices & { bus: SessionBus };

export interface DinoPeerOptions extends HeadlessPeerOptions {
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

export class DinoPeer extends HeadlessPeer<Services> {
  /** A call was answered (accept-call sent). */
  readonly onCallAnswered = new Event<[DinoAnsweredCall]>();
  readonly calls: DinoAnsweredCall[] = [];
  private lastCallId = 0;
  /** Whether Dino has captured from its microphone during the current call. */
  private sawCapture = false;

  private constructor(
    parts: HeadlessPeerParts<Services>,
    private readonly database: DinoDatabase,
  ) {
    super(parts);
  }

  static async start(options: DinoPeerOptions): Promise<DinoPeer> {
    const startedAt = performance.now();
    if (!findExecutable(DINO)) throw new InteropError('Dino is not installed: apt-get install -y dino-im');
    const [bareJid, resource = options.resource ?? 'dino'] = options.account.jid.split('/');
    const domain = bareJid.split('@')[1];
    if (!domain || !bareJid.split('@')[0]) throw new InteropError(`"${options.account.jid}" is not a JID with a local part and a domain`);
    redact(options.account.password);
    const speech = await loadSpeech(options.play);
    const dir = resolve(options.workDir);
    for (const sub of ['home', 'config', 'data', 'cache', 'runtime', 'sandbox']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    const logFile = join(dir, 'dino.log');
    const clientLog = new ClientLog(logFile, WARNING_LINE);
    const database = new DinoDatabase(join(dir, 'data/dino/dino.db'));
    const timeoutMs = options.startTimeoutMs ?? 30_000;

    const services = await startDesktopServices({ dir, sessionBus: true });
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
          giveUp: () => (firstRun.client.exited ? `it exited: ${firstRun.client.outputTail().trim() || clientLog.lastWarnings()}` : undefined),
        });
      } finally {
        await firstRun.stop();
      }
      await database.addAccount(bareJid, resource, options.account.password);

      const logStart = clientLog.text().length;
      const server = options.server ?? { host: '127.0.0.1', port: 5222 };
      dino = await ClientSandbox.start({ ...sandbox, xmpp: { domain, ...server } });
      await clientLog.waitFor(`Dino did not log in as ${bareJid}`, logStart, (written) => (CONNECTED_LINE.test(written) ? true : undefined), dino, timeoutMs);
      const startupMs = Math.round(performance.now() - startedAt);
      log.info(`Dino logged in as ${bareJid}/${resource} in ${startupMs} ms (address ${dino.clientAddress})`);
      const audio = new CallAudio(services.pulse, speech, options.recordPath);
      return new DinoPeer({ name: 'Dino', jid: `${bareJid}/${resource}`, startupMs, logFile, sandbox: dino, services, audio, log }, database);
    } catch (error) {
      await dino?.stop();
      await stopDesktopServices(services);
      throw error;
    }
  }

  protected async poll(): Promise<void> {
    for (const call of await this.database.incomingCallsAfter(this.lastCallId)) {
      this.lastCallId = call.id;
      if (this.stopping) return;
      await activateAction(this.services.bus.address, 'im.dino.Dino', '/im/dino/Dino', 'accept-call', `(${call.conversationId}, ${call.id})`);
      const answeredAt = Date.now();
      this.sawCapture = false;
      const playStartedAt = await this.audio.callStarted();
      const answered = { id: call.id, from: call.from, answeredAt, playStartedAt };
      this.calls.push(answered);
      log.info(`answered call ${call.id} from ${call.from}`);
      this.onCallAnswered.emit(answered);
    }
    // The call is up while Dino captures from the microphone; once that stream has come and gone, it is over.
    if (this.audio.playing && !this.stopping) {
      const capturing = (await this.services.pulse.captureStreams()) > 0;
      if (capturing) this.sawCapture = true;
      else if (this.sawCapture) await this.audio.callEnded();
    }
  }
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
