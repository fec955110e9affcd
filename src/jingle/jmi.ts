// XEP-0353 Jingle Message Initiation 0.6.0 (urn:xmpp:jingle-message:0): ring every device with a
// <message/> before the Jingle session starts. The JMI id is the Jingle sid of the session that follows.
import { el, type Element } from '../util/index.js';
import { JingleError } from './errors.js';
import { REASON_CONDITIONS, type Media, type Reason, type ReasonCondition } from './model.js';
import { NS } from './namespaces.js';

export const JMI_KINDS = ['propose', 'ringing', 'proceed', 'reject', 'retract', 'finish'] as const;
export type JmiKind = (typeof JMI_KINDS)[number];

export type JmiMessage =
  | { kind: 'propose'; id: string; media: Media[] }
  | { kind: 'ringing'; id: string }
  | { kind: 'proceed'; id: string }
  | { kind: 'reject'; id: string; reason?: Reason }
  | { kind: 'retract'; id: string; reason?: Reason }
  | { kind: 'finish'; id: string; reason?: Reason };

/** Kinds that Conversations marks with a <store/> hint so archives and other devices keep the call history. */
const STORED_KINDS: ReadonlySet<JmiKind> = new Set(['propose', 'retract', 'finish']);
const PROPOSE_MESSAGE_ID_PREFIX = 'jm-propose-';

/**
 * Reads the JMI payload of a <message/>; undefined when the message carries none.
 * Throws a JingleError (bad-request) for a JMI element that is malformed.
 */
export function parseJmi(message: Element): JmiMessage | undefined {
  const payload = message.getChildElements().find((child) => child.getNS() === NS.jmi && (JMI_KINDS as readonly string[]).includes(child.name));
  if (!payload) return undefined;
  const kind = payload.name as JmiKind;
  // Trimmed as parseJingle trims the sid, so that the two still match.
  const id = payload.attrs.id?.trim();
  if (!id) throw JingleError.badRequest(`JMI <${kind}/> without id`);
  switch (kind) {
    case 'propose': {
      const media: Media[] = [];
      for (const description of payload.getChildren('description', NS.rtp)) {
        const value = description.attrs.media?.trim();
        if (value !== 'audio' && value !== 'video') throw JingleError.badRequest(`JMI propose ${id}: description media '${value ?? ''}' is neither audio nor video`);
        media.push(value);
      }
      if (!media.length) throw JingleError.badRequest(`JMI propose ${id} has no RTP <description/>`);
      return { kind, id, media };
    }
    case 'ringing':
    case 'proceed':
      return { kind, id };
    case 'reject':
    case 'retract':
    case 'finish': {
      const reasonEl = payload.getChild('reason', NS.jingle);
      const reason = reasonEl ? parseJmiReason(reasonEl, kind, id) : undefined;
      return reason ? { kind, id, reason } : { kind, id };
    }
  }
}

function parseJmiReason(reasonEl: Element, kind: JmiKind, id: string): Reason {
  const conditionEl = reasonEl
    .getChildElements()
    .find((child) => child.getNS() === NS.jingle && (REASON_CONDITIONS as readonly string[]).includes(child.name));
  if (!conditionEl) throw JingleError.badRequest(`JMI ${kind} ${id}: reason without a known condition`);
  const reason: Reason = { condition: conditionEl.name as ReasonCondition };
  const text = reasonEl.getChildText('text', NS.jingle);
  if (text) reason.text = text;
  return reason;
}

/**
 * The full `<message type="chat">` for a JMI payload. The message id is derived from the kind and the
 * JMI id (`jm-propose-<id>`), so resending the same step gives the same stanza.
 */
export function serializeJmi(msg: JmiMessage & { to: string; from?: string }): Element {
  const children: Element[] = [];
  if (msg.kind === 'propose') {
    for (const media of msg.media) children.push(el('description', { xmlns: NS.rtp, media }));
  } else if ((msg.kind === 'reject' || msg.kind === 'retract' || msg.kind === 'finish') && msg.reason) {
    const { condition, text } = msg.reason;
    children.push(el('reason', { xmlns: NS.jingle }, el(condition), text ? el('text', {}, text) : undefined));
  }
  return el(
    'message',
    { type: 'chat', to: msg.to, from: msg.from, id: msg.kind === 'propose' ? `${PROPOSE_MESSAGE_ID_PREFIX}${msg.id}` : `jm-${msg.kind}-${msg.id}` },
    el(msg.kind, { xmlns: NS.jmi, id: msg.id }, ...children),
    STORED_KINDS.has(msg.kind) ? el('store', { xmlns: NS.hints }) : undefined,
    // XEP-0184, as Conversations asks: a receipt says a device of the callee got the propose.
    msg.kind === 'propose' ? el('request', { xmlns: NS.receipts }) : undefined,
  );
}

/**
 * XEP-0184: the receipt for a message that asks for one (a `<request/>` and an id), addressed to its sender;
 * undefined when it asks for none.
 */
export function receiptFor(message: Element): Element | undefined {
  const { from, id } = message.attrs;
  if (!from || !id || !message.getChild('request', NS.receipts)) return undefined;
  return el('message', { to: from, id: `receipt-${id}` }, el('received', { xmlns: NS.receipts, id }));
}

/** The JMI id of the propose a XEP-0184 receipt acknowledges; undefined for any other message. */
export function proposeReceiptId(message: Element): string | undefined {
  const acknowledged = message.getChild('received', NS.receipts)?.attrs.id;
  return acknowledged?.startsWith(PROPOSE_MESSAGE_ID_PREFIX) ? acknowledged.slice(PROPOSE_MESSAGE_ID_PREFIX.length) : undefined;
}
