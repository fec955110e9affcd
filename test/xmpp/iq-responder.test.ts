import assert from 'node:assert/strict';
import { el, parseXml } from '../../src/util/xml.js';
import { IqResponder } from '../../src/xmpp/iq-responder.js';
import { StanzaError } from '../../src/xmpp/stanza-error.js';

const request = (xml: string) => parseXml(xml);

describe('xmpp/iq-responder', () => {
  const failures: unknown[] = [];
  const responder = new IqResponder((error) => failures.push(error));
  responder.handle('get', 'ping', 'urn:xmpp:ping', () => undefined);
  responder.handle('get', 'time', 'urn:xmpp:time', () => el('time', { xmlns: 'urn:xmpp:time' }, el('utc', {}, '2025-01-01T00:00:00Z')));
  responder.handle('set', 'jingle', 'urn:xmpp:jingle:1', () => {
    throw new StanzaError('item-not-found', { application: el('unknown-session', { xmlns: 'urn:xmpp:jingle:errors:1' }) });
  });
  responder.handle('set', 'query', 'urn:example:buggy', () => {
    throw new TypeError('bug');
  });

  it('answers a handled get with an empty result or the returned child', async () => {
    const ping = await responder.respond(request('<iq type="get" id="p1" from="a@x/r"><ping xmlns="urn:xmpp:ping"/></iq>'));
    assert.equal(ping.toString(), '<iq type="result" id="p1" to="a@x/r"/>');
    const time = await responder.respond(request('<iq type="get" id="t1" from="a@x/r"><time xmlns="urn:xmpp:time"/></iq>'));
    assert.equal(time.toString(), '<iq type="result" id="t1" to="a@x/r"><time xmlns="urn:xmpp:time"><utc>2025-01-01T00:00:00Z</utc></time></iq>');
  });

  it('answers an unhandled request with service-unavailable', async () => {
    const reply = await responder.respond(request('<iq type="set" id="u1" from="a@x/r"><ping xmlns="urn:xmpp:ping"/></iq>'));
    assert.equal(
      reply.toString(),
      '<iq type="error" id="u1" to="a@x/r"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>',
    );
  });

  it('answers a request without exactly one child with bad-request', async () => {
    for (const xml of ['<iq type="get" id="b1"/>', '<iq type="get" id="b1"><a xmlns="x"/><b xmlns="x"/></iq>']) {
      const reply = await responder.respond(request(xml));
      assert.equal(StanzaError.fromStanza(reply).condition, 'bad-request');
    }
  });

  it('replies with the StanzaError a handler throws, application condition included', async () => {
    const reply = await responder.respond(request('<iq type="set" id="j1" from="a@x/r"><jingle xmlns="urn:xmpp:jingle:1"/></iq>'));
    assert.equal(
      reply.toString(),
      '<iq type="error" id="j1" to="a@x/r"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<unknown-session xmlns="urn:xmpp:jingle:errors:1"/></error></iq>',
    );
    const error = StanzaError.fromStanza(reply);
    assert.equal(error.condition, 'item-not-found');
    assert.equal(error.application?.name, 'unknown-session');
  });

  it('answers internal-server-error when a handler fails unexpectedly, and reports the failure', async () => {
    const reply = await responder.respond(request('<iq type="set" id="x1" from="a@x/r"><query xmlns="urn:example:buggy"/></iq>'));
    assert.equal(StanzaError.fromStanza(reply).condition, 'internal-server-error');
    assert.equal((failures[0] as Error).message, 'bug');
  });

  it('refuses a second handler for the same request', () => {
    assert.throws(() => responder.handle('get', 'ping', 'urn:xmpp:ping', () => undefined), /already registered/);
  });
});

describe('xmpp/stanza-error', () => {
  it('reads type, condition and text from an error stanza and writes them back', () => {
    const stanza = parseXml(
      '<iq type="error" id="1"><error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">busy</text></error></iq>',
    );
    const error = StanzaError.fromStanza(stanza);
    assert.deepEqual([error.type, error.condition, error.text], ['wait', 'resource-constraint', 'busy']);
    assert.equal(error.toElement().toString(), stanza.getChild('error')!.toString());
  });

  it('gives each condition its RFC 6120 type by default', () => {
    assert.equal(new StanzaError('not-authorized').type, 'auth');
    assert.equal(new StanzaError('bad-request').type, 'modify');
    assert.equal(new StanzaError('service-unavailable').type, 'cancel');
  });
});
