// Our iq requests that wait for their result or error (RFC 6120 §8.2.3), by id. They belong to the
// XmppConnection, not to a socket: a request outlives a dropped and resumed stream.
import type { Element } from '../util/xml.js';
import { StanzaError } from './stanza-error.js';

interface Waiting {
  resolve: (reply: Element) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class PendingIqs {
  private readonly waiting = new Map<string, Waiting>();

  get size(): number {
    return this.waiting.size;
  }

  /** Resolves with the result iq, rejects with StanzaError for an error reply, or with `timeoutError()` after `timeoutMs`. */
  expect(id: string, timeoutMs: number, timeoutError: () => Error): Promise<Element> {
    if (this.waiting.has(id)) throw new Error(`an iq with id ${id} is already waiting for its answer`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, () => reject(timeoutError())), timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
    });
  }

  /** Settles the request `reply` answers; false when it answers none of ours. */
  answer(reply: Element): boolean {
    const { type, id } = reply.attrs;
    if (reply.name !== 'iq' || (type !== 'result' && type !== 'error') || !id) return false;
    const waiting = this.waiting.get(id);
    if (!waiting) return false;
    this.settle(id, () => (type === 'result' ? waiting.resolve(reply) : waiting.reject(StanzaError.fromStanza(reply))));
    return true;
  }

  fail(id: string, error: Error): void {
    const waiting = this.waiting.get(id);
    if (waiting) this.settle(id, () => waiting.reject(error));
  }

  failAll(error: (id: string) => Error): void {
    for (const id of [...this.waiting.keys()]) this.fail(id, error(id));
  }

  private settle(id: string, how: () => void): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.waiting.delete(id);
    how();
  }
}
