import assert from 'node:assert/strict';
import { parseXml } from '../../src/util/index.js';
import { JingleError, parseJmi, proposeReceiptId, receiptFor, serializeJmi, type JmiMessage } from '../../src/jingle/index.js';
import { canonical } from './helpers.js';

const JMI = 'xmlns="urn:xmpp:jingle-message:0"';

describe('jingle/jmi (XEP-0353)', () => {
  it('serializes a propose as Conversations sends it: chat message, rtp description, store hint, receipt request', () => {
    const message = serializeJmi({ kind: 'propose', id: 'Qm9vRkFfN3hJbVpx', media: ['audio'], to: 'juliet@capulet.example' });
    assert.equal(
      canonical(message),
      canonical(
        parseXml(
          `<message type="chat" to="juliet@capulet.example" id="jm-propose-Qm9vRkFfN3hJbVpx">` +
            `<propose ${JMI} id="Qm9vRkFfN3hJbVpx"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"/></propose>` +
            `<store xmlns="urn:xmpp:hints"/><request xmlns="urn:xmpp:receipts"/></message>`,
        ),
      ),
    );
  });

  it('answers a receipt request (XEP-0184) to the sender, and reads a receipt for our propose back to its JMI id', () => {
    const propose = parseXml(
      `<message from="romeo@montague.example/phone" to="juliet@capulet.example" type="chat" id="jm-propose-Xk3pQ9">` +
        `<propose ${JMI} id="Xk3pQ9"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"/></propose>` +
        `<request xmlns="urn:xmpp:receipts"/></message>`,
    );
    assert.equal(
      receiptFor(propose)?.toString(),
      '<message to="romeo@montague.example/phone" id="receipt-jm-propose-Xk3pQ9"><received xmlns="urn:xmpp:receipts" id="jm-propose-Xk3pQ9"/></message>',
    );
    assert.equal(receiptFor(parseXml(`<message from="romeo@montague.example/phone" id="m1"><propose ${JMI} id="a"/></message>`)), undefined);
    const receipt = parseXml('<message from="juliet@capulet.example/tablet" to="romeo@montague.example/earshot"><received xmlns="urn:xmpp:receipts" id="jm-propose-Xk3pQ9"/></message>');
    assert.equal(proposeReceiptId(receipt), 'Xk3pQ9');
    assert.equal(proposeReceiptId(parseXml('<message><received xmlns="urn:xmpp:receipts" id="chat-17"/></message>')), undefined);
    assert.equal(proposeReceiptId(parseXml('<message><body>hi</body></message>')), undefined);
  });

  it('proceed and ringing carry no store hint; reject, retract and finish carry their reason', () => {
    const proceed = serializeJmi({ kind: 'proceed', id: 's1', to: 'romeo@montague.example/phone', from: 'juliet@capulet.example/earshot' });
    assert.equal(
      proceed.toString(),
      `<message type="chat" to="romeo@montague.example/phone" from="juliet@capulet.example/earshot" id="jm-proceed-s1"><proceed ${JMI} id="s1"/></message>`,
    );
    assert.equal(serializeJmi({ kind: 'ringing', id: 's1', to: 'r@x/y' }).getChild('store', 'urn:xmpp:hints'), undefined);
    const finish = serializeJmi({ kind: 'finish', id: 's1', to: 'r@x/y', reason: { condition: 'success', text: 'bye' } });
    assert.equal(
      finish.toString(),
      `<message type="chat" to="r@x/y" id="jm-finish-s1"><finish ${JMI} id="s1"><reason xmlns="urn:xmpp:jingle:1"><success/><text>bye</text></reason></finish><store xmlns="urn:xmpp:hints"/></message>`,
    );
    assert.ok(serializeJmi({ kind: 'retract', id: 's1', to: 'r@x' }).getChild('store', 'urn:xmpp:hints'));
    assert.equal(serializeJmi({ kind: 'reject', id: 's1', to: 'r@x/y' }).getChild('store', 'urn:xmpp:hints'), undefined);
  });

  it('parses every kind back', () => {
    const messages: JmiMessage[] = [
      { kind: 'propose', id: 'a', media: ['audio', 'video'] },
      { kind: 'ringing', id: 'a' },
      { kind: 'proceed', id: 'a' },
      { kind: 'reject', id: 'a', reason: { condition: 'busy' } },
      { kind: 'retract', id: 'a', reason: { condition: 'cancel', text: 'hung up' } },
      { kind: 'finish', id: 'a', reason: { condition: 'success' } },
      { kind: 'reject', id: 'a' },
    ];
    for (const msg of messages) {
      assert.deepEqual(parseJmi(serializeJmi({ ...msg, to: 'x@y' })), msg);
    }
  });

  it('parses a Dino reject with a reason, ignoring other payloads of the message', () => {
    const message = parseXml(
      `<message from="juliet@capulet.example/dino" to="romeo@montague.example/earshot" type="chat" id="x">` +
        `<reject ${JMI} id="s9"><reason xmlns="urn:xmpp:jingle:1"><decline/></reason></reject>` +
        `<store xmlns="urn:xmpp:hints"/><request xmlns="urn:xmpp:receipts"/></message>`,
    );
    assert.deepEqual(parseJmi(message), { kind: 'reject', id: 's9', reason: { condition: 'decline' } });
  });

  it('a message without JMI gives undefined', () => {
    assert.equal(parseJmi(parseXml('<message type="chat"><body>hi</body></message>')), undefined);
    assert.equal(parseJmi(parseXml('<message><propose xmlns="urn:xmpp:other" id="a"/></message>')), undefined);
  });

  it('malformed JMI gives a bad-request JingleError', () => {
    const bad = (xml: string) => assert.throws(() => parseJmi(parseXml(xml)), (e: unknown) => e instanceof JingleError && e.condition === 'bad-request');
    bad(`<message><proceed ${JMI}/></message>`);
    bad(`<message><propose ${JMI} id="a"/></message>`);
    bad(`<message><propose ${JMI} id="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="text"/></propose></message>`);
    bad(`<message><finish ${JMI} id="a"><reason xmlns="urn:xmpp:jingle:1"><nope/></reason></finish></message>`);
  });
});
