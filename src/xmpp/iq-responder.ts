// Answers incoming iq get/set (RFC 6120 §8.2.3): every request gets exactly one result or error.
// No handler: service-unavailable; not exactly one child: bad-request; a handler that throws a
// StanzaError: that error; any other exception: internal-server-error.
import { el, type Element } from '../util/xml.js';
import { StanzaError } from './stanza-error.js';

export type IqType = 'get' | 'set';
export type IqHandler = (iq: Element) => Promise<Element | undefined> | Element | undefined;

export class IqResponder {
  private readonly handlers = new Map<string, IqHandler>();

  constructor(private readonly onHandlerFailure: (error: unknown, iq: Element) => void) {}

  handle(type: IqType, name: string, xmlns: string, handler: IqHandler): void {
    const key = `${type} {${xmlns}}${name}`;
    if (this.handlers.has(key)) throw new Error(`an iq handler for ${key} is already registered`);
    this.handlers.set(key, handler);
  }

  /** The reply to an iq of type get or set. */
  async respond(iq: Element): Promise<Element> {
    const children = iq.getChildElements();
    const [payload] = children;
    if (children.length !== 1 || !payload) {
      return reply(iq, 'error', new StanzaError('bad-request', { text: 'an iq request carries exactly one child element' }).toElement());
    }
    const handler = this.handlers.get(`${iq.attrs.type} {${payload.getNS() ?? ''}}${payload.name}`);
    if (!handler) return reply(iq, 'error', new StanzaError('service-unavailable').toElement());
    try {
      return reply(iq, 'result', await handler(iq));
    } catch (error) {
      if (error instanceof StanzaError) return reply(iq, 'error', error.toElement());
      this.onHandlerFailure(error, iq);
      return reply(iq, 'error', new StanzaError('internal-server-error').toElement());
    }
  }
}

function reply(iq: Element, type: 'result' | 'error', child: Element | undefined): Element {
  return el('iq', { type, id: iq.attrs.id, to: iq.attrs.from }, child);
}
