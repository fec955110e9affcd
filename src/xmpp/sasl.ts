// RFC 6120 §6 SASL negotiation with SCRAM-SHA-1(-PLUS) (our own client, see scram-sha-1.ts). Handled
// here rather than by @xmpp/sasl because that ignores the additional data in <success/>, which
// carries the server signature that proves the server knows the password.
import type { Client } from '@xmpp/client-core';
import type { StreamFeatures } from '@xmpp/stream-features';
import { el, type Element } from '../util/xml.js';
import type { ChannelBinding, ChannelBindingType } from './channel-binding.js';
import { ScramSha1Client, type ScramChannelBinding } from './scram-sha-1.js';
import { TlsSocket } from './tls-policy.js';

export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
/** XEP-0440: the channel-binding types a server supports, beside its mechanisms. */
const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';

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

/**
 * 'prefer' (default): SCRAM-SHA-1-PLUS whenever the server offers it with a binding this TLS
 * connection has, else SCRAM-SHA-1 (GS2 flag "y" when we could have bound). 'require': no login
 * without channel binding.
 */
export type ChannelBindingPolicy = 'prefer' | 'require';

export interface SaslOutcome {
  mechanism: 'SCRAM-SHA-1' | 'SCRAM-SHA-1-PLUS';
  /** The GS2 channel-binding flag sent. */
  gs2Flag: 'n' | 'y' | 'p';
  channelBinding?: ChannelBindingType;
}

export interface ScramChoiceInput {
  offered: string[];
  /** What this connection can bind to; undefined without TLS (or below TLS 1.2). */
  binding: ChannelBinding | undefined;
  /** Types the server listed (XEP-0440); undefined when it did not say, which means tls-unique only (RFC 5802). */
  serverBindingTypes: string[] | undefined;
  policy: ChannelBindingPolicy;
}

/** Which SCRAM and which GS2 flag; a SaslError when the policy forbids every option. Pure. */
export function chooseScram({ offered, binding, serverBindingTypes, policy }: ScramChoiceInput): ScramChannelBinding {
  const plusOffered = offered.includes('SCRAM-SHA-1-PLUS');
  // A server that does not list its types predates XEP-0440 and binds tls-unique, even over TLS 1.3 where
  // that is undefined (ejabberd 23.01 does so): binding tls-exporter would fail its check.
  const serverTypes = serverBindingTypes ?? ['tls-unique'];
  const bindable = binding !== undefined && serverTypes.includes(binding.type);
  if (plusOffered && bindable) return { flag: 'p', binding };
  if (policy === 'require') {
    const why = !binding
      ? 'this connection has no TLS channel binding (no TLS, or older than 1.2)'
      : !plusOffered
        ? `the server does not offer SCRAM-SHA-1-PLUS over this connection (it offers ${offered.join(', ') || 'nothing'}; ${binding.type} was possible)`
        : `the server binds only ${serverTypes.join(', ')}${serverBindingTypes ? '' : ' (it lists no types: XEP-0440)'}, this connection has ${binding.type}`;
    throw new SaslError('channel-binding-required', why);
  }
  if (!offered.includes('SCRAM-SHA-1')) {
    throw new SaslError('no-common-mechanism', `the server offers ${offered.join(', ') || 'nothing'}; earshot speaks SCRAM-SHA-1(-PLUS)`);
  }
  // "y" only when we could bind and the server offered no -PLUS: a server that did offer it fails such a login as a downgrade.
  return binding && !plusOffered ? { flag: 'y' } : { flag: 'n' };
}

/** RFC 6120 §6.4.2: an empty payload is sent as "=". */
const encode = (text: string) => (text ? Buffer.from(text, 'utf8').toString('base64') : '=');
const decode = (element: Element) => {
  const text = element.getText().trim();
  return text === '=' ? '' : Buffer.from(text, 'base64').toString('utf8');
};

export function saslAuthentication(
  { streamFeatures }: { streamFeatures: StreamFeatures },
  credentials: SaslCredentials,
  policy: ChannelBindingPolicy,
  onAuthenticated: (outcome: SaslOutcome) => void,
): void {
  streamFeatures.use('mechanisms', NS_SASL, async ({ entity, stanza }, _next, mechanisms) => {
    const offered = mechanisms.getChildren('mechanism', NS_SASL).map((mechanism) => mechanism.getText().trim());
    const advertised = stanza.getChild('sasl-channel-binding', NS_SASL_CB);
    const binding = entity.socket instanceof TlsSocket ? entity.socket.channelBinding() : undefined;
    const choice = chooseScram({
      offered,
      binding,
      serverBindingTypes: advertised?.getChildren('channel-binding').map((type) => String(type.attrs.type)),
      policy,
    });
    const scram = new ScramSha1Client(credentials.username, credentials.password, undefined, choice);
    await scramExchange(entity, scram);
    onAuthenticated({ mechanism: scram.mechanism, gs2Flag: choice.flag, ...(choice.flag === 'p' && { channelBinding: choice.binding.type }) });
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
