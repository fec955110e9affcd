// Jingle contents <-> SDP, for a WebRTC stack that speaks SDP. Pure text in, text out.
//   XEP-0167 1.2.2 §6 (mapping to SDP), XEP-0176 1.1 §14 and RFC 8839 (ICE candidates in SDP),
//   XEP-0320 1.0.0 and RFC 8842 (DTLS fingerprint and setup), XEP-0293/0294/0339, RFC 7587 (Opus in SDP).
// The content name is the SDP mid. Opus is always written as opus/48000/2 with fmtp (libwebrtc falls back to
// PCMU otherwise), and SDES crypto is never translated: earshot does DTLS-SRTP, or plain RTP when allowed.
// Not carried into SDP: the description's ssrc attribute (a=ssrc lines come from <source/>), header extension
// senders, and component-2 candidates of an rtcp-mux content. a=ptime is taken from the first payload type
// that has one and, read back, applies to all.
import { JingleError } from './errors.js';
import { mediaSecurity } from './media-security.js';
import { STATIC_PAYLOAD_NAMES } from './stanza.js';
import {
  otherRole,
  type Candidate,
  type CandidateType,
  type Content,
  type DtlsSetup,
  type Fingerprint,
  type HeaderExtension,
  type PayloadType,
  type Role,
  type RtcpFeedback,
  type RtpDescription,
  type Senders,
  type Source,
  type SourceGroup,
} from './model.js';

export type SdpType = 'offer' | 'answer';

export interface ContentsToSdpOptions {
  /** Written as the o= session id: used as is when it is all digits, else a stable number derived from it. */
  sessionId: string;
  /** o= session version; default 2. */
  sessionVersion?: number;
  type: SdpType;
  /** Who wrote these contents, which decides sendonly/recvonly. Default: offer -> initiator, answer -> responder. */
  author?: Role;
  /** Translate a content without DTLS fingerprint to plain RTP/AVP instead of refusing it. Default false. */
  allowInsecureRtp?: boolean;
}

export interface SdpToContentsOptions {
  /** The creator attribute of every content (the initiator's, for contents of a session-initiate and its accept). */
  creator: Role;
  /** Who wrote the SDP, which decides senders for sendonly/recvonly. Default: the creator. */
  author?: Role;
  /** Accept media sections without a fingerprint (plain RTP). Default false. */
  allowInsecureRtp?: boolean;
}

const SECURE_PROFILE = 'UDP/TLS/RTP/SAVPF';
const INSECURE_PROFILE = 'RTP/AVP';
const OPUS_DEFAULT_FMTP: Readonly<Record<string, string>> = { minptime: '10', useinbandfec: '1' };

// ---------------------------------------------------------------- Jingle -> SDP

export function contentsToSdp(contents: readonly Content[], options: ContentsToSdpOptions): string {
  if (!contents.length) throw JingleError.badRequest('no contents to describe in SDP');
  const author = options.author ?? (options.type === 'offer' ? 'initiator' : 'responder');
  const lines = [
    'v=0',
    `o=- ${numericSessionId(options.sessionId)} ${options.sessionVersion ?? 2} IN IP4 0.0.0.0`,
    's=-',
    't=0 0',
  ];
  if (contents.length > 1) lines.push(`a=group:BUNDLE ${contents.map((c) => c.name).join(' ')}`);
  for (const content of contents) lines.push(...mediaSection(content, options, author));
  return lines.join('\r\n') + '\r\n';
}

function mediaSection(content: Content, options: ContentsToSdpOptions, author: Role): string[] {
  const { description, transport } = content;
  if (!description) {
    throw new JingleError({
      condition: 'feature-not-implemented',
      reason: 'unsupported-applications',
      text: `content '${content.name}' has no RTP description`,
    });
  }
  if (!transport) {
    throw new JingleError({
      condition: 'feature-not-implemented',
      reason: 'unsupported-transports',
      text: `content '${content.name}' has no ICE-UDP transport`,
    });
  }
  if (!transport.ufrag || !transport.pwd) {
    throw JingleError.badRequest(`content '${content.name}': transport without ufrag/pwd`, 'failed-transport');
  }
  if (!description.payloadTypes.length) {
    throw JingleError.badRequest(`content '${content.name}' offers no payload types`, 'failed-application');
  }
  const security = mediaSecurity(content, options.allowInsecureRtp ?? false);
  if (typeof security !== 'string') {
    throw new JingleError({ condition: 'not-acceptable', reason: security.refusal.condition, text: security.refusal.text ?? '' });
  }
  const profile = security === 'dtls-srtp' ? SECURE_PROFILE : INSECURE_PROFILE;
  const payloadTypes = description.payloadTypes.map(normalizePayloadType);
  const lines = [
    `m=${description.media} 9 ${profile} ${payloadTypes.map((pt) => pt.id).join(' ')}`,
    'c=IN IP4 0.0.0.0',
    `a=ice-ufrag:${transport.ufrag}`,
    `a=ice-pwd:${transport.pwd}`,
  ];
  if (transport.fingerprint) {
    lines.push(`a=fingerprint:${transport.fingerprint.hash} ${transport.fingerprint.value}`);
    lines.push(`a=setup:${sdpSetup(transport.fingerprint, options.type, content.name)}`);
  }
  lines.push(`a=mid:${content.name}`);
  for (const ext of description.headerExtensions ?? []) lines.push(`a=extmap:${ext.id} ${ext.uri}`);
  lines.push(`a=${sendersToDirection(content.senders ?? 'both', author)}`);
  if (description.rtcpMux) lines.push('a=rtcp-mux');
  for (const fb of description.rtcpFb ?? []) lines.push(`a=rtcp-fb:* ${feedbackText(fb)}`);
  for (const pt of payloadTypes) {
    const channels = pt.channels && pt.channels > 1 ? `/${pt.channels}` : '';
    lines.push(`a=rtpmap:${pt.id} ${pt.name}/${pt.clockrate}${channels}`);
    for (const fb of pt.feedback ?? []) lines.push(`a=rtcp-fb:${pt.id} ${feedbackText(fb)}`);
    const fmtp = Object.entries(pt.parameters).map(([key, value]) => (value === '' ? key : `${key}=${value}`));
    if (fmtp.length) lines.push(`a=fmtp:${pt.id} ${fmtp.join(';')}`);
  }
  const ptime = payloadTypes.find((pt) => pt.ptime !== undefined)?.ptime;
  if (ptime !== undefined) lines.push(`a=ptime:${ptime}`);
  const maxptime = payloadTypes.find((pt) => pt.maxptime !== undefined)?.maxptime;
  if (maxptime !== undefined) lines.push(`a=maxptime:${maxptime}`);
  for (const group of description.sourceGroups ?? []) lines.push(`a=ssrc-group:${group.semantics} ${group.ssrcs.join(' ')}`);
  for (const source of description.sources ?? []) {
    for (const { name, value } of source.parameters) {
      const trimmed = value.trim();
      lines.push(`a=ssrc:${source.ssrc} ${name.trim()}${trimmed ? `:${trimmed}` : ''}`);
    }
  }
  // With rtcp-mux, RTCP shares component 1; Dino still sends component-2 candidates, which would only confuse ICE.
  const candidates = transport.candidates.filter((c) => !description.rtcpMux || c.component === 1);
  for (const candidate of candidates) lines.push(`a=${candidateToSdp(candidate)}`);
  return lines;
}

/** RFC 8842: the offerer says actpass; the answerer must pick active or passive (RFC 4145 default: active). */
function sdpSetup(fingerprint: Fingerprint, type: SdpType, contentName: string): DtlsSetup {
  if (type === 'offer') return fingerprint.setup ?? 'actpass';
  if (fingerprint.setup === 'actpass') {
    throw JingleError.badRequest(
      `content '${contentName}': the answer says setup=actpass; an answerer must choose active or passive (RFC 8842)`,
      'incompatible-parameters',
    );
  }
  return fingerprint.setup ?? 'active';
}

/** A payload type as it must appear in SDP: a clock rate always, Opus as 48000/2 with fmtp. */
function normalizePayloadType(pt: PayloadType): PayloadType & { clockrate: number } {
  const isOpus = pt.name.toLowerCase() === 'opus';
  const clockrate = pt.clockrate ?? (isOpus ? 48000 : (STATIC_PAYLOAD_NAMES[pt.id]?.clockrate ?? 8000));
  if (!isOpus) return { ...pt, clockrate };
  const parameters = Object.keys(pt.parameters).length ? pt.parameters : { ...OPUS_DEFAULT_FMTP };
  return { ...pt, clockrate: 48000, channels: 2, parameters };
}

function feedbackText(fb: RtcpFeedback): string {
  return fb.subtype ? `${fb.type} ${fb.subtype}` : fb.type;
}

function sendersToDirection(senders: Senders, author: Role): string {
  switch (senders) {
    case 'both':
      return 'sendrecv';
    case 'none':
      return 'inactive';
    default:
      return senders === author ? 'sendonly' : 'recvonly';
  }
}

function directionToSenders(direction: string, author: Role): Senders {
  switch (direction) {
    case 'sendonly':
      return author;
    case 'recvonly':
      return otherRole(author);
    case 'inactive':
      return 'none';
    default:
      return 'both';
  }
}

function numericSessionId(sessionId: string): string {
  if (/^\d{1,19}$/.test(sessionId)) return sessionId;
  let hash = 0x811c9dc5;
  for (const char of sessionId) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return String(hash);
}

// ---------------------------------------------------------------- candidates

/** The `candidate:...` attribute value (RFC 8839 §5.1), as in RTCIceCandidate.candidate. */
export function candidateToSdp(c: Candidate): string {
  let text = `candidate:${c.foundation} ${c.component} ${c.protocol} ${c.priority} ${c.ip} ${c.port} typ ${c.type}`;
  if (c.relAddr !== undefined && c.relPort !== undefined) text += ` raddr ${c.relAddr} rport ${c.relPort}`;
  if (c.tcpType) text += ` tcptype ${c.tcpType}`;
  text += ` generation ${c.generation ?? 0}`;
  if (c.network !== undefined) text += ` network-id ${c.network}`;
  return text;
}

const CANDIDATE_TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];

/** Parses `a=candidate:...`, `candidate:...` or the bare attribute value. */
export function sdpToCandidate(line: string): Candidate {
  const text = line.trim().replace(/^a=/, '').replace(/^candidate:/, '');
  const fields = text.split(/\s+/);
  const bad = (why: string) => JingleError.badRequest(`bad SDP candidate '${line.trim()}': ${why}`);
  if (fields.length < 8 || fields[6] !== 'typ') throw bad('expected "<foundation> <component> <transport> <priority> <address> <port> typ <type>"');
  const [foundation, component, protocol, priority, ip, port, , type] = fields as [string, string, string, string, string, string, string, string];
  const lowerProtocol = protocol.toLowerCase();
  if (lowerProtocol !== 'udp' && lowerProtocol !== 'tcp') throw bad(`transport '${protocol}' is neither udp nor tcp`);
  if (!(CANDIDATE_TYPES as readonly string[]).includes(type)) throw bad(`type '${type}' is not one of ${CANDIDATE_TYPES.join(', ')}`);
  const number = (value: string, what: string, max: number) => {
    if (!/^\d+$/.test(value) || Number(value) > max) throw bad(`${what} '${value}' is not an integer in 0..${max}`);
    return Number(value);
  };
  const candidate: Candidate = {
    component: number(component, 'component', 256),
    foundation,
    ip,
    port: number(port, 'port', 65535),
    priority: number(priority, 'priority', 0xffffffff),
    protocol: lowerProtocol,
    type: type as CandidateType,
  };
  for (let i = 8; i + 1 < fields.length; i += 2) {
    const key = fields[i] as string;
    const value = fields[i + 1] as string;
    if (key === 'raddr') candidate.relAddr = value;
    else if (key === 'rport') candidate.relPort = number(value, 'rport', 65535);
    else if (key === 'generation') candidate.generation = number(value, 'generation', 0xffffffff);
    else if (key === 'network-id') candidate.network = number(value, 'network-id', 0xffffffff);
    else if (key === 'tcptype') {
      if (value !== 'active' && value !== 'passive' && value !== 'so') throw bad(`tcptype '${value}'`);
      candidate.tcpType = value;
    }
  }
  return candidate;
}

// ---------------------------------------------------------------- SDP -> Jingle

interface IceDtlsAttributes {
  ufrag?: string;
  pwd?: string;
  fingerprint?: { hash: string; value: string };
  setup?: DtlsSetup;
}

export function sdpToContents(sdp: string, options: SdpToContentsOptions): Content[] {
  const author = options.author ?? options.creator;
  // Trailing whitespace (e.g. after an a=ssrc msid) breaks strict parsers; it never carries meaning.
  const lines = sdp.split(/\r?\n/).map((line) => line.trimEnd()).filter((line) => line.length > 0);
  const sections: string[][] = [];
  const sessionLines: string[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) sections.push([line]);
    else if (sections.length) (sections[sections.length - 1] as string[]).push(line);
    else sessionLines.push(line);
  }
  if (!sections.length) throw JingleError.badRequest('SDP has no media section');
  const sessionLevel = readIceDtls(sessionLines, {});
  const contents: Content[] = [];
  sections.forEach((section, index) => {
    const content = sectionToContent(section, index, sessionLevel, options, author);
    if (content) contents.push(content);
  });
  return contents;
}

function sectionToContent(
  section: string[],
  index: number,
  sessionLevel: IceDtlsAttributes,
  options: SdpToContentsOptions,
  author: Role,
): Content | undefined {
  const mLine = section[0] as string;
  const match = /^m=(\S+) (\d+)(?:\/\d+)? (\S+) ?(.*)$/.exec(mLine);
  if (!match) throw JingleError.badRequest(`bad m= line '${mLine}'`);
  const [, media, port, profile, formats] = match as unknown as [string, string, string, string, string];
  if (media !== 'audio' && media !== 'video') {
    throw new JingleError({ condition: 'feature-not-implemented', reason: 'unsupported-applications', text: `SDP media '${media}' has no Jingle RTP mapping` });
  }
  // Port 0 marks a rejected or disabled media section: it has no content.
  if (port === '0') return undefined;
  const attributes = section.slice(1).filter((line) => line.startsWith('a=')).map(splitAttribute);
  const iceDtls = readIceDtls(section.slice(1), sessionLevel);
  const name = attributes.find(([key]) => key === 'mid')?.[1] ?? String(index);
  if (!iceDtls.fingerprint && !options.allowInsecureRtp) {
    throw new JingleError({
      condition: 'not-acceptable',
      reason: 'security-error',
      text: `SDP media '${name}' (${profile}) has no DTLS fingerprint: DTLS-SRTP is required unless insecure RTP is allowed explicitly`,
    });
  }

  const payloadTypes = new Map<number, PayloadType>();
  for (const id of formats.split(/\s+/).filter(Boolean)) {
    if (!/^\d+$/.test(id) || Number(id) > 127) throw JingleError.badRequest(`m=${media} format '${id}' is not an RTP payload type`);
    const known = STATIC_PAYLOAD_NAMES[Number(id)];
    payloadTypes.set(Number(id), { id: Number(id), name: known?.name ?? '', clockrate: known?.clockrate, parameters: {} });
  }
  const payloadType = (id: string, attribute: string): PayloadType => {
    const pt = payloadTypes.get(Number(id));
    if (!pt) throw JingleError.badRequest(`a=${attribute} for payload type ${id} not listed on the m= line of '${name}'`);
    return pt;
  };
  const description: RtpDescription = { media, payloadTypes: [], rtcpMux: false };
  const descriptionFeedback: RtcpFeedback[] = [];
  const headerExtensions: HeaderExtension[] = [];
  const sources: Source[] = [];
  const sourceGroups: SourceGroup[] = [];
  const candidates: Candidate[] = [];
  let senders: Senders = 'both';
  let ptime: number | undefined;
  let maxptime: number | undefined;

  for (const [key, value] of attributes) {
    switch (key) {
      case 'rtpmap': {
        const [id, encoding] = splitOnce(value, ' ');
        const [encodingName, clock, channels] = encoding.split('/');
        const pt = payloadType(id, key);
        pt.name = encodingName ?? '';
        pt.clockrate = Number(clock);
        if (channels) pt.channels = Number(channels);
        else delete pt.channels;
        break;
      }
      case 'fmtp': {
        const [id, params] = splitOnce(value, ' ');
        const pt = payloadType(id, key);
        for (const param of params.split(';').map((p) => p.trim()).filter(Boolean)) {
          const [paramName, paramValue] = param.includes('=') ? splitOnce(param, '=') : [param, ''];
          pt.parameters[paramName.trim()] = paramValue.trim();
        }
        break;
      }
      case 'rtcp-fb': {
        const [id, rest] = splitOnce(value, ' ');
        const [type, subtype] = splitOnce(rest, ' ');
        const fb: RtcpFeedback = subtype ? { type, subtype } : { type };
        if (id === '*') descriptionFeedback.push(fb);
        else (payloadType(id, key).feedback ??= []).push(fb);
        break;
      }
      case 'extmap': {
        const [idAndDirection, uri] = splitOnce(value, ' ');
        headerExtensions.push({ id: Number(idAndDirection.split('/')[0]), uri: uri.split(' ')[0] as string });
        break;
      }
      case 'ssrc': {
        const [ssrcText, attribute] = splitOnce(value, ' ');
        const ssrc = Number(ssrcText);
        let source = sources.find((s) => s.ssrc === ssrc);
        if (!source) sources.push((source = { ssrc, parameters: [] }));
        const [parameterName, parameterValue] = attribute.includes(':') ? splitOnce(attribute, ':') : [attribute, ''];
        source.parameters.push({ name: parameterName.trim(), value: parameterValue.trim() });
        break;
      }
      case 'ssrc-group': {
        const [semantics, ...ssrcs] = value.split(/\s+/);
        sourceGroups.push({ semantics: semantics ?? '', ssrcs: ssrcs.map(Number) });
        break;
      }
      case 'candidate':
        candidates.push(sdpToCandidate(value));
        break;
      case 'rtcp-mux':
        description.rtcpMux = true;
        break;
      case 'ptime':
        ptime = Number(value);
        break;
      case 'maxptime':
        maxptime = Number(value);
        break;
      case 'sendrecv':
      case 'sendonly':
      case 'recvonly':
      case 'inactive':
        senders = directionToSenders(key, author);
        break;
    }
  }

  for (const pt of payloadTypes.values()) {
    if (!pt.name) throw JingleError.badRequest(`dynamic payload type ${pt.id} of '${name}' has no a=rtpmap`);
    if (ptime !== undefined) pt.ptime = ptime;
    if (maxptime !== undefined) pt.maxptime = maxptime;
    if (pt.clockrate === undefined) delete pt.clockrate;
    description.payloadTypes.push(pt.name.toLowerCase() === 'opus' ? normalizePayloadType(pt) : pt);
  }
  if (descriptionFeedback.length) description.rtcpFb = descriptionFeedback;
  if (headerExtensions.length) description.headerExtensions = headerExtensions;
  if (sourceGroups.length) description.sourceGroups = sourceGroups;
  if (sources.length) description.sources = sources;

  const content: Content = { creator: options.creator, name, senders, description, transport: { candidates } };
  const transport = content.transport as NonNullable<Content['transport']>;
  if (iceDtls.ufrag) transport.ufrag = iceDtls.ufrag;
  if (iceDtls.pwd) transport.pwd = iceDtls.pwd;
  if (iceDtls.fingerprint) {
    transport.fingerprint = iceDtls.setup ? { ...iceDtls.fingerprint, setup: iceDtls.setup } : { ...iceDtls.fingerprint };
  }
  return content;
}

/** ICE credentials and DTLS parameters; media-level lines override the session-level ones. */
function readIceDtls(lines: string[], inherited: IceDtlsAttributes): IceDtlsAttributes {
  const result: IceDtlsAttributes = { ...inherited };
  for (const line of lines) {
    if (!line.startsWith('a=')) continue;
    const [key, value] = splitAttribute(line);
    if (key === 'ice-ufrag') result.ufrag = value;
    else if (key === 'ice-pwd') result.pwd = value;
    else if (key === 'fingerprint') {
      const [hash, fingerprint] = splitOnce(value, ' ');
      result.fingerprint = { hash: hash.toLowerCase(), value: fingerprint.trim().toUpperCase() };
    } else if (key === 'setup') {
      if (value !== 'actpass' && value !== 'active' && value !== 'passive') throw JingleError.badRequest(`unsupported a=setup:${value}`);
      result.setup = value;
    }
  }
  return result;
}

function splitAttribute(line: string): [string, string] {
  const body = line.slice(2);
  const colon = body.indexOf(':');
  return colon < 0 ? [body, ''] : [body.slice(0, colon), body.slice(colon + 1)];
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)];
}
