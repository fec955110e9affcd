/**
 * An independent Jingle peer for interop tests: StanzaJS 12 (its own Jingle <-> SDP translation)
 * driving @roamhq/wrtc (Google's libwebrtc) in Node, connected to the lab's Prosody over websocket.
 * Nobody on earshot wrote either stack, so a call that works between earshot and this peer is
 * evidence that earshot speaks Jingle the way others do.
 *
 * Media: the local track is fed 10 ms PCM frames in real time from `playPcm` (silence if none); every
 * frame of the remote audio track is recorded. One call at a time: a second incoming call is
 * declined with `busy`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import wrtc from '@roamhq/wrtc';
import { createClient, type Agent, type Jingle } from 'stanza';
import { resample } from '../../src/util/resample.js';

type MediaSession = Jingle.MediaSession;
type BaseSession = Jingle.Session;

const { RTCPeerConnection, MediaStream, nonstandard } = wrtc;

/** libwebrtc's audio source takes exactly 10 ms per frame; 48 kHz is what Opus runs at. */
const SEND_RATE = 48_000;
const FRAME_MS = 10;
const SAMPLES_PER_FRAME = SEND_RATE / (1000 / FRAME_MS);
/** After a longer stall of the event loop the sender skips ahead instead of bursting. */
const MAX_CATCH_UP_FRAMES = 10;
const MEDIA_POLL_MS = 20;

export interface StanzaPeerOptions {
  /** Bare JID (the server picks the resource) or full JID (that resource is requested). */
  jid: string;
  password: string;
  /** e.g. ws://127.0.0.1:5280/xmpp-websocket */
  websocketUrl: string;
  /** Default `[]`: StanzaJS would otherwise add Google's public STUN server. */
  iceServers?: RTCIceServer[];
  /** Mono speech to send, resampled to 48 kHz. Loops by default; with `loop: false`, silence follows. */
  playPcm?: { samples: Int16Array; sampleRate: number; loop?: boolean };
  /** Login timeout; default 10000 ms. */
  connectTimeoutMs?: number;
}

export interface CallOptions {
  /** How long to wait for session-accept; default 15000 ms, then the call ends with reason `timeout`. */
  timeoutMs?: number;
}

/** Every Jingle IQ (and its result or error) exactly as it crossed the websocket. */
export interface JingleStanzaRecord {
  direction: 'sent' | 'received';
  xml: string;
}

export interface Recording {
  /** Sample rate of `samples()`: the rate libwebrtc delivers (48000 until the first frame says otherwise). */
  readonly sampleRate: number;
  /** Everything received from the remote audio track so far, mixed to mono. */
  samples(): Int16Array;
}

export class StanzaPeer {
  /** Full JID once bound. */
  readonly jid: string;
  /** Diagnostics in order: `session-initiate sent`, `session-accept received`, `ice connected`, `terminated: success`, ... */
  readonly sessionEvents: string[] = [];
  readonly jingleStanzas: JingleStanzaRecord[] = [];
  readonly recording: Recording;

  private readonly recorder = new Recorder();
  private readonly playback: Int16Array | undefined;
  private readonly loopPlayback: boolean;
  private session: MediaSession | undefined;
  private media: SessionMedia | undefined;
  private answerAutomatically = false;
  /** ids of Jingle IQs we sent, to name the action a result or error belongs to. */
  private readonly sentActions = new Map<string, string>();
  /** Whether the current call has received audio: stays true after it ends, until the next call. */
  private mediaSeen = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly client: Agent,
    playback: Int16Array | undefined,
    loopPlayback: boolean,
  ) {
    this.jid = client.jid;
    this.recording = this.recorder;
    this.playback = playback;
    this.loopPlayback = loopPlayback;
    this.wireJingle();
  }

  static async connect(options: StanzaPeerOptions): Promise<StanzaPeer> {
    if (!/^wss?:\/\//.test(options.websocketUrl)) throw new Error(`websocketUrl must be ws:// or wss://, got "${options.websocketUrl}"`);
    const playback = options.playPcm && toSendRate(options.playPcm.samples, options.playPcm.sampleRate);
    const [bareJid, resource] = splitJid(options.jid);
    const client = createClient({
      jid: bareJid,
      resource,
      password: options.password,
      transports: { websocket: options.websocketUrl, bosh: false },
      // Loopback needs no stream management, and StanzaJS answers a late <r/> after its stream closed
      // (write after end, printed to the console); a closed test peer should also be gone at once.
      useStreamManagement: false,
      jingle: {
        iceServers: options.iceServers ?? [],
        hasRTCPeerConnection: true,
        advertiseAudio: true,
        advertiseVideo: false,
        advertiseFileTransfer: false,
        trickleIce: true,
      },
    });
    // StanzaJS sees no RTCPeerConnection in Node; hand it libwebrtc's.
    client.jingle.createPeerConnection = (_session, configuration) => adaptForNode(new RTCPeerConnection(configuration));
    await login(client, options.connectTimeoutMs ?? 10_000);
    const peer = new StanzaPeer(client, playback, options.playPcm?.loop ?? true);
    client.sendPresence();
    return peer;
  }

  /** Sends a direct session-initiate (StanzaJS has no JMI) and resolves once the callee accepts. */
  async call(targetFullJid: string, options: CallOptions = {}): Promise<void> {
    this.assertOpen();
    if (this.session) throw new Error(`${this.jid} is already in a call with ${this.session.peerID}`);
    const media = new SessionMedia();
    const session = this.client.jingle.createMediaSession(targetFullJid, undefined, media.stream);
    this.adopt(session, media);
    // Both at once: the outcome may already fail (an immediate refusal) while start() is still running.
    await Promise.all([session.start(), this.sessionOutcome(session, options.timeoutMs ?? 15_000)]);
  }

  /** Accepts every incoming call from now on (also one already waiting). */
  autoAnswer(): void {
    this.answerAutomatically = true;
    if (this.session && this.session.state === 'pending' && !this.session.isInitiator) void this.answer(this.session);
  }

  /**
   * Resolves once the current call has received audio RTP packets and the remote track has delivered
   * frames. (Frames alone prove nothing: libwebrtc's sink also delivers silence it made up.)
   */
  async waitForMedia(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await this.mediaArrived())) {
      if (performance.now() >= deadline) {
        throw new Error(`${this.jid}: no remote audio within ${timeoutMs} ms (events: ${this.sessionEvents.join(', ')})`);
      }
      await delay(MEDIA_POLL_MS);
    }
  }

  /**
   * Ends the current call with session-terminate and waits for its acknowledgement. The reason is what
   * a user's client would send: `success` for an established call, `cancel` for an unanswered outgoing
   * one, `decline` for an incoming one not yet answered.
   */
  async hangUp(): Promise<void> {
    const session = this.session;
    if (!session || session.state === 'ended') return;
    const reason = session.state === 'active' ? 'success' : session.isInitiator ? 'cancel' : 'decline';
    const acknowledged = this.nextAcknowledgement('session-terminate', 3_000);
    session.end(reason);
    await acknowledged;
  }

  /** Hangs up, closes the peer connection and the XMPP stream. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await this.hangUp();
    this.releaseMedia();
    const disconnected = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      this.client.once('disconnected', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.client.disconnect();
    await disconnected;
  }

  private wireJingle(): void {
    const jingle = this.client.jingle;
    this.client.on('raw:outgoing', (xml: string) => {
      if (isJingleIq(xml) || this.isAnswerToJingle(xml)) this.jingleStanzas.push({ direction: 'sent', xml });
    });
    this.client.on('raw:incoming', (xml: string) => {
      if (isJingleIq(xml) || this.isAnswerToJingle(xml)) this.jingleStanzas.push({ direction: 'received', xml });
    });
    jingle.on('send', (iq: { id?: string; type?: string; jingle?: { action?: string }; error?: { condition?: string; jingleError?: string } }) => {
      if (iq.type === 'set' && iq.id && iq.jingle?.action) {
        this.sentActions.set(iq.id, iq.jingle.action);
        this.sessionEvents.push(`${iq.jingle.action} sent`);
      } else if (iq.type === 'error') {
        this.sessionEvents.push(`error sent: ${iq.error?.jingleError ?? iq.error?.condition ?? 'unknown'}`);
      }
    });
    this.client.on('iq:set:jingle', (iq) => this.sessionEvents.push(`${iq.jingle.action ?? 'unknown action'} received`));
    this.client.on('iq', (iq) => {
      const action = iq.id === undefined ? undefined : this.sentActions.get(iq.id);
      if (action === undefined || iq.type !== 'error') return;
      const condition = iq.error?.jingleError ?? iq.error?.condition ?? 'unknown';
      this.sessionEvents.push(`${action} error received: ${condition}`);
      // StanzaJS leaves a refused session-initiate pending forever; end it so that call() fails.
      const session = this.session;
      if (action === 'session-initiate' && session && session.state === 'pending') {
        session.end({ condition: 'failed-application', text: `session-initiate refused: ${condition}` }, true);
      }
    });
    // An incoming session is created, and its remote track announced, before 'incoming' fires.
    jingle.on('createdSession', (session: BaseSession) => {
      if (!session.isInitiator && !this.session && isMediaSession(session)) this.adopt(session, new SessionMedia());
    });
    jingle.on('incoming', (session: BaseSession) => {
      if (session !== this.session) {
        session.end(isMediaSession(session) ? 'busy' : 'unsupported-applications');
        return;
      }
      if (this.answerAutomatically) void this.answer(this.session);
    });
    jingle.on('peerTrackAdded', (session: BaseSession, track: MediaStreamTrack) => {
      if (session !== this.session || track.kind !== 'audio' || !this.media) return;
      this.media.record(track, this.recorder);
    });
    jingle.on('terminated', (session: BaseSession, reason?: { condition?: string; text?: string }) => {
      this.sessionEvents.push(`terminated: ${reason?.condition ?? 'unknown'}${reason?.text ? ` (${reason.text})` : ''}`);
      if (session === this.session) this.releaseMedia();
    });
  }

  private adopt(session: MediaSession, media: SessionMedia): void {
    this.session = session;
    this.media = media;
    this.mediaSeen = false;
    let lastState: RTCIceConnectionState | undefined;
    let playing = false;
    session.pc.addEventListener('iceconnectionstatechange', () => {
      const state = session.pc.iceConnectionState;
      // Events are dispatched after the fact, so two in a row may read the same state.
      if (state === lastState) return;
      lastState = state;
      this.sessionEvents.push(`ice ${state}`);
      // The controlling side may report 'completed' without ever reading 'connected'.
      if ((state === 'connected' || state === 'completed') && !playing && this.session === session) {
        playing = true;
        media.startPlayback(this.playback, this.loopPlayback);
      }
    });
  }

  private async answer(session: MediaSession): Promise<void> {
    const media = this.media;
    if (!media) return;
    await session.addTrack(media.track, media.stream);
    await session.accept();
  }

  /** Resolves on session-accept, rejects when the session ends first or nothing happens in time. */
  private sessionOutcome(session: MediaSession, timeoutMs: number): Promise<void> {
    const jingle = this.client.jingle;
    return new Promise((resolve, reject) => {
      const cleanUp = () => {
        clearTimeout(timer);
        jingle.off('accepted', onAccepted);
        jingle.off('terminated', onTerminated);
      };
      const onAccepted = (accepted: BaseSession) => {
        if (accepted !== session) return;
        cleanUp();
        resolve();
      };
      const onTerminated = (ended: BaseSession, reason?: { condition?: string; text?: string }) => {
        if (ended !== session) return;
        cleanUp();
        const why = `${reason?.condition ?? 'unknown'}${reason?.text ? ` (${reason.text})` : ''}`;
        reject(new Error(`call to ${session.peerID} ended before it was accepted: ${why}`));
      };
      const timer = setTimeout(() => {
        cleanUp();
        session.end('timeout');
        reject(new Error(`call to ${session.peerID} not accepted within ${timeoutMs} ms`));
      }, timeoutMs);
      jingle.on('accepted', onAccepted);
      jingle.on('terminated', onTerminated);
    });
  }

  /** Resolves when the next Jingle IQ of this action is answered (result or error), or after timeoutMs. */
  private nextAcknowledgement(action: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const onIq = (iq: { id?: string; type?: string }) => {
        if (iq.id === undefined || this.sentActions.get(iq.id) !== action || iq.type === 'set' || iq.type === 'get') return;
        finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.client.off('iq', onIq);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.client.on('iq', onIq);
    });
  }

  private async mediaArrived(): Promise<boolean> {
    const session = this.session;
    if (this.mediaSeen || !session || this.recorder.frames === 0) return this.mediaSeen;
    const stats = await session.pc.getStats().catch(() => undefined);
    for (const report of stats?.values() ?? []) {
      if (report.type === 'inbound-rtp' && report.kind === 'audio' && report.packetsReceived > 0) this.mediaSeen = true;
    }
    return this.mediaSeen;
  }

  private releaseMedia(): void {
    this.media?.close();
    this.media = undefined;
    this.session = undefined;
  }

  private isAnswerToJingle(xml: string): boolean {
    const id = /^<iq\b[^>]*\bid=['"]([^'"]+)['"]/.exec(xml)?.[1];
    return id !== undefined && this.sentActions.has(id);
  }

  private assertOpen(): void {
    if (this.closing) throw new Error(`${this.jid} is closed`);
  }
}

/** The local track and its real-time feeder, and the sink on the remote track, for one session. */
class SessionMedia {
  private readonly source = new nonstandard.RTCAudioSource();
  readonly track: MediaStreamTrack = this.source.createTrack();
  readonly stream: MediaStream = new MediaStream([this.track]);
  private sink: InstanceType<typeof nonstandard.RTCAudioSink> | undefined;
  private pacer: NodeJS.Timeout | undefined;
  private readonly frame = new Int16Array(SAMPLES_PER_FRAME);

  constructor() {
    // libwebrtc sends nothing for a track that gets no frames, so silence flows until the call connects.
    this.startPlayback(undefined, false);
  }

  /** Restarts the feed from the first sample of `pcm` (48 kHz mono), paced against the clock, not the timer. */
  startPlayback(pcm: Int16Array | undefined, loop: boolean): void {
    clearTimeout(this.pacer);
    const startedAt = performance.now();
    let frameIndex = 0;
    let position = 0;
    const tick = () => {
      const due = Math.floor((performance.now() - startedAt) / FRAME_MS) + 1;
      if (due - frameIndex > MAX_CATCH_UP_FRAMES) {
        const skipped = due - frameIndex - MAX_CATCH_UP_FRAMES;
        frameIndex += skipped;
        position += skipped * SAMPLES_PER_FRAME;
      }
      for (; frameIndex < due; frameIndex++) {
        position = fillFrame(this.frame, pcm, position, loop);
        this.source.onData({ samples: this.frame, sampleRate: SEND_RATE, bitsPerSample: 16, channelCount: 1, numberOfFrames: SAMPLES_PER_FRAME });
      }
      this.pacer = setTimeout(tick, startedAt + frameIndex * FRAME_MS - performance.now());
    };
    tick();
  }

  record(track: MediaStreamTrack, recorder: Recorder): void {
    this.sink?.stop();
    const sink = new nonstandard.RTCAudioSink(track);
    sink.ondata = (data: { samples: Int16Array; sampleRate: number; channelCount?: number }) => {
      recorder.append(data.samples, data.sampleRate, data.channelCount ?? 1);
    };
    this.sink = sink;
  }

  close(): void {
    clearTimeout(this.pacer);
    this.pacer = undefined;
    this.sink?.stop();
    this.sink = undefined;
    this.track.stop();
  }
}

class Recorder implements Recording {
  sampleRate = SEND_RATE;
  frames = 0;
  private chunks: Int16Array[] = [];

  append(interleaved: Int16Array, sampleRate: number, channels: number): void {
    this.sampleRate = sampleRate;
    this.frames++;
    const mono = new Int16Array(interleaved.length / channels);
    for (let i = 0; i < mono.length; i++) {
      let sum = 0;
      for (let channel = 0; channel < channels; channel++) sum += interleaved[i * channels + channel];
      mono[i] = Math.round(sum / channels);
    }
    this.chunks.push(mono);
  }

  samples(): Int16Array {
    const total = this.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const out = new Int16Array(total);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    this.chunks = [out];
    return out.slice();
  }
}

/** Copies the next frame of `pcm` from `position` into `frame` (silence past the end unless looping); returns the new position. */
function fillFrame(frame: Int16Array, pcm: Int16Array | undefined, position: number, loop: boolean): number {
  if (!pcm || pcm.length === 0) {
    frame.fill(0);
    return position + frame.length;
  }
  for (let i = 0; i < frame.length; i++) {
    const index = position + i;
    frame[i] = loop ? pcm[index % pcm.length] : index < pcm.length ? pcm[index] : 0;
  }
  return position + frame.length;
}

/** Int16 PCM at any integer rate to Int16 at 48 kHz, through earshot's windowed-sinc resampler. */
function toSendRate(pcm: Int16Array, sampleRate: number): Int16Array {
  const resampled = resample(Float32Array.from(pcm, (sample) => sample / 32768), sampleRate, SEND_RATE);
  return Int16Array.from(resampled, (sample) => Math.max(-32768, Math.min(32767, Math.round(sample * 32768))));
}

function splitJid(jid: string): [bare: string, resource: string | undefined] {
  const slash = jid.indexOf('/');
  return slash < 0 ? [jid, undefined] : [jid.slice(0, slash), jid.slice(slash + 1)];
}

function isMediaSession(session: BaseSession): session is MediaSession {
  return 'pc' in session && 'addTrack' in session;
}

/**
 * What StanzaJS needs to behave in Node as in a browser, and to stay on loopback:
 * - A browser's RTCPeerConnection.close() fires no events; wrtc's fires iceconnectionstatechange 'closed',
 *   which makes StanzaJS end the session a second time and send a second session-terminate (a callee even
 *   answers a received terminate with its own). StanzaJS's handler is detached on close.
 * - libwebrtc gathers host candidates on every interface; only loopback ones (127.0.0.0/8, ::1) are
 *   signalled, so every connectivity check the other side makes targets this machine's loopback.
 *   (TURN relay candidates from the lab are on 127.0.0.1 too.)
 */
function adaptForNode(pc: RTCPeerConnection): RTCPeerConnection {
  const close = pc.close.bind(pc);
  pc.close = () => {
    pc.oniceconnectionstatechange = null;
    close();
  };
  // wrtc reads `on<type>` when it dispatches, so an accessor can put a filter in front of StanzaJS's handler.
  let filtered: ((event: RTCPeerConnectionIceEvent) => void) | null = null;
  Object.defineProperty(pc, 'onicecandidate', {
    configurable: true,
    get: () => filtered,
    set: (handler: ((event: RTCPeerConnectionIceEvent) => void) | null) => {
      filtered = handler && ((event) => {
        if (event.candidate && !isLoopbackCandidate(event.candidate.candidate)) return;
        handler(event);
      });
    },
  });
  return pc;
}

/** `candidate:<foundation> <component> <protocol> <priority> <address> <port> typ ...` */
function isLoopbackCandidate(candidateLine: string): boolean {
  const address = candidateLine.split(' ')[4] ?? '';
  return address.startsWith('127.') || address === '::1';
}

function isJingleIq(xml: string): boolean {
  return xml.startsWith('<iq') && /<jingle[\s>]/.test(xml);
}

function login(client: Agent, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.off('session:started', started);
      // Agent types disconnect() as void; it is async and may reject on a half-open socket.
      Promise.resolve(client.disconnect()).catch(() => undefined);
      reject(new Error(`StanzaJS login as ${client.config.jid} failed: ${message}`));
    };
    const started = () => {
      settled = true;
      clearTimeout(timer);
      client.off('auth:failed', authFailed);
      client.off('disconnected', disconnected);
      resolve();
    };
    const authFailed = () => fail('authentication failed');
    const disconnected = () => fail('disconnected before the session started');
    const timer = setTimeout(() => fail(`no session within ${timeoutMs} ms`), timeoutMs);
    client.once('session:started', started);
    client.once('auth:failed', authFailed);
    client.once('disconnected', disconnected);
    client.connect();
  });
}
