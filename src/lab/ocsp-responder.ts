/**
 * The lab CA's OCSP responder (RFC 6960), the pure part: a DER request in, a DER response out,
 * signed by the CA itself. Serials listed as revoked are "revoked", other serials of this CA
 * "good", certificates of any other issuer "unknown".
 */
import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { IssuedCertificate, RevokedSerial } from './certificates.js';

pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));

/** How long a response is good for: clients may cache it this long. */
const VALIDITY_MS = 60 * 60 * 1000;
const MALFORMED_REQUEST = 1;

export async function answerOcspRequest(requestDer: Uint8Array<ArrayBuffer>, issuer: IssuedCertificate, revoked: RevokedSerial[], now: Date): Promise<Uint8Array<ArrayBuffer>> {
  let request: pkijs.OCSPRequest;
  try {
    request = pkijs.OCSPRequest.fromBER(requestDer);
  } catch {
    return statusOnly(MALFORMED_REQUEST);
  }
  const issuerCertificate = pkijs.Certificate.fromBER(new Uint8Array(issuer.certificate.rawData));
  const basic = new pkijs.BasicOCSPResponse();
  basic.tbsResponseData.responderID = issuerCertificate.subject;
  basic.tbsResponseData.producedAt = now;
  for (const { reqCert } of request.tbsRequest.requestList) {
    basic.tbsResponseData.responses.push(
      new pkijs.SingleResponse({
        certID: reqCert,
        certStatus: certificateStatus(reqCert, issuerCertificate, revoked),
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + VALIDITY_MS),
      }),
    );
  }
  await basic.sign(issuer.keys.privateKey, 'SHA-256');
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({
      responseType: pkijs.id_PKIX_OCSP_Basic,
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
    }),
  });
  return new Uint8Array(response.toSchema().toBER(false));
}

/** CertStatus ::= CHOICE { good [0] NULL, revoked [1] RevokedInfo, unknown [2] UnknownInfo }, all implicit. */
function certificateStatus(certId: pkijs.CertID, issuer: pkijs.Certificate, revoked: RevokedSerial[]): asn1js.BaseBlock {
  if (!isIssuedBy(certId, issuer)) return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  const serial = normalSerial(Buffer.from(certId.serialNumber.valueBlock.valueHexView).toString('hex'));
  const entry = revoked.find((candidate) => normalSerial(candidate.serialNumber) === serial);
  if (!entry) return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [new asn1js.GeneralizedTime({ valueDate: entry.revokedAt })] });
}

/** The CertID's issuer hashes are those of this CA's name and key. */
function isIssuedBy(certId: pkijs.CertID, issuer: pkijs.Certificate): boolean {
  const algorithm = pkijs.getAlgorithmByOID(certId.hashAlgorithm.algorithmId, true, 'hashAlgorithm').name.replace('-', '').toLowerCase();
  const digest = (data: ArrayBuffer | Uint8Array) => createHash(algorithm).update(new Uint8Array(data)).digest('hex');
  const nameHash = digest(issuer.subject.toSchema().toBER(false));
  const keyHash = digest(issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  const hex = (octets: asn1js.OctetString) => Buffer.from(octets.valueBlock.valueHexView).toString('hex');
  return hex(certId.issuerNameHash) === nameHash && hex(certId.issuerKeyHash) === keyHash;
}

function normalSerial(hex: string): string {
  return hex.toLowerCase().replace(/^(00)+(?=.)/, '');
}

function statusOnly(status: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) }).toSchema().toBER(false));
}
