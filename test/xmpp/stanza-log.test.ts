import assert from 'node:assert/strict';
import { redact } from '../../src/util/log.js';
import { parseXml } from '../../src/util/xml.js';
import { stanzaLogText } from '../../src/xmpp/stanza-log.js';

describe('xmpp/stanza-log', () => {
  it('masks SASL payloads', () => {
    const auth = parseXml('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">biwsbj11c2VyLHI9Znlrbw==</auth>');
    assert.equal(stanzaLogText(auth), '<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">***</auth>');
    const success = parseXml('<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl">dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9</success>');
    assert.equal(stanzaLogText(success), '<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl">***</success>');
  });

  it('keeps other elements and scrubs redacted secrets from them', () => {
    redact('hunter2-secret');
    const message = parseXml('<message to="a@x"><body>my password is hunter2-secret</body></message>');
    assert.equal(stanzaLogText(message), '<message to="a@x"><body>my password is ***</body></message>');
  });
});
