// A headless client's side of the audio: for each call it answers, speech plays in a loop into its microphone
// (restarted for the next call); what its speaker plays is recorded to one WAV from the first call until stop().
import { resolve } from 'node:path';
import { readAudio, downmix } from '../media/wav.js';
import type { LoopingPlayer, PulseServer, SpeakerRecording } from './pulse.js';

export interface Speech {
  samples: Int16Array;
  sampleRate: number;
}

/** A WAV file as 16-bit mono PCM, what PulseAudio is fed. */
export async function loadSpeech(path: string): Promise<Speech> {
  const audio = await readAudio(resolve(path));
  const mono = downmix(audio.samples);
  const samples = Int16Array.from(mono, (sample) => Math.max(-32768, Math.min(32767, Math.round(sample * 32768))));
  return { samples, sampleRate: audio.sampleRate };
}

export class CallAudio {
  private player: LoopingPlayer | undefined;
  private recorder: SpeakerRecording | undefined;

  constructor(
    private readonly pulse: PulseServer,
    private readonly speech: Speech,
    /** WAV (16-bit mono, 48 kHz) of what the speaker plays. */
    private readonly recordPath: string,
  ) {}

  /** Whether speech is playing: from callStarted() until callEnded() or stop(). */
  get playing(): boolean {
    return this.player !== undefined;
  }

  /** Epoch ms of the recording's first sample; undefined until the first call. */
  get recordingStartedAt(): number | undefined {
    return this.recorder?.startedAt;
  }

  /** Plays the speech from its start (and begins recording at the first call); resolves with the epoch ms it began. */
  async callStarted(): Promise<number> {
    await this.player?.stop();
    this.player = this.pulse.playLoop(this.speech.samples, this.speech.sampleRate);
    this.recorder ??= this.pulse.record(this.recordPath);
    return this.player.startedAt;
  }

  /** Stops the speech; the recording goes on. */
  async callEnded(): Promise<void> {
    const player = this.player;
    this.player = undefined;
    await player?.stop();
  }

  /** Stops the speech and finalizes the recording. */
  async stop(): Promise<void> {
    await this.callEnded();
    this.recorder?.stop();
  }
}
