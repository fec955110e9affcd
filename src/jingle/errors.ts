// Errors of a Jingle request, as returned in the iq reply.
//   XEP-0166 Jingle 1.1.2 §10 (urn:xmpp:jingle:errors:1), RFC 6120 §8.3 stanza errors.
import { el, type Element } from '../util/index.js';
import type { ReasonCondition } from './model.js';
import { NS } from './namespaces.js';

/** RFC 6120 §8.3.3 defined conditions. */
export const STANZA_ERROR_CONDITIONS = [
  'bad-request',
  'conflict',
  'feature-not-implemented',
  'forbidden',
  'gone',
  'internal-server-error',
  'item-not-found',
  'jid-malformed',
  'not-acceptable',
  'not-allowed',
  'not-authorized',
  'policy-violation',
  'recipient-unavailable',
  'redirect',
  'registration-required',
  'remote-server-not-found',
  'remote-server-timeout',
  'resource-constraint',
  'service-unavailable',
  'subscription-required',
  'undefined-condition',
  'unexpected-request',
] as const;
export type StanzaErrorCondition = (typeof STANZA_ERROR_CONDITIONS)[number];

export type JingleErrorCondition = 'out-of-order' | 'tie-break' | 'unknown-session' | 'unsupported-info';
export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

const JINGLE_CONDITIONS: readonly JingleErrorCondition[] = ['out-of-order', 'tie-break', 'unknown-session', 'unsupported-info'];

/** The stanza condition and error type XEP-0166 §10 pairs with each Jingle condition. */
const JINGLE_CONDITION_DEFAULTS: Record<JingleErrorCondition, { condition: StanzaErrorCondition; type: StanzaErrorType }> = {
  'out-of-order': { condition: 'unexpected-request', type: 'cancel' },
  'tie-break': { condition: 'conflict', type: 'cancel' },
  'unknown-session': { condition: 'item-not-found', type: 'cancel' },
  'unsupported-info': { condition: 'feature-not-implemented', type: 'modify' },
};

/** RFC 6120 §8.3.3: the error type each condition usually goes with. */
function defaultType(condition: StanzaErrorCondition): StanzaErrorType {
  switch (condition) {
    case 'bad-request':
    case 'jid-malformed':
    case 'not-acceptable':
    case 'policy-violation':
    case 'redirect':
      return 'modify';
    case 'forbidden':
    case 'not-authorized':
    case 'registration-required':
    case 'subscription-required':
      return 'auth';
    case 'internal-server-error':
    case 'recipient-unavailable':
    case 'remote-server-timeout':
    case 'resource-constraint':
      return 'wait';
    default:
      return 'cancel';
  }
}

export interface JingleErrorInit {
  condition?: StanzaErrorCondition;
  jingleCondition?: JingleErrorCondition;
  type?: StanzaErrorType;
  text: string;
  /** The Jingle reason to end the session with, when this error means the session cannot go on. */
  reason?: ReasonCondition;
}

/** A Jingle request that cannot be processed, or a session that cannot be set up; carries the iq error fields. */
export class JingleError extends Error {
  readonly condition: StanzaErrorCondition;
  readonly jingleCondition?: JingleErrorCondition;
  readonly type: StanzaErrorType;
  readonly text: string;
  readonly reason?: ReasonCondition;

  constructor(init: JingleErrorInit) {
    const byJingle = init.jingleCondition ? JINGLE_CONDITION_DEFAULTS[init.jingleCondition] : undefined;
    const condition = init.condition ?? byJingle?.condition ?? 'bad-request';
    super(`${condition}${init.jingleCondition ? `/${init.jingleCondition}` : ''}: ${init.text}`);
    this.name = 'JingleError';
    this.condition = condition;
    this.jingleCondition = init.jingleCondition;
    this.type = init.type ?? byJingle?.type ?? defaultType(condition);
    this.text = init.text;
    this.reason = init.reason;
  }

  static badRequest(text: string, reason?: ReasonCondition): JingleError {
    return new JingleError({ condition: 'bad-request', text, reason });
  }

  static outOfOrder(text: string): JingleError {
    return new JingleError({ jingleCondition: 'out-of-order', text });
  }
}

/** The `<error/>` child of an iq of type error; the xmpp layer wraps it in the reply. */
export function jingleErrorElement(error: JingleError): Element {
  return el(
    'error',
    { type: error.type },
    el(error.condition, { xmlns: NS.stanzas }),
    error.text ? el('text', { xmlns: NS.stanzas }, error.text) : undefined,
    error.jingleCondition ? el(error.jingleCondition, { xmlns: NS.jingleErrors }) : undefined,
  );
}

/** Reads the `<error/>` of a peer's iq error reply, e.g. to our session-initiate. */
export function parseJingleErrorElement(errorEl: Element): JingleError {
  let condition: StanzaErrorCondition | undefined;
  let jingleCondition: JingleErrorCondition | undefined;
  for (const child of errorEl.getChildElements()) {
    const ns = child.getNS();
    if (ns === NS.stanzas && (STANZA_ERROR_CONDITIONS as readonly string[]).includes(child.name)) {
      condition = child.name as StanzaErrorCondition;
    } else if (ns === NS.jingleErrors && (JINGLE_CONDITIONS as readonly string[]).includes(child.name)) {
      jingleCondition = child.name as JingleErrorCondition;
    }
  }
  const type = errorEl.attrs.type as StanzaErrorType | undefined;
  return new JingleError({
    condition: condition ?? 'undefined-condition',
    jingleCondition,
    type: type && ['auth', 'cancel', 'continue', 'modify', 'wait'].includes(type) ? type : undefined,
    text: errorEl.getChildText('text', NS.stanzas) ?? '',
  });
}
