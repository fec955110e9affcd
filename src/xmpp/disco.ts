// XEP-0030 Service Discovery 2.5: disco#info queries and results as typed objects.
import { el, type Element } from '../util/xml.js';

export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
  lang?: string;
}

export interface DiscoInfo {
  identities: DiscoIdentity[];
  features: string[];
}

export function discoInfoQuery(node?: string): Element {
  return el('query', { xmlns: NS_DISCO_INFO, node });
}

export function discoInfoResult(info: DiscoInfo, node?: string): Element {
  return el(
    'query',
    { xmlns: NS_DISCO_INFO, node },
    ...info.identities.map((identity) =>
      el('identity', { category: identity.category, type: identity.type, name: identity.name, 'xml:lang': identity.lang }),
    ),
    ...info.features.map((feature) => el('feature', { var: feature })),
  );
}

/** Reads a disco#info <query/>; identities without category or type and features without var are left out. */
export function parseDiscoInfo(query: Element): DiscoInfo {
  const identities: DiscoIdentity[] = [];
  for (const identity of query.getChildren('identity')) {
    const { category, type, name } = identity.attrs;
    const lang = identity.attrs['xml:lang'];
    if (!category || !type) continue;
    identities.push({ category, type, ...(name !== undefined && { name }), ...(lang !== undefined && { lang }) });
  }
  const features = query
    .getChildren('feature')
    .map((feature) => feature.attrs.var)
    .filter((feature): feature is string => Boolean(feature));
  return { identities, features };
}
