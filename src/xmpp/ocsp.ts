// OCSP (RFC 6960), client side: the request for one certificate, and the verdict of a response,
// whether stapled in the TLS handshake (RFC 6066 §8) or fetched from the certificate's AIA responder.
import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));

/** How far a responder's clock may be from ours. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export type OcspVerdict = { status: 'good' } | { status: 'revoked'; revokedAt?: Date } | { status: 'unavailable'; detail: string };

export function parseCertificate(der: Uint8Array<ArrayBuffer>): pkijs.Certificate {
  return pkijs.Certificate.fromBER(der);
}

/** DER of an OCSP request for `certificate` (CertID hashed with SHA-1, as every responder understands). */
export async function ocspRequest(certificate: pkijs.Certificate, issuer: pkijs.Certificate): Promise<Uint8Array<ArrayBuffer>> {
  const request = new pkijs.OCSPRequest();
  await request.createForCertificate(certificate, { hashAlgorithm: 'SHA-1', issuerCertificate: issuer });
  return new Uint8Array(request.toSchema(true).toBER(false));
}

/**
 * What a DER OCSP response says about `certificate`: good or revoked only when the response is
 * signed by the issuer (or a responder it delegated to), names the certificate, and is current at `now`.
 */
export async function ocspVerdict(responseDer: Uint8Array<ArrayBuffer>, certificate: pkijs.Certificate, issuer: pkijs.Certificate, now: Date): Promise<OcspVerdict> {
  const unavailable = (detail: string): OcspVerdict => ({ status: 'unavailable', detail });
  let basic: pkijs.BasicOCSPResponse;
  try {
    const response = pkijs.OCSPResponse.fromBER(responseDer);
    const status = response.responseStatus.valueBlock.valueDec;
    if (status !== 0) return unavailable(`responder answered status ${status} (${responseStatusNames[status] ?? 'unknown'})`);
    if (!response.responseBytes || response.responseBytes.responseType !== pkijs.id_PKIX_OCSP_Basic) return unavailable('response is not a basic OCSP response');
    basic = pkijs.BasicOCSPResponse.fromBER(response.responseBytes.response.valueBlock.valueHexView.slice());
  } catch (error) {
    return unavailable(`malformed OCSP response: ${(error as Error).message}`);
  }
  // A CA that answers for itself need not attach its certificate, but pkijs looks for the signer among the attached ones.
  if (!basic.certs?.length) basic.certs = [issuer];
  try {
    if (!(await basic.verify({ trustedCerts: [issuer], issuerCerts: [issuer] }))) return unavailable('OCSP response signature is wrong');
  } catch (error) {
    return unavailable(`OCSP response not signed by the issuer or its delegate: ${(error as Error).message}`);
  }
  for (const single of basic.tbsResponseData.responses) {
    if (!single.certID.isEqual(await certIdFor(certificate, issuer, single.certID))) continue;
    if (single.thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS) return unavailable(`OCSP response is from the future (${single.thisUpdate.toISOString()})`);
    if (single.nextUpdate && single.nextUpdate.getTime() < now.getTime() - CLOCK_SKEW_MS) {
      return unavailable(`OCSP response is stale (next update was ${single.nextUpdate.toISOString()})`);
    }
    const status = single.certStatus as asn1js.BaseBlock;
    switch (status.idBlock.tagNumber) {
      case 0:
        return { status: 'good' };
      case 1:
        return { status: 'revoked', revokedAt: revocationTime(status) };
      default:
        return unavailable('the responder does not know this certificate');
    }
  }
  return unavailable('the OCSP response does not name this certificate');
}

const responseStatusNames: Record<number, string> = {
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

/** The CertID of `certificate` with the hash algorithm the responder chose. */
async function certIdFor(certificate: pkijs.Certificate, issuer: pkijs.Certificate, theirs: pkijs.CertID): Promise<pkijs.CertID> {
  const hashAlgorithm = pkijs.getAlgorithmByOID(theirs.hashAlgorithm.algorithmId, true, 'hashAlgorithm');
  const ours = new pkijs.CertID();
  await ours.createForCertificate(certificate, { hashAlgorithm: hashAlgorithm.name, issuerCertificate: issuer });
  return ours;
}

/** RevokedInfo's revocationTime, the GeneralizedTime inside the [1] status. */
function revocationTime(status: asn1js.BaseBlock): Date | undefined {
  const inner = (status as asn1js.Constructed).valueBlock?.value?.[0];
  return inner instanceof asn1js.GeneralizedTime ? inner.toDate() : undefined;
}
