// The <jingle xmlns="urn:xmpp:jingle:1"/> element <-> the typed model.
//   XEP-0166 Jingle 1.1.2, XEP-0167 Jingle RTP Sessions 1.2.2, XEP-0176 ICE-UDP 1.1,
//   XEP-0320 DTLS-SRTP 1.0.0, XEP-0293 rtcp-fb 1.0, XEP-0294 rtp-hdrext 1.1, XEP-0339 ssma 1.0.
// Parsing is strict where the XEPs require it and lenient where deployed clients differ:
// candidates without generation, id or network are accepted (and always written on output),
// a static payload type without a name gets its RFC 3551 name, unknown extension elements are ignored,
// and every attribute value is read trimmed: whitespace around an id, a token or an address never carries
// meaning, and left in it would end up inside SDP lines (INTEROP bug 7) or break name comparisons.
import { el, type Element } from '../util/index.js';
import { JingleError } from './errors.js';
import {
  JINGLE_ACTIONS,
  REASON_CONDITIONS,
  type Candidate,
  type CandidateType,
  type Content,
  type DtlsSetup,
  type Fingerprint,
  type HeaderExtension,
  type IceUdpTransport,
  type Jingle,
  type JingleAction,
  type PayloadType,
  type Reason,
  type ReasonCondition,
  type Role,
  type RtcpFeedback,
  type RtpDescription,
  type SdesCrypto,
  type Senders,
  type SessionInfo,
  type Source,
  type SourceGroup,
} from './model.js';
import { NS } from './namespaces.js';

/** RFC 3551 names of the static payload types a peer may leave unnamed. */
export const STATIC_PAYLOAD_NAMES: Readonly<Record<number, { name: string; clockrate: number }>> = {
  0: { name: 'PCMU', clockrate: 8000 },
  3: { name: 'GSM', clockrate: 8000 },
  4: { name: 'G723', clockrate: 8000 },
  8: { name: 'PCMA', clockrate: 8000 },
  9: { name: 'G722', clockrate: 8000 },
  13: { name: 'CN', clockrate: 8000 },
  18: { name: 'G729', clockrate: 8000 },
};

const ROLES: readonly Role[] = ['initiator', 'responder'];
const SENDERS: readonly Senders[] = ['both', 'initiator', 'responder', 'none'];
const SETUPS: readonly DtlsSetup[] = ['actpass', 'active', 'passive'];
const CANDIDATE_TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];
const TCP_TYPES = ['active', 'passive', 'so'] as const;

// ---------------------------------------------------------------- parsing

export function parseJingle(jingleEl: Element): Jingle {
  if (jingleEl.name !== 'jingle' || jingleEl.getNS() !== NS.jingle) {
    throw JingleError.badRequest(`expected <jingle xmlns="${NS.jingle}">, got <${jingleEl.name} xmlns="${jingleEl.getNS() ?? ''}">`);
  }
  const action = requiredAttr(jingleEl, 'action', 'jingle');
  if (!(JINGLE_ACTIONS as readonly string[]).includes(action)) {
    throw JingleError.badRequest(`unknown Jingle action '${action}'`);
  }
  const jingle: Jingle = {
    action: action as JingleAction,
    sid: requiredAttr(jingleEl, 'sid', 'jingle'),
    contents: jingleEl.getChildren('content', NS.jingle).map(parseContent),
  };
  const initiator = attr(jingleEl, 'initiator');
  if (initiator) jingle.initiator = initiator;
  const responder = attr(jingleEl, 'responder');
  if (responder) jingle.responder = responder;
  const reasonEl = jingleEl.getChild('reason', NS.jingle);
  if (reasonEl) jingle.reason = parseReason(reasonEl);
  if (jingle.action === 'session-info') {
    const info = parseSessionInfo(jingleEl);
    if (info) jingle.info = info;
  }
  return jingle;
}

function parseContent(contentEl: Element): Content {
  const name = requiredAttr(contentEl, 'name', 'content');
  const creator = oneOf(contentEl, 'creator', ROLES, `content '${name}'`, true);
  const content: Content = { creator, name };
  const senders = oneOf(contentEl, 'senders', SENDERS, `content '${name}'`, false);
  if (senders) content.senders = senders;
  const descriptionEl = contentEl.getChild('description', NS.rtp);
  if (descriptionEl) content.description = parseDescription(descriptionEl, name);
  const transportEl = contentEl.getChild('transport', NS.iceUdp);
  if (transportEl) content.transport = parseTransport(transportEl, name);
  return content;
}

function parseDescription(descriptionEl: Element, contentName: string): RtpDescription {
  const where = `description of content '${contentName}'`;
  const media = oneOf(descriptionEl, 'media', ['audio', 'video'] as const, where, true);
  const description: RtpDescription = {
    media,
    payloadTypes: descriptionEl.getChildren('payload-type', NS.rtp).map((pt) => parsePayloadType(pt, where)),
    rtcpMux: descriptionEl.getChild('rtcp-mux', NS.rtp) !== undefined,
  };
  const ssrc = intAttr(descriptionEl, 'ssrc', where, 0, 0xffffffff);
  if (ssrc !== undefined) description.ssrc = ssrc;
  const rtcpFb = parseFeedback(descriptionEl);
  if (rtcpFb.length) description.rtcpFb = rtcpFb;
  const headerExtensions = descriptionEl.getChildren('rtp-hdrext', NS.hdrext).map((ext) => parseHeaderExtension(ext, where));
  if (headerExtensions.length) description.headerExtensions = headerExtensions;
  const sources = descriptionEl.getChildren('source', NS.ssma).map((source) => parseSource(source, where));
  if (sources.length) description.sources = sources;
  const groups = descriptionEl.getChildren('ssrc-group', NS.ssma).map((group) => parseSourceGroup(group, where));
  if (groups.length) description.sourceGroups = groups;
  const encryptionEl = descriptionEl.getChild('encryption', NS.rtp);
  if (encryptionEl) {
    const crypto = encryptionEl.getChildren('crypto', NS.rtp).map((c) => parseCrypto(c, where));
    if (crypto.length) description.crypto = crypto;
    const required = attr(encryptionEl, 'required');
    if (required === '1' || required === 'true') description.encryptionRequired = true;
  }
  return description;
}

function parsePayloadType(ptEl: Element, where: string): PayloadType {
  const id = intAttr(ptEl, 'id', `payload-type in ${where}`, 0, 127, true);
  const staticName = STATIC_PAYLOAD_NAMES[id];
  const name = attr(ptEl, 'name') ?? staticName?.name;
  if (!name) throw JingleError.badRequest(`payload-type ${id} in ${where} has no name (required for dynamic payload types)`);
  const ptWhere = `payload-type ${id} in ${where}`;
  const payloadType: PayloadType = { id, name, parameters: {} };
  const clockrate = intAttr(ptEl, 'clockrate', ptWhere, 1, 0xffffffff);
  if (clockrate !== undefined) payloadType.clockrate = clockrate;
  else if (staticName && !attr(ptEl, 'name')) payloadType.clockrate = staticName.clockrate;
  const channels = intAttr(ptEl, 'channels', ptWhere, 1, 255);
  if (channels !== undefined) payloadType.channels = channels;
  const ptime = intAttr(ptEl, 'ptime', ptWhere, 1, 10000);
  if (ptime !== undefined) payloadType.ptime = ptime;
  const maxptime = intAttr(ptEl, 'maxptime', ptWhere, 1, 10000);
  if (maxptime !== undefined) payloadType.maxptime = maxptime;
  for (const parameterEl of ptEl.getChildren('parameter', NS.rtp)) {
    const name = requiredAttr(parameterEl, 'name', `parameter of ${ptWhere}`);
    payloadType.parameters[name] = attr(parameterEl, 'value') ?? '';
  }
  const feedback = parseFeedback(ptEl);
  if (feedback.length) payloadType.feedback = feedback;
  return payloadType;
}

function parseFeedback(parent: Element): RtcpFeedback[] {
  return parent.getChildren('rtcp-fb', NS.rtcpFb).map((fbEl) => {
    const feedback: RtcpFeedback = { type: requiredAttr(fbEl, 'type', 'rtcp-fb') };
    const subtype = attr(fbEl, 'subtype');
    if (subtype) feedback.subtype = subtype;
    return feedback;
  });
}

function parseHeaderExtension(extEl: Element, where: string): HeaderExtension {
  const extension: HeaderExtension = {
    id: intAttr(extEl, 'id', `rtp-hdrext in ${where}`, 1, 14, true),
    uri: requiredAttr(extEl, 'uri', `rtp-hdrext in ${where}`),
  };
  const senders = oneOf(extEl, 'senders', SENDERS, `rtp-hdrext in ${where}`, false);
  if (senders) extension.senders = senders;
  return extension;
}

function parseSource(sourceEl: Element, where: string): Source {
  return {
    ssrc: intAttr(sourceEl, 'ssrc', `source in ${where}`, 0, 0xffffffff, true),
    parameters: sourceEl.getChildren('parameter', NS.ssma).map((p) => ({
      name: requiredAttr(p, 'name', `source parameter in ${where}`),
      value: attr(p, 'value') ?? '',
    })),
  };
}

function parseSourceGroup(groupEl: Element, where: string): SourceGroup {
  return {
    semantics: requiredAttr(groupEl, 'semantics', `ssrc-group in ${where}`),
    ssrcs: groupEl.getChildren('source', NS.ssma).map((s) => intAttr(s, 'ssrc', `ssrc-group in ${where}`, 0, 0xffffffff, true)),
  };
}

function parseCrypto(cryptoEl: Element, where: string): SdesCrypto {
  const crypto: SdesCrypto = {
    tag: intAttr(cryptoEl, 'tag', `crypto in ${where}`, 0, 999999999, true),
    cryptoSuite: requiredAttr(cryptoEl, 'crypto-suite', `crypto in ${where}`),
    keyParams: requiredAttr(cryptoEl, 'key-params', `crypto in ${where}`),
  };
  const sessionParams = attr(cryptoEl, 'session-params');
  if (sessionParams) crypto.sessionParams = sessionParams;
  return crypto;
}

function parseTransport(transportEl: Element, contentName: string): IceUdpTransport {
  const where = `transport of content '${contentName}'`;
  const transport: IceUdpTransport = {
    candidates: transportEl.getChildren('candidate', NS.iceUdp).map((c) => parseCandidate(c, where)),
  };
  const ufrag = attr(transportEl, 'ufrag');
  if (ufrag) transport.ufrag = ufrag;
  const pwd = attr(transportEl, 'pwd');
  if (pwd) transport.pwd = pwd;
  const fingerprintEl = transportEl.getChild('fingerprint', NS.dtls);
  if (fingerprintEl) transport.fingerprint = parseFingerprint(fingerprintEl, where);
  return transport;
}

function parseFingerprint(fingerprintEl: Element, where: string): Fingerprint {
  const value = fingerprintEl.getText().trim();
  if (!value) throw JingleError.badRequest(`empty fingerprint in ${where}`, 'security-error');
  const fingerprint: Fingerprint = { hash: requiredAttr(fingerprintEl, 'hash', `fingerprint in ${where}`), value };
  const setup = oneOf(fingerprintEl, 'setup', SETUPS, `fingerprint in ${where}`, false);
  if (setup) fingerprint.setup = setup;
  return fingerprint;
}

export function parseCandidate(candidateEl: Element, where = 'transport'): Candidate {
  const at = `candidate in ${where}`;
  const protocol = requiredAttr(candidateEl, 'protocol', at).toLowerCase();
  if (protocol !== 'udp' && protocol !== 'tcp') throw JingleError.badRequest(`${at}: protocol '${protocol}' is neither udp nor tcp`);
  const candidate: Candidate = {
    component: intAttr(candidateEl, 'component', at, 1, 256, true),
    foundation: requiredAttr(candidateEl, 'foundation', at),
    ip: requiredAttr(candidateEl, 'ip', at),
    port: intAttr(candidateEl, 'port', at, 0, 65535, true),
    priority: intAttr(candidateEl, 'priority', at, 0, 0xffffffff, true),
    protocol,
    type: oneOf(candidateEl, 'type', CANDIDATE_TYPES, at, true),
  };
  const generation = intAttr(candidateEl, 'generation', at, 0, 0xffffffff);
  if (generation !== undefined) candidate.generation = generation;
  const id = attr(candidateEl, 'id');
  if (id) candidate.id = id;
  const network = intAttr(candidateEl, 'network', at, 0, 0xffffffff);
  if (network !== undefined) candidate.network = network;
  const relAddr = attr(candidateEl, 'rel-addr');
  if (relAddr) candidate.relAddr = relAddr;
  const relPort = intAttr(candidateEl, 'rel-port', at, 0, 65535);
  if (relPort !== undefined) candidate.relPort = relPort;
  const tcpType = oneOf(candidateEl, 'tcptype', TCP_TYPES, at, false);
  if (tcpType) candidate.tcpType = tcpType;
  return candidate;
}

function parseReason(reasonEl: Element): Reason {
  let reason: Reason | undefined;
  const unknown: string[] = [];
  for (const child of reasonEl.getChildElements()) {
    if (child.getNS() !== NS.jingle || child.name === 'text') continue;
    if ((REASON_CONDITIONS as readonly string[]).includes(child.name)) {
      reason = { condition: child.name as ReasonCondition };
      const sid = child.getChildText('sid', NS.jingle);
      if (reason.condition === 'alternative-session' && sid) reason.alternativeSid = sid;
      break;
    }
    unknown.push(child.name);
  }
  if (!reason) {
    const found = unknown.length ? `unknown condition <${unknown[0]}/>` : 'no condition';
    throw JingleError.badRequest(`reason has ${found}; expected one of ${REASON_CONDITIONS.join(', ')}`);
  }
  const text = reasonEl.getChildText('text', NS.jingle);
  if (text) reason.text = text;
  return reason;
}

function parseSessionInfo(jingleEl: Element): SessionInfo | undefined {
  const payload = jingleEl.getChildElements().find((child) => child.getNS() !== NS.jingle);
  if (!payload) return undefined;
  const unsupported = () =>
    new JingleError({
      jingleCondition: 'unsupported-info',
      text: `session-info payload <${payload.name} xmlns="${payload.getNS() ?? ''}"/> is not supported`,
    });
  if (payload.getNS() !== NS.rtpInfo) throw unsupported();
  switch (payload.name) {
    case 'ringing':
    case 'active':
    case 'hold':
    case 'unhold':
      return { type: payload.name };
    case 'mute':
    case 'unmute': {
      const info: { type: 'mute' | 'unmute'; creator?: Role; name?: string } = { type: payload.name };
      const creator = oneOf(payload, 'creator', ROLES, `session-info <${payload.name}/>`, false);
      if (creator) info.creator = creator;
      const name = attr(payload, 'name');
      if (name) info.name = name;
      return info;
    }
    default:
      throw unsupported();
  }
}

// ---------------------------------------------------------------- serialization

export function serializeJingle(jingle: Jingle): Element {
  return el(
    'jingle',
    { xmlns: NS.jingle, action: jingle.action, sid: jingle.sid, initiator: jingle.initiator, responder: jingle.responder },
    ...jingle.contents.map(serializeContent),
    jingle.reason ? serializeReason(jingle.reason) : undefined,
    jingle.info ? serializeSessionInfo(jingle.info) : undefined,
  );
}

function serializeContent(content: Content): Element {
  return el(
    'content',
    { creator: content.creator, name: content.name, senders: content.senders },
    content.description ? serializeDescription(content.description) : undefined,
    content.transport ? serializeTransport(content.transport) : undefined,
  );
}

function serializeDescription(d: RtpDescription): Element {
  return el(
    'description',
    { xmlns: NS.rtp, media: d.media, ssrc: d.ssrc },
    ...d.payloadTypes.map(serializePayloadType),
    d.crypto?.length || d.encryptionRequired
      ? el(
          'encryption',
          { required: d.encryptionRequired ? '1' : undefined },
          ...(d.crypto ?? []).map((c) =>
            el('crypto', { 'crypto-suite': c.cryptoSuite, 'key-params': c.keyParams, 'session-params': c.sessionParams, tag: c.tag }),
          ),
        )
      : undefined,
    ...(d.rtcpFb ?? []).map(serializeFeedback),
    ...(d.headerExtensions ?? []).map((ext) => el('rtp-hdrext', { xmlns: NS.hdrext, id: ext.id, uri: ext.uri, senders: ext.senders })),
    ...(d.sources ?? []).map((s) =>
      el('source', { xmlns: NS.ssma, ssrc: s.ssrc }, ...s.parameters.map((p) => el('parameter', { name: p.name, value: p.value }))),
    ),
    ...(d.sourceGroups ?? []).map((g) =>
      el('ssrc-group', { xmlns: NS.ssma, semantics: g.semantics }, ...g.ssrcs.map((ssrc) => el('source', { ssrc }))),
    ),
    d.rtcpMux ? el('rtcp-mux') : undefined,
  );
}

function serializePayloadType(pt: PayloadType): Element {
  return el(
    'payload-type',
    { id: pt.id, name: pt.name, clockrate: pt.clockrate, channels: pt.channels, ptime: pt.ptime, maxptime: pt.maxptime },
    ...Object.entries(pt.parameters).map(([name, value]) => el('parameter', { name, value })),
    ...(pt.feedback ?? []).map(serializeFeedback),
  );
}

function serializeFeedback(fb: RtcpFeedback): Element {
  return el('rtcp-fb', { xmlns: NS.rtcpFb, type: fb.type, subtype: fb.subtype });
}

function serializeTransport(t: IceUdpTransport): Element {
  return el(
    'transport',
    { xmlns: NS.iceUdp, ufrag: t.ufrag, pwd: t.pwd },
    t.fingerprint
      ? el('fingerprint', { xmlns: NS.dtls, hash: t.fingerprint.hash, setup: t.fingerprint.setup }, t.fingerprint.value)
      : undefined,
    ...t.candidates.map(serializeCandidate),
  );
}

/** Writes generation, id and network even when the model lacks them: older stacks reject candidates without them. */
export function serializeCandidate(c: Candidate): Element {
  return el('candidate', {
    component: c.component,
    foundation: c.foundation,
    generation: c.generation ?? 0,
    id: c.id ?? candidateId(c),
    ip: c.ip,
    network: c.network ?? 0,
    port: c.port,
    priority: c.priority,
    protocol: c.protocol,
    type: c.type,
    'rel-addr': c.relAddr,
    'rel-port': c.relPort,
    tcptype: c.tcpType,
  });
}

/** A stable id for a candidate that has none (FNV-1a over what makes it unique). */
export function candidateId(c: Candidate): string {
  let hash = 0x811c9dc5;
  for (const char of `${c.protocol} ${c.ip} ${c.port} ${c.component} ${c.type} ${c.foundation}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `c${hash.toString(36)}`;
}

function serializeReason(reason: Reason): Element {
  return el(
    'reason',
    {},
    el(reason.condition, {}, reason.alternativeSid ? el('sid', {}, reason.alternativeSid) : undefined),
    reason.text ? el('text', {}, reason.text) : undefined,
  );
}

function serializeSessionInfo(info: SessionInfo): Element {
  if (info.type === 'mute' || info.type === 'unmute') {
    return el(info.type, { xmlns: NS.rtpInfo, creator: info.creator, name: info.name });
  }
  return el(info.type, { xmlns: NS.rtpInfo });
}

// ---------------------------------------------------------------- attribute helpers

/** An attribute's value without surrounding whitespace; undefined when absent or blank. */
function attr(element: Element, name: string): string | undefined {
  const value = element.attrs[name]?.trim();
  return value ? value : undefined;
}

function requiredAttr(element: Element, name: string, where: string): string {
  const value = attr(element, name);
  if (value === undefined) throw JingleError.badRequest(`${where}: missing required attribute '${name}'`);
  return value;
}

function intAttr(element: Element, name: string, where: string, min: number, max: number, required: true): number;
function intAttr(element: Element, name: string, where: string, min: number, max: number, required?: false): number | undefined;
function intAttr(element: Element, name: string, where: string, min: number, max: number, required = false): number | undefined {
  const raw = required ? requiredAttr(element, name, where) : attr(element, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw JingleError.badRequest(`${where}: attribute ${name}='${raw}' is not an integer in ${min}..${max}`);
  }
  return value;
}

function oneOf<T extends string>(element: Element, name: string, allowed: readonly T[], where: string, required: true): T;
function oneOf<T extends string>(element: Element, name: string, allowed: readonly T[], where: string, required: false): T | undefined;
function oneOf<T extends string>(element: Element, name: string, allowed: readonly T[], where: string, required: boolean): T | undefined {
  const raw = required ? requiredAttr(element, name, where) : attr(element, name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw JingleError.badRequest(`${where}: ${name}='${raw}' is not one of ${allowed.join(', ')}`);
  }
  return raw as T;
}
