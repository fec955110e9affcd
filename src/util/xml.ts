// XML elements for stanzas. ltx is the element model that xmpp.js is built on, so elements
// built here pass to and from the xmpp layer unchanged, while jingle/ stays free of @xmpp/*.
import { Element, parse } from 'ltx';

export { Element, parse as parseXml };

export type Attributes = Record<string, string | number | undefined>;

/** Builds an element; undefined attributes are left out, children may be elements or text. */
export function el(name: string, attrs: Attributes = {}, ...children: Array<Element | string | undefined>): Element {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) clean[key] = String(value);
  }
  const element = new Element(name, clean);
  for (const child of children) {
    if (child !== undefined) element.cnode(child);
  }
  return element;
}
