// The stream feature that ends every login (RFC 6120 §7, XEP-0198 §5): on the stream after SASL, resume the
// interrupted stream-management session when there is one; otherwise bind the resource (always the same one,
// so a fresh session keeps the full JID) and enable stream management with resumption when it is offered.
import type { Client } from '@xmpp/client-core';
import type { MiddlewareStack } from '@xmpp/middleware';
import { randomBytes } from 'node:crypto';
import type { Event } from '../util/event.js';
import { el, type Element } from '../util/xml.js';
import type { PendingIqs } from './pending-iqs.js';
import { NS_SM, type StreamManagement, type StreamManagementReaction } from './stream-management.js';

export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
const NS_STREAMS = 'http://etherx.jabber.org/streams';

/** enabled: resumable after a loss. not-resumable: acks only. refused: <failed/> to <enable/>. not-offered: the server has no XEP-0198. */
export type StreamManagementStatus = 'enabled' | 'not-resumable' | 'refused' | 'not-offered';

export type SessionOutcome =
  | { kind: 'resumed'; resend: Element[] }
  | {
      kind: 'bound';
      jid: string;
      streamManagement: StreamManagementStatus;
      /** Why the interrupted session could not be resumed (a <failed/> condition), when one was tried. */
      resumeFailure?: string;
      /** Stanzas of the lost session that its server may not have had. */
      unacked: Element[];
    };

export interface SessionEstablishmentDeps {
  middleware: MiddlewareStack;
  sm: StreamManagement;
  /** Each stream-management reaction, as the connection processes what it receives. */
  smReactions: Event<[StreamManagementReaction]>;
  pendingIqs: PendingIqs;
  resource: string;
  timeoutMs: number;
  onEstablished: (outcome: SessionOutcome) => void;
}

export function sessionEstablishment(deps: SessionEstablishmentDeps): void {
  const { middleware, sm, resource, onEstablished } = deps;
  middleware.use(async ({ stanza, entity }, next) => {
    if (!stanza.is('features', NS_STREAMS) || !stanza.getChild('bind', NS_BIND)) return next();
    const smOffered = stanza.getChild('sm', NS_SM) !== undefined;
    let resumeFailure: string | undefined;
    let unacked: Element[] = [];
    // Prosody refuses <resume/> after binding: it comes first.
    if (smOffered && sm.resumable) {
      const answer = await exchange(entity, deps, sm.resume(), ['resumed', 'resume-failed']);
      if (answer.kind === 'resumed') return onEstablished({ kind: 'resumed', resend: answer.resend });
      if (answer.kind === 'resume-failed') ({ condition: resumeFailure, unacked } = answer);
    } else {
      unacked = sm.reset();
    }
    const jid = await bind(entity, deps, resource);
    let streamManagement: StreamManagementStatus = 'not-offered';
    if (smOffered) {
      const answer = await exchange(entity, deps, sm.enable(), ['enabled', 'enable-failed']);
      streamManagement = answer.kind === 'enabled' ? (answer.resumable ? 'enabled' : 'not-resumable') : 'refused';
    }
    onEstablished({ kind: 'bound', jid, streamManagement, ...(resumeFailure && { resumeFailure }), unacked });
  });
}

async function bind(entity: Client, { pendingIqs, timeoutMs }: SessionEstablishmentDeps, resource: string): Promise<string> {
  const id = `bind-${randomBytes(4).toString('hex')}`;
  const reply = pendingIqs.expect(id, timeoutMs, () => new Error(`the server did not answer resource binding within ${timeoutMs} ms`));
  try {
    await whileConnected(entity, Promise.all([entity.send(el('iq', { type: 'set', id }, el('bind', { xmlns: NS_BIND }, el('resource', {}, resource)))), reply]));
  } finally {
    pendingIqs.fail(id, new Error('resource binding was abandoned'));
  }
  const jid = (await reply).getChild('bind', NS_BIND)?.getChildText('jid');
  if (!jid) throw new Error('the resource binding result carries no <jid/>');
  return jid;
}

/** Sends `request` and waits for the stream-management reaction that answers it. */
async function exchange<Kind extends StreamManagementReaction['kind']>(
  entity: Client,
  { smReactions, timeoutMs }: SessionEstablishmentDeps,
  request: Element,
  kinds: Kind[],
): Promise<Extract<StreamManagementReaction, { kind: Kind }>> {
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const answer = new Promise<Extract<StreamManagementReaction, { kind: Kind }>>((resolve, reject) => {
    unsubscribe = smReactions.subscribe((reaction) => {
      if ((kinds as string[]).includes(reaction.kind)) resolve(reaction as Extract<StreamManagementReaction, { kind: Kind }>);
    });
    timer = setTimeout(() => reject(new Error(`the server did not answer <${request.name} xmlns="${NS_SM}"/> within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await whileConnected(entity, Promise.all([entity.send(request), answer]));
    return await answer;
  } finally {
    unsubscribe?.();
    clearTimeout(timer);
  }
}

function whileConnected<T>(entity: Client, work: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const onDisconnect = () => reject(new Error('the connection closed while the session was being established'));
    entity.once('disconnect', onDisconnect);
    work.then(resolve, reject).finally(() => entity.off('disconnect', onDisconnect));
  });
}
