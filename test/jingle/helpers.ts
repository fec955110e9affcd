// Test helpers for the Jingle layer: golden fixtures and XML canonicalization.
import { readFileSync } from 'node:fs';
import { parseXml, type Element } from '../../src/util/index.js';

// Tests run from dist/test/jingle/; the fixtures stay in the source tree.
const fixtures = new URL('../../../test/jingle/fixtures/', import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, fixtures), 'utf8');
}

export function fixtureXml(name: string): Element {
  return parseXml(fixtureText(name));
}

/**
 * Namespace-resolved form of an element: `{ns}name` with sorted attributes, whitespace-only text dropped.
 * Two elements that differ only in where xmlns is declared or in indentation canonicalize equal.
 */
export function canonical(element: Element): string {
  const attrs = Object.entries(element.attrs)
    .filter(([key]) => key !== 'xmlns' && !key.startsWith('xmlns:'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ` ${key}="${value}"`)
    .join('');
  const children = element.children
    .map((child) => (typeof child === 'string' ? child.trim() : canonical(child)))
    .filter((child) => child !== '')
    .join('');
  return `<{${element.getNS() ?? ''}}${element.name}${attrs}>${children}</>`;
}

/** Removes children that earshot does not model (they are ignored on input), for round-trip comparisons. */
export function withoutChild(element: Element, name: string, ns: string): Element {
  const copy = parseXml(element.toString());
  const strip = (node: Element) => {
    node.children = node.children.filter((child) => typeof child === 'string' || !child.is(name, ns));
    for (const child of node.getChildElements()) strip(child);
  };
  strip(copy);
  return copy;
}
