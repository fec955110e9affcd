// What the Dino and Gajim peers share once their client has logged in: the client in its sandbox with its
// display and PulseAudio, the speech it plays and the recording of what it plays back, a poll that follows
// what the client does (each peer's own), and stopping all of it.
import type { Logger } from '../util/index.js';
import type { CallAudio } from './call-audio.js';
import type { ClientSandbox } from './client-sandbox.js';
import { Poller } from './commands.js';
import { stopDesktopServices, type DesktopServices } from './desktop-services.js';
import { processUsage, type ProcessUsage } from './process-usage.js';

const POLL_MS = 100;

/** How to start a headless client peer (each peer adds its own options). */
export interface HeadlessPeerOptions {
  /** Bare JID (a resource after "/" becomes the client's resource) and password. */
  account: { jid: string; password: string };
  /** Folder for the client's home, settings, logs and the helper servers' sockets; created if missing. */
  workDir: string;
  /** WAV played into the client's microphone, looped while a call is up. */
  play: string;
  /** WAV (16-bit mono, 48 kHz) of what the client's speaker plays, from the first answered call until stop(). */
  recordPath: string;
  /** Where the client's "<domain>:5222" leads; default 127.0.0.1:5222. */
  server?: { host: string; port: number };
  /** A CA (PEM) the client trusts besides the system store: the lab's. */
  trustedCaPem?: string;
  /** Default: the client's name in lower case ("dino", "gajim"). */
  resource?: string;
}

export interface HeadlessPeerParts<Services extends DesktopServices> {
  /** The client's name in messages, e.g. "Dino". */
  name: string;
  /** The client's full JID. */
  jid: string;
  /** From start() to logged in. */
  startupMs: number;
  logFile: string;
  sandbox: ClientSandbox;
  services: Services;
  audio: CallAudio;
  log: Logger;
}

export abstract class HeadlessPeer<Services extends DesktopServices = DesktopServices> {
  readonly jid: string;
  readonly startupMs: number;
  readonly logFile: string;
  protected readonly name: string;
  protected readonly sandbox: ClientSandbox;
  protected readonly services: Services;
  protected readonly audio: CallAudio;
  /** Set once stop() was called: a poll under way checks it before each step. */
  protected stopping: Promise<void> | undefined;
  private readonly poller: Poller;

  protected constructor(parts: HeadlessPeerParts<Services>) {
    this.jid = parts.jid;
    this.startupMs = parts.startupMs;
    this.logFile = parts.logFile;
    this.name = parts.name;
    this.sandbox = parts.sandbox;
    this.services = parts.services;
    this.audio = parts.audio;
    this.poller = new Poller(POLL_MS, () => this.poll(), (error) => parts.log.warn(`following ${parts.name}: ${error.message}`));
  }

  /** The client's address on its private link to this host: its only ICE host candidate. */
  get address(): string | undefined {
    return this.sandbox.clientAddress;
  }

  /** Epoch ms of the recording's first sample; undefined until a call was answered. */
  get recordingStartedAt(): number | undefined {
    return this.audio.recordingStartedAt;
  }

  /** The client's memory and CPU time now (Linux /proc). */
  usage(): ProcessUsage {
    return processUsage(this.sandbox.client.pid, this.name);
  }

  /** Stops the client and everything started for it, and finalizes the recording. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.poller.stop();
      await this.audio.stop();
      await this.sandbox.stop();
      await stopDesktopServices(this.services);
    })();
    return this.stopping;
  }

  /** One look at what the client did since the last: answered calls, ended calls. */
  protected abstract poll(): Promise<void>;
}
