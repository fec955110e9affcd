// RFC 6120 §6 SASL negotiation with SCRAM-SHA-1 (our own client, see scram-sha-1.ts). Handled here
// rather than by @xmpp/sasl because that ignores the additional data in <success/>, which carries
// the server signature that proves the server knows the password.
import type { Client } from '@xmpp/client-core';
import type { StreamFeatures } from '@xmpp/stream-features';
import { el, type Element } from '../util/xml.js';
import { ScramSha1Client } from './scram-sha-1.js';

export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

export class SaslError extends Error {
  override readonly name = 'SaslError';

  /** `condition` is the RFC 6120 §6.5 failure condition (e.g. not-authorized), or a local one. */
  constructor(readonly condition: string, readonly text?: string) {
    super(`SASL authentication failed: ${condition}${text ? ` (${text})` : ''}`);
  }

  static fromFailure(failure: Element): SaslError {
    const condition = failure.getChildElements().find((child) => child.name !== 'text');
    return new SaslError(condition?.name ?? 'undefined-condition', failure.getChildText('text') || undefined);
  }
}

export interface SaslCredentials {
  username: string;
  password: string;
}

/** RFC 6120 §6.4.2: an empty payload is sent as "=". */
const encode = (text: string) => (text ? Buffer.from(text, 'utf8').toString('base64') : '=');
const decode = (element: Element) => {
  const text = element.getText().trim();
  return text === '=' ? '' : Buffer.from(text, 'base64').toString('utf8');
};

export function saslAuthentication({ streamFeatures }: { streamFeatures: StreamFeatures }, credentials: SaslCredentials): void {
  streamFeatures.use('mechanisms', NS_SASL, async ({ entity }, _next, mechanisms) => {
    const offered = mechanisms.getChildren('mechanism', NS_SASL).map((mechanism) => mechanism.getText().trim());
    if (!offered.includes('SCRAM-SHA-1')) {
      throw new SaslError('no-common-mechanism', `the server offers ${offered.join(', ') || 'nothing'}; earshot speaks SCRAM-SHA-1`);
    }
    await scramExchange(entity, new ScramSha1Client(credentials.username, credentials.password));
    await entity.restart();
  });
}

function scramExchange(entity: Client, scram: ScramSha1Client): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      entity.off('nonza', onNonza);
      entity.off('disconnect', onDisconnect);
      if (error) reject(error);
      else resolve();
    };
    const onDisconnect = () => finish(new SaslError('connection-lost', 'the connection closed during authentication'));
    const onNonza = (element: Element) => {
      handle(element).catch((error: Error) => finish(error));
    };
    const handle = async (element: Element) => {
      if (element.getNS() !== NS_SASL) return;
      if (element.name === 'failure') throw SaslError.fromFailure(element);
      if (element.name === 'challenge' && scram.state === 'awaiting-server-first') {
        const clientFinal = await scram.clientFinal(decode(element));
        await entity.send(el('response', { xmlns: NS_SASL }, encode(clientFinal)));
      } else if (element.name === 'challenge') {
        // Some servers send server-final as a challenge and <success/> empty (RFC 6120 §6.3.10).
        scram.verifyServerFinal(decode(element));
        await entity.send(el('response', { xmlns: NS_SASL }));
      } else if (element.name === 'success') {
        const additionalData = decode(element);
        if (additionalData) scram.verifyServerFinal(additionalData);
        if (!scram.verified) throw new SaslError('server-not-verified', 'the server sent <success/> without proving it knows the password');
        finish();
      }
    };
    entity.on('nonza', onNonza);
    entity.on('disconnect', onDisconnect);
    entity
      .send(el('auth', { xmlns: NS_SASL, mechanism: scram.mechanism }, encode(scram.clientFirst())))
      .catch((error: Error) => finish(error));
  });
}
