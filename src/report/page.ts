// The opening of earshot's self-contained HTML pages: head with inline style, title, and the facts of the run.
import { escapeMarkup } from './escape.js';

/** Lines up to and including the h1 and the facts list; the page goes on with its own body and closes it. */
export function pageOpening(title: string, style: string, facts: ReadonlyArray<readonly [string, string]> = []): string[] {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeMarkup(title)}</title>`,
    `<style>${style}</style>`,
    '</head><body>',
    `<h1>${escapeMarkup(title)}</h1>`,
    facts.length > 0 ? `<dl>${facts.map(([label, value]) => `<dt>${escapeMarkup(label)}</dt><dd>${escapeMarkup(value)}</dd>`).join('')}</dl>` : '',
  ];
}
