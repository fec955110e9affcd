// Certificate revocation lists (RFC 5280 §5), client side: the verdict of a CRL fetched from a
// certificate's distribution point.
import 'reflect-metadata'; // @peculiar/x509 2.x needs a Reflect polyfill loaded before it
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** How far the CRL issuer's clock may be from ours. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export type CrlVerdict = { status: 'good' } | { status: 'revoked'; revokedAt: Date } | { status: 'unavailable'; detail: string };

/** Good or revoked only when the CRL is the issuer's, signed by it, and current at `now`. */
export async function crlVerdict(crlDer: Uint8Array<ArrayBuffer>, certificate: x509.X509Certificate, issuer: x509.X509Certificate, now: Date): Promise<CrlVerdict> {
  const unavailable = (detail: string): CrlVerdict => ({ status: 'unavailable', detail });
  let crl: x509.X509Crl;
  try {
    crl = new x509.X509Crl(crlDer);
  } catch (error) {
    return unavailable(`malformed CRL: ${(error as Error).message}`);
  }
  if (crl.issuer !== certificate.issuer) return unavailable(`the CRL is issued by "${crl.issuer}", not by the certificate's issuer "${certificate.issuer}"`);
  let signed = false;
  try {
    signed = await crl.verify({ publicKey: issuer });
  } catch {
    // an unusable key or algorithm is a wrong signature too
  }
  if (!signed) return unavailable('the CRL signature is wrong');
  if (crl.thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS) return unavailable(`the CRL is from the future (${crl.thisUpdate.toISOString()})`);
  if (crl.nextUpdate && crl.nextUpdate.getTime() < now.getTime() - CLOCK_SKEW_MS) return unavailable(`the CRL is stale (next update was ${crl.nextUpdate.toISOString()})`);
  const entry = crl.findRevoked(certificate);
  return entry ? { status: 'revoked', revokedAt: entry.revocationDate } : { status: 'good' };
}
