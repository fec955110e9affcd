import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:tls';
import { issueCertificate, type IssuedCertificate } from '../../src/lab/certificates.js';
import { answerOcspRequest } from '../../src/lab/ocsp-responder.js';
import { startRevocationServer, type RevocationServer } from '../../src/lab/revocation-server.js';
import { ocspRequest, parseCertificate } from '../../src/xmpp/ocsp.js';
import { checkRevocation } from '../../src/xmpp/revocation.js';
import { TlsError, TlsSocket } from '../../src/xmpp/tls-policy.js';

// Certificates are valid a day either side of loading; checks and answers use the time they run at (the suite
// may reach this file minutes after loading it).
const now = new Date();
const validity = { notBefore: new Date(now.getTime() - 86_400_000), notAfter: new Date(now.getTime() + 86_400_000), keyAlgorithm: 'ecdsa-p256' as const };
const der = (certificate: IssuedCertificate) => new Uint8Array(certificate.certificate.rawData);

describe('xmpp/revocation: CRL, OCSP queried and OCSP stapled', () => {
  let ca: IssuedCertificate;
  let responder: RevocationServer;
  let revoked: IssuedCertificate;
  let good: IssuedCertificate;

  before(async () => {
    ca = await issueCertificate({ commonName: 'revocation test CA', isCa: true, ...validity });
    responder = await startRevocationServer(ca);
    const urls = { crlUrls: [responder.crlUrl], ocspUrls: [responder.ocspUrl] };
    [revoked, good] = await Promise.all([
      issueCertificate({ commonName: 'revoked.test', dnsNames: ['revoked.test'], issuer: ca, ...validity, ...urls }),
      issueCertificate({ commonName: 'good.test', dnsNames: ['good.test'], issuer: ca, ...validity, ...urls }),
    ]);
    responder.revoke(revoked.serialNumber, new Date(now.getTime() - 60_000));
  });

  after(() => responder.close());

  it('finds a revoked certificate by its CRL and by its OCSP responder, and a good one good by both', async () => {
    const report = await checkRevocation({ certificateDer: der(revoked), issuerDer: der(ca), policy: 'soft-fail', now: new Date() });
    assert.equal(report.status, 'revoked');
    assert.deepEqual(report.checks.map((check) => [check.method, check.source, check.outcome]), [
      ['crl', responder.crlUrl, 'revoked'],
      ['ocsp', responder.ocspUrl, 'revoked'],
    ]);
    const fine = await checkRevocation({ certificateDer: der(good), issuerDer: der(ca), policy: 'soft-fail', now: new Date() });
    assert.deepEqual([fine.status, ...fine.checks.map((check) => check.outcome)], ['good', 'good', 'good']);
  });

  it('does not believe answers about another CA\'s certificate', async () => {
    const otherCa = await issueCertificate({ commonName: 'revocation test CA', isCa: true, ...validity });
    const report = await checkRevocation({ certificateDer: der(revoked), issuerDer: der(otherCa), policy: 'soft-fail', now: new Date() });
    assert.equal(report.status, 'unknown');
    assert.match(report.checks[0]!.detail!, /CRL signature is wrong/);
    assert.match(report.checks[1]!.detail!, /OCSP response/);
  });

  it('says "unknown" when the responders cannot be reached, without waiting long', async () => {
    const unreachable = await issueCertificate({
      commonName: 'x.test',
      issuer: ca,
      ...validity,
      crlUrls: ['http://127.0.0.1:9/ca.crl'],
      ocspUrls: ['http://127.0.0.1:9/ocsp'],
    });
    const startedAt = Date.now();
    const report = await checkRevocation({ certificateDer: der(unreachable), issuerDer: der(ca), policy: 'hard-fail', now: new Date(), timeoutMs: 1000 });
    assert.equal(report.status, 'unknown');
    assert.ok(report.checks.every((check) => check.outcome === 'unavailable' && /cannot reach/.test(check.detail ?? '')));
    assert.ok(Date.now() - startedAt < 1500);
  });

  describe('a stapled OCSP response', () => {
    const servers: Server[] = [];
    after(() => servers.forEach((server) => server.close()));

    /** A TLS server for `name` that staples the CA's answer about its certificate (which names no responder). */
    async function staplingServer(name: string, revokedToo: boolean): Promise<number> {
      const leaf = await issueCertificate({ commonName: name, dnsNames: [name], issuer: ca, ...validity });
      const request = await ocspRequest(parseCertificate(der(leaf)), parseCertificate(der(ca)));
      const staple = await answerOcspRequest(request, ca, revokedToo ? [{ serialNumber: leaf.serialNumber, revokedAt: now }] : [], new Date());
      const server = createServer({ cert: leaf.certPem, key: leaf.keyPem });
      server.on('OCSPRequest', (_certificate: Buffer, _issuer: Buffer, callback: (error: Error | null, response: Buffer) => void) =>
        callback(null, Buffer.from(staple)),
      );
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return (server.address() as { port: number }).port;
    }

    async function connect(name: string, port: number): Promise<TlsSocket> {
      const socket = new TlsSocket();
      const connected = once(socket, 'connect');
      socket.connect({ host: '127.0.0.1', port }, { domain: name, ca: ca.certPem });
      await connected;
      return socket;
    }

    it('refuses a certificate the server itself staples as revoked', async () => {
      const port = await staplingServer('stapled-revoked.test', true);
      await assert.rejects(connect('stapled-revoked.test', port), (error: Error) => {
        assert.ok(error instanceof TlsError);
        assert.equal(error.reason, 'revoked');
        assert.match(error.message, /\[ocsp-stapled stapled: revoked/);
        return true;
      });
    });

    it('accepts a good staple without asking anyone', async () => {
      const socket = await connect('stapled-good.test', await staplingServer('stapled-good.test', false));
      assert.deepEqual(socket.details?.revocation.checks, [{ method: 'ocsp-stapled', source: 'stapled', outcome: 'good' }]);
      socket.destroy();
    });
  });
});
