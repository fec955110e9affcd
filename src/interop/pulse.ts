// A private PulseAudio server for a headless client: a "speaker" null sink (what the client plays) and a "mic"
// null sink whose monitor, remapped, is the default source (what the client captures). Speech is played into
// the mic sink in a gapless loop (pacat fed from here) and the speaker sink's monitor recorded (parec) to a WAV.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, ManagedProcess } from '../lab/processes.js';
import { WavWriter } from '../media/wav.js';
import { InteropError, runCommand, waitUntil, withEnvironment } from './commands.js';

/** Both sinks run at this rate, mono, so that nothing is resampled between the client and the files. */
export const PULSE_RATE = 48_000;
const SPEAKER_SINK = 'speaker';
const MIC_SINK = 'mic_feed';
export const MIC_SOURCE = 'mic';

export class PulseServer {
  private constructor(
    /** The PULSE_SERVER value for clients. */
    readonly address: string,
    readonly process: ManagedProcess,
    private readonly monitors: { speaker: SinkMonitor; mic: SinkMonitor },
  ) {}

  static async start(dir: string, timeoutMs = 10_000): Promise<PulseServer> {
    for (const tool of ['pulseaudio', 'pacat', 'parec', 'pactl']) {
      if (!findExecutable(tool)) throw new InteropError(`${tool} is not installed: apt-get install -y pulseaudio pulseaudio-utils`);
    }
    const socket = join(dir, 'pulse-native');
    const script = join(dir, 'pulse.pa');
    writeFileSync(
      script,
      [
        `load-module module-native-protocol-unix socket=${socket} auth-anonymous=1`,
        `load-module module-null-sink sink_name=${SPEAKER_SINK} rate=${PULSE_RATE} channels=1`,
        `load-module module-null-sink sink_name=${MIC_SINK} rate=${PULSE_RATE} channels=1`,
        `load-module module-remap-source source_name=${MIC_SOURCE} master=${MIC_SINK}.monitor channels=1`,
        `set-default-sink ${SPEAKER_SINK}`,
        `set-default-source ${MIC_SOURCE}`,
        '',
      ].join('\n'),
    );
    const env = { HOME: dir, XDG_RUNTIME_DIR: dir, PULSE_RUNTIME_PATH: dir, PULSE_STATE_PATH: dir };
    // -n: no default.pa (no hardware, no D-Bus modules); --system=false lets root run a per-user server.
    const args = ['-n', '--daemonize=no', '--system=false', '--exit-idle-time=-1', '--disallow-exit', '--use-pid-file=no', '--log-target=stderr', '-F', script];
    const server = await ManagedProcess.spawn('pulseaudio', 'env', withEnvironment(env, 'pulseaudio', args), dir);
    const address = `unix:${socket}`;
    const monitors: SinkMonitor[] = [];
    try {
      await waitUntil('PulseAudio did not start', () => pactl(address, ['info']).then(() => true, () => undefined), {
        timeoutMs,
        intervalMs: 100,
        giveUp: () => (server.exited ? `it exited: ${server.outputTail().trim()}` : undefined),
      });
      // An idle null sink renders in blocks of about 2 s, so a stream that connects to it waits up to that long
      // for its first sample. A low-latency monitor of each sink, kept from now on, holds both sinks at 40 ms:
      // playback reaches the client at once, and the speaker's monitor is what gets recorded.
      for (const sink of [SPEAKER_SINK, MIC_SINK]) monitors.push(new SinkMonitor(pulseClient(address, 'parec', ['--record', `${sink}.monitor`, PULSE_RATE])));
      await Promise.all(monitors.map((monitor) => monitor.flowing(timeoutMs)));
      return new PulseServer(address, server, { speaker: monitors[0]!, mic: monitors[1]! });
    } catch (error) {
      await Promise.all(monitors.map((monitor) => monitor.stop()));
      await server.terminate();
      throw error;
    }
  }

  /** How many clients are capturing from the mic source right now (a call's audio pipeline is one). */
  async captureStreams(): Promise<number> {
    const sources = await pactl(this.address, ['list', 'short', 'sources']);
    const micIndex = sources.split('\n').find((line) => line.split('\t')[1] === MIC_SOURCE)?.split('\t')[0];
    const outputs = await pactl(this.address, ['list', 'short', 'source-outputs']);
    return outputs.split('\n').filter((line) => micIndex !== undefined && line.split('\t')[1] === micIndex).length;
  }

  /** Plays 16-bit mono PCM into the mic sink over and over until stopped. */
  playLoop(pcm: Int16Array, sampleRate: number): LoopingPlayer {
    return new LoopingPlayer(pulseClient(this.address, 'pacat', ['--playback', MIC_SINK, sampleRate]), pcm);
  }

  /** Records the speaker sink (16-bit mono WAV at PULSE_RATE) from now until the recording is stopped. */
  record(path: string): SpeakerRecording {
    return this.monitors.speaker.record(new WavWriter(path, PULSE_RATE));
  }

  async stop(): Promise<void> {
    await Promise.all([this.monitors.speaker.stop(), this.monitors.mic.stop()]);
    await this.process.terminate();
  }
}

function pactl(address: string, args: string[]): Promise<string> {
  return runCommand('pactl', args, { env: { ...process.env, PULSE_SERVER: address }, timeoutMs: 5000 });
}

/**
 * A pacat/parec stream of raw s16le mono. Not a ManagedProcess: it lives on a pipe to this process, so it
 * ends by itself (EOF or EPIPE) if this process dies.
 */
function pulseClient(address: string, command: string, [mode, device, rate]: [string, string, number]): ChildProcess {
  const args = [mode, `--device=${device}`, '--raw', '--format=s16le', `--rate=${rate}`, '--channels=1', '--latency-msec=40'];
  const child = spawn(command, args, { env: { ...process.env, PULSE_SERVER: address }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.on('error', () => undefined); // reported through its exit; the streams below fail quietly with it
  child.stdin?.on('error', () => undefined);
  return child;
}

export class LoopingPlayer {
  /** Epoch ms at which the first sample was handed to PulseAudio. */
  readonly startedAt = Date.now();
  private stopped = false;
  private readonly exited: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    pcm: Int16Array,
  ) {
    if (pcm.length === 0) throw new InteropError('nothing to play: the audio is empty');
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    const feed = () => {
      // pacat reads at the sink's pace: its pipe fills, write() returns false, and 'drain' asks for the next loop.
      while (!this.stopped && child.stdin?.writable && child.stdin.write(bytes));
    };
    child.stdin?.on('drain', feed);
    feed();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.child.kill('SIGTERM'); // now, not after pacat has played what is still queued
    await this.exited;
  }
}

export interface SpeakerRecording {
  /** Epoch ms of the recording's first sample (within one 40 ms block). */
  readonly startedAt: number;
  readonly path: string;
  /** Finalizes the WAV. */
  stop(): void;
}

/** A parec stream of a sink's monitor: discarded, or written to a WAV while a recording is attached. */
class SinkMonitor {
  private readonly exited: Promise<void>;
  private writer: WavWriter | undefined;
  private carry: Buffer | undefined;
  private receivedAny = false;

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdout?.on('data', (chunk: Buffer) => {
      this.receivedAny = true;
      this.append(chunk);
    });
  }

  flowing(timeoutMs: number): Promise<true> {
    return waitUntil('PulseAudio delivered no audio from a sink monitor', () => (this.receivedAny ? true : undefined), {
      timeoutMs,
      giveUp: () => (this.child.exitCode !== null ? `parec exited with ${this.child.exitCode}` : undefined),
    });
  }

  record(writer: WavWriter): SpeakerRecording {
    if (this.writer) throw new InteropError(`already recording to ${this.writer.path}`);
    this.writer = writer;
    return {
      startedAt: Date.now(),
      path: writer.path,
      stop: () => {
        if (this.writer === writer) this.writer = undefined;
        writer.close();
      },
    };
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
    this.writer?.close();
  }

  private append(chunk: Buffer): void {
    const writer = this.writer;
    if (!writer || writer.closed) return;
    const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 2);
    this.carry = whole < bytes.length ? bytes.subarray(whole) : undefined;
    const aligned = Buffer.from(bytes.subarray(0, whole)); // a copy: Int16Array needs an even byte offset
    writer.write(new Int16Array(aligned.buffer, aligned.byteOffset, whole / 2));
  }
}
