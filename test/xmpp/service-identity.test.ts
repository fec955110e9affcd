import assert from 'node:assert/strict';
import { issueCertificate, type CertificateOptions } from '../../src/lab/certificates.js';
import { presentedIdentifiers, serviceIdentityMismatch } from '../../src/xmpp/service-identity.js';

const validity = { notBefore: new Date('2030-01-01T00:00:00Z'), notAfter: new Date('2031-01-01T00:00:00Z'), keyAlgorithm: 'ecdsa-p256' as const };

async function identifiersOf(options: Partial<CertificateOptions>) {
  const certificate = await issueCertificate({ commonName: 'cn.example', ...validity, ...options });
  return presentedIdentifiers(new Uint8Array(certificate.certificate.rawData));
}

describe('xmpp/service-identity (RFC 6125 for XMPP clients)', () => {
  it('reads DNS-IDs, SRV-IDs and XmppAddrs from the subjectAltName, and the CN', async () => {
    const identifiers = await identifiersOf({ dnsNames: ['xmpp.example.org'], srvIds: ['_xmpp-client.example.org'], xmppAddrs: ['example.org'] });
    assert.deepEqual(identifiers, {
      dnsIds: ['xmpp.example.org'],
      srvIds: ['_xmpp-client.example.org'],
      xmppAddrs: ['example.org'],
      uriIds: [],
      commonNames: ['cn.example'],
    });
  });

  it('accepts the domain as DNS-ID (wildcard for one left-most label only), SRV-ID or XmppAddr', async () => {
    assert.equal(serviceIdentityMismatch(await identifiersOf({ dnsNames: ['Example.ORG'] }), 'example.org'), undefined);
    const wildcard = await identifiersOf({ dnsNames: ['*.example.org'] });
    assert.equal(serviceIdentityMismatch(wildcard, 'chat.example.org'), undefined);
    assert.ok(serviceIdentityMismatch(wildcard, 'example.org'));
    assert.ok(serviceIdentityMismatch(wildcard, 'a.chat.example.org'));
    assert.equal(serviceIdentityMismatch(await identifiersOf({ srvIds: ['_xmpp-client.example.org'] }), 'example.org'), undefined);
    assert.ok(serviceIdentityMismatch(await identifiersOf({ srvIds: ['_xmpp-server.example.org'] }), 'example.org'), 'a server-to-server SRV-ID is not the client service');
    assert.equal(serviceIdentityMismatch(await identifiersOf({ xmppAddrs: ['example.org'] }), 'example.org'), undefined);
  });

  it('falls back to the CN only when the certificate has no subjectAltName identifiers', async () => {
    assert.equal(serviceIdentityMismatch(await identifiersOf({ commonName: 'example.org' }), 'example.org'), undefined);
    assert.equal(
      serviceIdentityMismatch(await identifiersOf({ commonName: 'example.org', dnsNames: ['elsewhere.example'] }), 'example.org'),
      'the certificate names DNS:elsewhere.example (CN example.org ignored: the certificate has subjectAltNames), ' +
        'not example.org, _xmpp-client.example.org or xmppAddr example.org',
    );
  });
});
