/**
 * StanzaJS 12 (its own Jingle <-> SDP translation) driving @roamhq/wrtc (Google's libwebrtc) as a call peer in
 * Node: an implementation nobody on earshot wrote, for the interop matrix. It logs in over the server's
 * XMPP-over-WebSocket endpoint, plays a reference in a loop into its microphone track and records its remote
 * track. StanzaJS has no JMI (XEP-0353): calls are direct session-initiates to a full JID.
 *
 * libwebrtc only speaks DTLS-SRTP, so every call this peer connects is encrypted. One call at a time: a second
 * incoming call is declined with `busy`. Note: once an RTCAudioSource was used, @roamhq/wrtc makes a normal Node
 * exit crash; end the process with process.exit() (the CLI does) or mocha --exit.
 */
import { setTimeout as delay } from 'node:timers/promises';
import wrtc from '@roamhq/wrtc';
import { createClient, type Agent, type Jingle } from 'stanza';
import type { ReferenceAudio } from '../call/call.js';
import { WavWriter } from '../media/wav.js';
import { resample } from '../util/resample.js';
import { bareJid } from '../xmpp/index.js';

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

export interface StanzaJsPeerOptions {
  /** ws:// URL of the server's XMPP-over-WebSocket endpoint (StanzaJS's websocket takes no extra CA, so no wss:// to a lab CA). */
  websocketUrl: string;
  /** Bare JID (the server picks the resource) or full JID (that resource is requested). */
  jid: string;
  password: string;
  /** Mono speech this peer sends, looped from ICE connected until the call ends; default silence. */
  play?: Pick<ReferenceAudio, 'samples' | 'sampleRate'>;
  /** Where to write (16-bit mono WAV) what this peer heard in each call, when the call ends. */
  recordPath?: string;
  /** STUN/TURN servers; default none (StanzaJS would otherwise add Google's public STUN server). */
  iceServers?: RTCIceServer[];
  /** Also ask the server for STUN/TURN services (XEP-0215) after login; default false. */
  discoverIceServers?: boolean;
  /** Relay candidates only (iceTransportPolicy 'relay'): every call goes through TURN; default false. */
  relayOnly?: boolean;
  /** Login timeout; default 10000 ms. */
  connectTimeoutMs?: number;
}

/** The candidate pair libwebrtc selected, as its statistics report it. */
export interface SelectedPair {
  local: { type: string; address: string; port: number };
  remote: { type: string; address: string; port: number };
}

/** Every Jingle IQ (and its result or error) exactly as it crossed the websocket. */
export interface JingleStanzaRecord {
  direction: 'sent' | 'received';
  xml: string;
}

export class StanzaJsPeer {
  /** Diagnostics in order: `session-initiate sent`, `session-accept received`, `ice connected`, `terminated: success`, ... */
  readonly sessionEvents: string[] = [];
  readonly jingleStanzas: JingleStanzaRecord[] = [];
  /** The ICE servers in use, after discovery: what a cell reports as used. */
  readonly iceServers: RTCIceServer[];

  private readonly recorder = new Recorder();
  private readonly playback: Int16Array;
  private session: MediaSession | undefined;
  private media: SessionMedia | undefined;
  private allowedCallers: readonly string[] | undefined;
  private lastPair: SelectedPair | undefined;
  private speechStart: number | undefined;
  private lastEnd: Promise<string> = Promise.resolve('no call');
  private endOfCall: ((reason: string) => void) | undefined;
  /** ids of Jingle IQs we sent, to name the action a result or error belongs to. */
  private readonly sentActions = new Map<string, string>();
  /** Whether the current call has received audio: stays true after it ends, until the next call. */
  private mediaSeen = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly client: Agent,
    private readonly options: StanzaJsPeerOptions,
  ) {
    this.playback = options.play ? toSendRate(options.play) : new Int16Array(0);
    this.iceServers = client.jingle.iceServers;
    this.wireJingle();
  }

  static async start(options: StanzaJsPeerOptions): Promise<StanzaJsPeer> {
    if (!/^ws:\/\//.test(options.websocketUrl)) throw new Error(`websocketUrl must be ws://, got "${options.websocketUrl}"`);
    const [bareJid, resource] = splitJid(options.jid);
    const client = createClient({
      jid: bareJid,
      resource,
      password: options.password,
      transports: { websocket: options.websocketUrl, bosh: false },
      // StanzaJS answers a late <r/> after its stream closed (write after end); a stopped peer should be gone at once.
      useStreamManagement: false,
      jingle: {
        iceServers: [...(options.iceServers ?? [])],
        iceTransportPolicy: options.relayOnly ? 'relay' : 'all',
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
    if (options.discoverIceServers) await client.discoverICEServers();
    if (options.relayOnly && !client.jingle.iceServers.some((server) => [server.urls].flat().some((url) => /^turns?:/.test(url)))) {
      await Promise.resolve(client.disconnect()).catch(() => undefined);
      throw new Error(`${options.jid}: relay only, but no TURN server was given or discovered`);
    }
    const peer = new StanzaJsPeer(client, options);
    client.sendPresence();
    return peer;
  }

  /** Full JID once bound. */
  get jid(): string {
    return this.client.jid;
  }

  /** Sends a direct session-initiate and resolves once the callee accepts; rejects when it refuses or 15 s pass. */
  async call(targetFullJid: string, timeoutMs = 15_000): Promise<void> {
    if (this.closing) throw new Error(`${this.jid} is stopped`);
    if (this.session) throw new Error(`${this.jid} is already in a call with ${this.session.peerID}`);
    const media = new SessionMedia();
    const session = this.client.jingle.createMediaSession(targetFullJid, undefined, media.stream);
    this.adopt(session, media);
    // Both at once: the outcome may already fail (an immediate refusal) while start() is still running.
    await Promise.all([session.start(), this.sessionOutcome(session, timeoutMs)]);
  }

  /** From now on, accepts calls from these bare or full JIDs (also one already waiting) and declines all others. */
  autoAnswer(allow: readonly string[]): void {
    this.allowedCallers = allow;
    const session = this.session;
    if (session && session.state === 'pending' && !session.isInitiator) this.takeOrDecline(session);
  }

  /** Resolves with the current (or last) call's end reason, e.g. `success`; rejects after timeoutMs. */
  callEnded(timeoutMs: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.jid}: the call did not end within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.lastEnd, timeout]).finally(() => clearTimeout(timer));
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

  /** What this peer heard in the current (or last) call, mono. */
  heard(): { samples: Float32Array; sampleRate: number } {
    return { samples: Float32Array.from(this.recorder.samples(), (sample) => sample / 32768), sampleRate: this.recorder.sampleRate };
  }

  /** Epoch ms of the first sample of the current (or last) call's recording: it puts `heard()` on the caller's time line. */
  get recordingStartedAt(): number | undefined {
    return this.recorder.startedAt;
  }

  /** Epoch ms when the current (or last) call's speech started playing into the microphone track. */
  get speechStartedAt(): number | undefined {
    return this.speechStart;
  }

  /** The candidate pair of the current (or last) call, read while it was connected. */
  async selectedPair(): Promise<SelectedPair | undefined> {
    if (this.session) this.lastPair = (await readSelectedPair(this.session.pc)) ?? this.lastPair;
    return this.lastPair;
  }

  /**
   * Ends the current call with session-terminate and waits for its acknowledgement: `success` for an
   * established call, `cancel` for an unanswered outgoing one, `decline` for an incoming one not yet answered.
   */
  async hangUp(): Promise<void> {
    const session = this.session;
    if (!session || session.state === 'ended') return;
    await this.selectedPair();
    const reason = session.state === 'active' ? 'success' : session.isInitiator ? 'cancel' : 'decline';
    const acknowledged = this.nextAcknowledgement('session-terminate', 3_000);
    session.end(reason);
    await acknowledged;
  }

  /** Hangs up, closes the peer connection and the XMPP stream. Safe to call more than once. */
  stop(): Promise<void> {
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
    await Promise.resolve(this.client.disconnect()).catch(() => undefined);
    await disconnected;
  }

  private wireJingle(): void {
    const jingle = this.client.jingle;
    const keep = (direction: JingleStanzaRecord['direction']) => (xml: string) => {
      if (isJingleIq(xml) || this.isAnswerToJingle(xml)) this.jingleStanzas.push({ direction, xml });
    };
    this.client.on('raw:outgoing', keep('sent'));
    this.client.on('raw:incoming', keep('received'));
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
      if (this.allowedCallers) this.takeOrDecline(this.session);
    });
    jingle.on('peerTrackAdded', (session: BaseSession, track: MediaStreamTrack) => {
      if (session !== this.session || track.kind !== 'audio' || !this.media) return;
      this.media.record(track, this.recorder);
    });
    jingle.on('terminated', (session: BaseSession, reason?: { condition?: string; text?: string }) => {
      const why = `${reason?.condition ?? 'unknown'}${reason?.text ? ` (${reason.text})` : ''}`;
      this.sessionEvents.push(`terminated: ${why}`);
      if (session !== this.session) return;
      this.releaseMedia();
      this.writeRecording();
      this.endOfCall?.(why);
    });
  }

  private adopt(session: MediaSession, media: SessionMedia): void {
    this.session = session;
    this.media = media;
    this.lastPair = undefined;
    this.speechStart = undefined;
    this.mediaSeen = false;
    this.recorder.reset();
    this.lastEnd = new Promise((resolve) => (this.endOfCall = resolve));
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
        media.startPlayback(this.playback);
        if (this.playback.length > 0) this.speechStart = performance.timeOrigin + performance.now();
      }
    });
  }

  private takeOrDecline(session: MediaSession): void {
    const from = session.peerID;
    const allowed = (this.allowedCallers ?? []).some((jid) => jid === from || jid === bareJid(from));
    if (!allowed) {
      session.end('decline');
      return;
    }
    void this.answer(session);
  }

  private async answer(session: MediaSession): Promise<void> {
    const media = this.media;
    if (!media) return;
    try {
      await session.addTrack(media.track, media.stream);
      await session.accept();
    } catch (error) {
      this.sessionEvents.push(`answer failed: ${String(error)}`);
      session.end({ condition: 'failed-application', text: String(error) });
    }
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

  private writeRecording(): void {
    const path = this.options.recordPath;
    if (!path) return;
    try {
      const writer = new WavWriter(path, this.recorder.sampleRate);
      writer.write(this.recorder.samples());
      writer.close();
    } catch (error) {
      this.sessionEvents.push(`recording not written to ${path}: ${(error as Error).message}`);
    }
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
    this.startPlayback(new Int16Array(0));
  }

  /** Restarts the feed from the first sample of `pcm` (48 kHz mono, looped; empty: silence), paced against the clock. */
  startPlayback(pcm: Int16Array): void {
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
        for (let i = 0; i < SAMPLES_PER_FRAME; i++) this.frame[i] = pcm.length === 0 ? 0 : pcm[(position + i) % pcm.length];
        position += SAMPLES_PER_FRAME;
        this.source.onData({ samples: this.frame, sampleRate: SEND_RATE, bitsPerSample: 16, channelCount: 1, numberOfFrames: SAMPLES_PER_FRAME });
      }
      this.pacer = setTimeout(tick, startedAt + frameIndex * FRAME_MS - performance.now());
    };
    tick();
  }

  record(track: MediaStreamTrack, recorder: Recorder): void {
    this.sink?.stop();
    const sink = new nonstandard.RTCAudioSink(track);
    sink.ondata = (data: { samples: Int16Array; sampleRate: number; channelCount?: number }) => recorder.append(data.samples, data.sampleRate, data.channelCount ?? 1);
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

/**
 * Everything the remote track delivered in one call, mixed to mono at 48 kHz. libwebrtc renders at 16 kHz until
 * it has decoded the first Opus packet, then at 48 kHz: frames at another rate are resampled, so that the
 * recording keeps real time from its first sample.
 */
class Recorder {
  readonly sampleRate = SEND_RATE;
  frames = 0;
  /** Epoch ms of the first sample. */
  startedAt: number | undefined;
  private recordedMs = 0;
  private chunks: Int16Array[] = [];

  append(interleaved: Int16Array, sampleRate: number, channels: number): void {
    this.frames++;
    const mono = new Float32Array(interleaved.length / channels);
    for (let i = 0; i < mono.length; i++) {
      let sum = 0;
      for (let channel = 0; channel < channels; channel++) sum += interleaved[i * channels + channel];
      mono[i] = sum / channels;
    }
    // libwebrtc renders each 10 ms frame when it is due to play, on its own real-time thread; frames reach
    // JavaScript late when the event loop is busy, never early. So each arrival bounds the recording's start
    // from above: keep the tightest bound.
    this.startedAt = Math.min(this.startedAt ?? Infinity, performance.timeOrigin + performance.now() - this.recordedMs);
    this.recordedMs += (mono.length / sampleRate) * 1000;
    this.chunks.push(Int16Array.from(resample(mono, sampleRate, this.sampleRate), (sample) => Math.max(-32768, Math.min(32767, Math.round(sample)))));
  }

  reset(): void {
    this.chunks = [];
    this.frames = 0;
    this.recordedMs = 0;
    this.startedAt = undefined;
  }

  samples(): Int16Array {
    const out = new Int16Array(this.chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    this.chunks = [out];
    return out.slice();
  }
}

/** The selected pair from libwebrtc's standard statistics (the transport's selectedCandidatePairId, else the nominated pair). */
async function readSelectedPair(pc: RTCPeerConnection): Promise<SelectedPair | undefined> {
  const stats = await pc.getStats().catch(() => undefined);
  if (!stats) return undefined;
  const reports = [...stats.values()] as Array<Record<string, unknown>>;
  const byId = new Map(reports.map((report) => [report.id as string, report]));
  const transport = reports.find((report) => report.type === 'transport' && typeof report.selectedCandidatePairId === 'string');
  const pair =
    (transport && byId.get(transport.selectedCandidatePairId as string)) ??
    reports.find((report) => report.type === 'candidate-pair' && report.nominated === true && report.state === 'succeeded');
  const local = pair && byId.get(pair.localCandidateId as string);
  const remote = pair && byId.get(pair.remoteCandidateId as string);
  if (!local || !remote) return undefined;
  const describe = (candidate: Record<string, unknown>) => ({
    type: String(candidate.candidateType),
    address: String(candidate.address ?? candidate.ip),
    port: Number(candidate.port),
  });
  return { local: describe(local), remote: describe(remote) };
}

/** The speech at 48 kHz as 16-bit PCM, what libwebrtc's audio source takes. */
function toSendRate(play: Pick<ReferenceAudio, 'samples' | 'sampleRate'>): Int16Array {
  const resampled = resample(play.samples, play.sampleRate, SEND_RATE);
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
 *   which makes StanzaJS end the session a second time and send a second session-terminate. StanzaJS's
 *   handler is detached on close.
 * - libwebrtc gathers host candidates on every interface; only loopback ones (127.0.0.0/8, ::1) and relay
 *   candidates (the lab's TURN server is on loopback too) are signalled.
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
      filtered =
        handler &&
        ((event) => {
          if (event.candidate && !isLoopbackCandidate(event.candidate.candidate)) return;
          handler(event);
        });
    },
  });
  return pc;
}

/** `candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> ...` */
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
