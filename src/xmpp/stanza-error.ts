// RFC 6120 §8.3: stanza errors, as an Error that can be read from and written to a stanza.
import { Element, el } from '../util/xml.js';

export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';
const errorTypes = new Set<string>(['auth', 'cancel', 'continue', 'modify', 'wait']);

/** The type RFC 6120 §8.3.3 gives each defined condition. */
const defaultTypes: Record<string, StanzaErrorType> = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

export interface StanzaErrorOptions {
  /** Defaults to the condition's type in RFC 6120 §8.3.3 (cancel when unknown). */
  type?: StanzaErrorType;
  text?: string;
  /** An application-specific condition, e.g. Jingle's <unknown-session xmlns="urn:xmpp:jingle:errors:1"/>. */
  application?: Element;
}

export class StanzaError extends Error {
  override readonly name = 'StanzaError';
  readonly type: StanzaErrorType;
  readonly text: string | undefined;
  readonly application: Element | undefined;

  constructor(readonly condition: string, options: StanzaErrorOptions = {}) {
    super(`${condition}${options.text ? ` (${options.text})` : ''}`);
    this.type = options.type ?? defaultTypes[condition] ?? 'cancel';
    this.text = options.text;
    this.application = options.application;
  }

  /** Reads a stanza of type "error" (or its <error/> child directly). */
  static fromStanza(stanza: Element): StanzaError {
    const error = stanza.name === 'error' ? stanza : stanza.getChild('error');
    if (!error) return new StanzaError('undefined-condition', { text: `<${stanza.name}/> of type error carries no <error/>` });
    const children = error.getChildElements();
    const condition = children.find((child) => child.getNS() === NS_STANZAS && child.name !== 'text');
    const application = children.find((child) => child.getNS() !== NS_STANZAS);
    const text = error.getChild('text', NS_STANZAS)?.getText();
    const type = error.attrs.type;
    return new StanzaError(condition?.name ?? 'undefined-condition', {
      type: type && errorTypes.has(type) ? (type as StanzaErrorType) : undefined,
      text: text || undefined,
      application,
    });
  }

  toElement(): Element {
    return el(
      'error',
      { type: this.type },
      el(this.condition, { xmlns: NS_STANZAS }),
      this.text ? el('text', { xmlns: NS_STANZAS }, this.text) : undefined,
      this.application,
    );
  }
}
