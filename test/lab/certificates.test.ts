import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { createLabCertificates, issueCertificate, type LabCertificates } from '../../src/lab/index.js';
import { sharedLab } from '../helpers/lab.js';

const now = new Date('2030-06-01T12:00:00Z');
const day = 24 * 60 * 60 * 1000;

describe('lab: certificates', () => {
  let certificates: LabCertificates;
  before(async () => {
    certificates = await createLabCertificates('lab.example', now);
  });

  it('makes a self-signed CA', () => {
    const ca = new X509Certificate(certificates.ca.certPem);
    assert.equal(ca.ca, true);
    assert.equal(ca.subject, ca.issuer);
    assert.match(ca.subject, /CN=earshot lab CA/);
    assert.equal(ca.verify(ca.publicKey), true);
    assert.equal(ca.checkIssued(ca), true);
  });

  it('signs a server certificate for the domain, 127.0.0.1 and ::1', () => {
    const ca = new X509Certificate(certificates.ca.certPem);
    const server = new X509Certificate(certificates.server.certPem);
    assert.equal(server.ca, false);
    assert.equal(server.verify(ca.publicKey), true);
    assert.equal(server.checkIssued(ca), true);
    assert.equal(server.issuer, ca.subject);
    assert.equal(server.subjectAltName, 'DNS:lab.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(server.checkHost('lab.example'), 'lab.example');
    assert.equal(server.checkHost('other.example'), undefined);
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']); // serverAuth
    assert.equal(new Date(server.validFrom).getTime(), now.getTime() - day);
    assert.equal(new Date(server.validTo).getTime(), now.getTime() + 365 * day);
  });

  it('exports an RSA 2048 private key matching the certificate', () => {
    const key = createPrivateKey(certificates.server.keyPem);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    const server = new X509Certificate(certificates.server.certPem);
    assert.equal(server.checkPrivateKey(key), true);
  });

  it('issues deliberately broken certificates too: expired, other names, another CA, ECDSA', async () => {
    const rogueCa = await issueCertificate({ commonName: 'rogue CA', isCa: true, keyAlgorithm: 'ecdsa-p256', notBefore: now, notAfter: new Date(now.getTime() + day) });
    const expired = await issueCertificate({
      commonName: 'wrong.example',
      dnsNames: ['wrong.example'],
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2020-02-01T00:00:00Z'),
      issuer: rogueCa,
      serialNumber: '0badc0de',
      keyAlgorithm: 'ecdsa-p256',
    });
    const cert = new X509Certificate(expired.certPem);
    assert.equal(cert.validTo, 'Feb  1 00:00:00 2020 GMT');
    assert.equal(cert.checkHost('lab.example'), undefined);
    assert.equal(cert.serialNumber.toLowerCase(), '0badc0de');
    assert.equal(cert.verify(new X509Certificate(rogueCa.certPem).publicKey), true);
    assert.equal(cert.verify(new X509Certificate(certificates.ca.certPem).publicKey), false);
    assert.equal(createPrivateKey(expired.keyPem).asymmetricKeyType, 'ec');
  });

  it('rejects an empty validity window and a malformed IP address', async () => {
    await assert.rejects(issueCertificate({ commonName: 'x', notBefore: now, notAfter: now }), /notBefore must be earlier/);
    await assert.rejects(
      issueCertificate({ commonName: 'x', ipAddresses: ['localhost'], notBefore: now, notAfter: new Date(now.getTime() + day) }),
      /"localhost" is not an IP address/,
    );
  });

  describe("against the running lab's direct TLS port", () => {
    const handshake = async (options: Omit<ConnectionOptions, 'host' | 'port'>): Promise<TLSSocket> => {
      const lab = await sharedLab();
      return new Promise((resolve, reject) => {
        const socket = connect({ host: lab.info.host, port: lab.info.ports.c2sDirectTls, ...options }, () => resolve(socket));
        socket.once('error', reject);
      });
    };

    it('verifies with the lab CA for the lab domain', async () => {
      const lab = await sharedLab();
      const socket = await handshake({ ca: lab.info.caPem, servername: lab.info.domain });
      assert.equal(socket.authorized, true);
      assert.match(socket.getPeerX509Certificate()?.subject ?? '', new RegExp(`CN=${lab.info.domain}`));
      socket.destroy();
    });

    it('verifies by IP address when no server name is sent', async () => {
      const lab = await sharedLab();
      const socket = await handshake({ ca: lab.info.caPem });
      assert.equal(socket.authorized, true);
      socket.destroy();
    });

    it('fails without the lab CA, and for a name the lab does not serve', async () => {
      const lab = await sharedLab();
      await assert.rejects(handshake({ servername: lab.info.domain }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      await assert.rejects(handshake({ ca: lab.info.caPem, servername: 'not-the-lab.example' }), { code: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME' });
    });
  });
});
