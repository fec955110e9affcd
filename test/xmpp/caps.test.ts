import assert from 'node:assert/strict';
import { capsElement, capsVerification } from '../../src/xmpp/caps.js';

describe('xmpp/caps', () => {
  it('computes the verification string of XEP-0115 §5.2 (simple generation example)', () => {
    const ver = capsVerification(
      [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
      [
        'http://jabber.org/protocol/disco#info',
        'http://jabber.org/protocol/disco#items',
        'http://jabber.org/protocol/muc',
        'http://jabber.org/protocol/caps',
      ],
    );
    assert.equal(ver, 'QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('does not depend on the order of features or identities', () => {
    const identities = [
      { category: 'client', type: 'pc', name: 'Psi 0.11', lang: 'en' },
      { category: 'client', type: 'pc', name: 'Ψ 0.11', lang: 'el' },
    ];
    const features = ['urn:xmpp:ping', 'http://jabber.org/protocol/disco#info', 'urn:xmpp:jingle:1'];
    assert.equal(capsVerification(identities, features), capsVerification([...identities].reverse(), [...features].reverse()));
    assert.notEqual(capsVerification(identities, features), capsVerification(identities, features.slice(1)));
  });

  it('builds the <c/> element announced in presence', () => {
    assert.equal(
      capsElement('QgayPKawpkPSDYmwT/WM94uAlu0=').toString(),
      '<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="https://earshot.dev" ver="QgayPKawpkPSDYmwT/WM94uAlu0="/>',
    );
  });
});
