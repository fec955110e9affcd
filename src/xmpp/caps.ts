// XEP-0115 Entity Capabilities 1.6, §5: the verification string for identities and features
// (no extended service discovery forms).
import { createHash } from 'node:crypto';
import { el, type Element } from '../util/xml.js';
import type { DiscoIdentity } from './disco.js';

export const NS_CAPS = 'http://jabber.org/protocol/caps';
/** The node earshot announces in its caps; disco#info queries for `${CAPS_NODE}#${ver}` are answered. */
export const CAPS_NODE = 'https://earshot.dev';

/** "i;octet" collation (RFC 4790): compare the UTF-8 bytes. */
const octetOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function capsVerification(identities: readonly DiscoIdentity[], features: readonly string[]): string {
  const identityLines = identities
    .map((identity) => `${identity.category}/${identity.type}/${identity.lang ?? ''}/${identity.name ?? ''}`)
    .sort(octetOrder);
  const featureLines = [...new Set(features)].sort(octetOrder);
  const input = [...identityLines, ...featureLines].map((line) => `${line}<`).join('');
  return createHash('sha1').update(input, 'utf8').digest('base64');
}

/** The <c/> element for presence. */
export function capsElement(ver: string, node: string = CAPS_NODE): Element {
  return el('c', { xmlns: NS_CAPS, hash: 'sha-1', node, ver });
}
