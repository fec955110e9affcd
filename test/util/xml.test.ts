import assert from 'node:assert/strict';
import { el, parseXml } from '../../src/util/index.js';

describe('util/xml', () => {
  it('builds elements, leaving out undefined attributes', () => {
    const element = el('candidate', { port: 5000, generation: undefined }, el('x'), 'text');
    assert.equal(element.toString(), '<candidate port="5000"><x/>text</candidate>');
  });

  it('parses what it serializes', () => {
    const xml = '<iq type="set" id="a1"><jingle xmlns="urn:xmpp:jingle:1" action="session-terminate"/></iq>';
    assert.equal(parseXml(xml).toString(), xml);
  });
});
