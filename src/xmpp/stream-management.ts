// XEP-0198 Stream Management 1.6, client side, as a pure state machine: it counts what is received (h),
// keeps what is sent until the server acknowledges it, and says what to resend after <resumed/>. It sends
// nothing itself: the connection writes the elements it returns and acts on its reactions.
import { el, type Element } from '../util/xml.js';

export const NS_SM = 'urn:xmpp:sm:3';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
/** h counts modulo 2^32 (XEP-0198 §4). */
const H_MODULO = 2 ** 32;

/**
 * off: not in use (or the session cannot be resumed). enabling: <enable/> sent. on: counting.
 * interrupted: the connection is gone, the session resumable. resuming: <resume/> sent.
 */
export type StreamManagementPhase = 'off' | 'enabling' | 'on' | 'interrupted' | 'resuming';

/** What the connection must do about an element it received. */
export type StreamManagementReaction =
  | { kind: 'none' }
  /** Send `element` (the <a/> answering an <r/>). */
  | { kind: 'reply'; element: Element }
  /** `count` stanzas left the queue; `excess` is how many more the server claimed than were ever sent (a server bug). */
  | { kind: 'acked'; count: number; excess: number }
  | { kind: 'enabled'; resumable: boolean; maxSeconds: number | undefined }
  | { kind: 'enable-failed'; condition: string }
  /** Send `resend` again, in order: the server never handled them. */
  | { kind: 'resumed'; resend: Element[]; excess: number }
  /** The old session is gone; `unacked` may not have reached it (those the server's h covers are left out). */
  | { kind: 'resume-failed'; condition: string; unacked: Element[] };

export class StreamManagement {
  private current: StreamManagementPhase = 'off';
  private resumptionId: string | undefined;
  private received = 0;
  private ackedByServer = 0;
  private unacked: Element[] = [];

  get phase(): StreamManagementPhase {
    return this.current;
  }

  /** Whether this session can be resumed (after interrupt()). */
  get resumable(): boolean {
    return this.resumptionId !== undefined;
  }

  /** Stanzas sent and not yet acknowledged. */
  get unackedCount(): number {
    return this.unacked.length;
  }

  /** The <enable/> to send after resource binding; counting starts with it (XEP-0198 §4). */
  enable(): Element {
    this.current = 'enabling';
    this.resumptionId = undefined;
    this.ackedByServer = 0;
    this.unacked = [];
    return el('enable', { xmlns: NS_SM, resume: 'true' });
  }

  /** The <resume/> to send on a new stream, after SASL and before binding. */
  resume(): Element {
    // 'resuming' again when the connection carrying the previous <resume/> was lost before its answer.
    if ((this.current !== 'interrupted' && this.current !== 'resuming') || !this.resumptionId) throw new Error(`cannot resume a stream-management session that is ${this.current}`);
    this.current = 'resuming';
    return el('resume', { xmlns: NS_SM, previd: this.resumptionId, h: this.received });
  }

  /** The <r/> asking the server how much it has handled. */
  requestAck(): Element {
    return el('r', { xmlns: NS_SM });
  }

  /** The connection is gone: a resumable session waits for resume(), any other stops counting. */
  interrupt(): void {
    if (this.current === 'off') return;
    this.current = this.resumptionId ? 'interrupted' : 'off';
  }

  /** Records a stanza sent (or queued while interrupted); no-op when off. */
  sent(stanza: Element): void {
    if (this.current !== 'off') this.unacked.push(stanza);
  }

  /** Ends the session for good (it will not be resumed) and hands back what the server never acknowledged. */
  reset(): Element[] {
    this.current = 'off';
    this.resumptionId = undefined;
    return this.unacked.splice(0);
  }

  /** Every element received from the server passes here, in order, before anything else handles it. */
  receive(element: Element): StreamManagementReaction {
    if (isStanza(element)) {
      if (this.current === 'on') this.received = (this.received + 1) % H_MODULO;
      return { kind: 'none' };
    }
    if (element.getNS() !== NS_SM) return { kind: 'none' };
    switch (element.name) {
      case 'r':
        return this.current === 'on' ? { kind: 'reply', element: el('a', { xmlns: NS_SM, h: this.received }) } : { kind: 'none' };
      case 'a':
        return { kind: 'acked', ...this.acknowledge(element.attrs.h) };
      case 'enabled':
        if (this.current !== 'enabling') return { kind: 'none' };
        this.current = 'on';
        this.received = 0;
        this.resumptionId = element.attrs.resume === 'true' || element.attrs.resume === '1' ? element.attrs.id || undefined : undefined;
        return { kind: 'enabled', resumable: this.resumable, maxSeconds: parseCount(element.attrs.max) };
      case 'resumed': {
        if (this.current !== 'resuming') return { kind: 'none' };
        const { excess } = this.acknowledge(element.attrs.h);
        this.current = 'on';
        return { kind: 'resumed', resend: [...this.unacked], excess };
      }
      case 'failed':
        return this.fail(element);
      default:
        return { kind: 'none' };
    }
  }

  private fail(failed: Element): StreamManagementReaction {
    const condition = failed.getChildElements().find((child) => child.getNS() === NS_STANZAS)?.name ?? 'undefined-condition';
    if (this.current === 'enabling') {
      this.current = 'off';
      this.unacked = [];
      return { kind: 'enable-failed', condition };
    }
    if (this.current !== 'resuming') return { kind: 'none' };
    // Since XEP-0198 1.6 a <failed/> may say how much of the old session the server handled.
    if (failed.attrs.h !== undefined) this.acknowledge(failed.attrs.h);
    return { kind: 'resume-failed', condition, unacked: this.reset() };
  }

  private acknowledge(hText: string | undefined): { count: number; excess: number } {
    const h = parseCount(hText);
    if (h === undefined) return { count: 0, excess: 0 };
    const handled = (h - this.ackedByServer + H_MODULO) % H_MODULO;
    const count = Math.min(handled, this.unacked.length);
    this.unacked.splice(0, count);
    this.ackedByServer = (this.ackedByServer + count) % H_MODULO;
    return { count, excess: handled - count };
  }
}

function isStanza(element: Element): boolean {
  return element.name === 'iq' || element.name === 'message' || element.name === 'presence';
}

function parseCount(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value < H_MODULO ? value : undefined;
}
