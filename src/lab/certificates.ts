/**
 * X.509 certificates for the lab: a private CA and server certificates it signs.
 * `issueCertificate` is deliberately general (any names, any validity window, any issuer) so
 * that broken certificates (expired, wrong name, untrusted issuer, revoked) come from the same code.
 * Times are passed in; nothing here reads the clock.
 */
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as asn1js from 'asn1js';
import 'reflect-metadata'; // @peculiar/x509 2.x needs a Reflect polyfill loaded before it
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** RSA 2048 is what every TLS stack accepts (LuaSec in Prosody 0.12 included); ECDSA P-256 is faster to generate. */
export type KeyAlgorithm = 'rsa-2048' | 'ecdsa-p256';

export interface CertificateOptions {
  /** Subject common name. */
  commonName: string;
  /** Subject organization; default `earshot lab`. */
  organization?: string;
  /** Subject alternative names: DNS names and IP addresses (v4 or v6). None: no SAN extension at all. */
  dnsNames?: string[];
  ipAddresses?: string[];
  /** RFC 6125 SRV-IDs (id-on-dnsSRV), e.g. `_xmpp-client.example.org`, and RFC 6120 XmppAddrs (id-on-xmppAddr). */
  srvIds?: string[];
  xmppAddrs?: string[];
  /** Where a client finds the issuer's CRL (CRL distribution points) and OCSP responder (authority information access). */
  crlUrls?: string[];
  ocspUrls?: string[];
  notBefore: Date;
  notAfter: Date;
  /** The signing CA; absent means self-signed. */
  issuer?: IssuedCertificate;
  /** A CA certificate (basicConstraints CA:true, keyCertSign) rather than a TLS server certificate. */
  isCa?: boolean;
  /** Hexadecimal serial number; default random. */
  serialNumber?: string;
  /** Default `rsa-2048`. */
  keyAlgorithm?: KeyAlgorithm;
  /** The subject's key pair (extractable); default a new one of `keyAlgorithm`. */
  keys?: CryptoKeyPair;
}

export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  serialNumber: string;
  /** Kept so this certificate can sign others (and CRLs). */
  keys: CryptoKeyPair;
  certificate: x509.X509Certificate;
}

const keyAlgorithms: Record<KeyAlgorithm, RsaHashedKeyGenParams | EcKeyGenParams> = {
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' },
};

export async function issueCertificate(options: CertificateOptions): Promise<IssuedCertificate> {
  if (!(options.notBefore.getTime() < options.notAfter.getTime())) {
    throw new RangeError(`certificate for ${options.commonName}: notBefore must be earlier than notAfter`);
  }
  for (const ip of options.ipAddresses ?? []) {
    if (!isIP(ip)) throw new TypeError(`certificate for ${options.commonName}: "${ip}" is not an IP address`);
  }
  const keys = options.keys ?? (await generateKeyPair(options.keyAlgorithm ?? 'rsa-2048'));
  const subject: x509.JsonName = [{ CN: [options.commonName] }, { O: [options.organization ?? 'earshot lab'] }];
  const signer = options.issuer;
  const signingKey = signer ? signer.keys.privateKey : keys.privateKey;

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.isCa === true, undefined, true),
    new x509.KeyUsagesExtension(
      options.isCa
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (!options.isCa) extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  if (signer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(signer.keys.publicKey));
  const altNames = subjectAltNames(options);
  if (altNames) extensions.push(altNames);
  if (options.crlUrls?.length) extensions.push(new x509.CRLDistributionPointsExtension(options.crlUrls));
  if (options.ocspUrls?.length) extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: options.ocspUrls }));

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? randomSerialNumber(),
    subject,
    issuer: signer ? signer.certificate.subject : subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: signingAlgorithmOf(signingKey),
    extensions,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certPem: certificate.toString('pem') + '\n',
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n',
    serialNumber: certificate.serialNumber,
    keys,
    certificate,
  };
}

const OID_XMPP_ADDR = '1.3.6.1.5.5.7.8.5';
const OID_DNS_SRV = '1.3.6.1.5.5.7.8.7';

/** DNS names and IP addresses through @peculiar/x509, then the otherNames it has no JSON form for. */
function subjectAltNames(options: CertificateOptions): x509.Extension | undefined {
  const plain: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const otherNames = [
    ...(options.srvIds ?? []).map((value) => otherName(OID_DNS_SRV, new asn1js.IA5String({ value }))),
    ...(options.xmppAddrs ?? []).map((value) => otherName(OID_XMPP_ADDR, new asn1js.Utf8String({ value }))),
  ];
  if (plain.length === 0 && otherNames.length === 0) return undefined;
  const names = new x509.SubjectAlternativeNameExtension(plain);
  if (otherNames.length === 0) return names;
  const sequence = asn1js.fromBER(names.value).result as asn1js.Sequence;
  sequence.valueBlock.value.push(...otherNames);
  return new x509.Extension(names.type, false, sequence.toBER(false));
}

/** OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }, as GeneralName's implicit [0]. */
function otherName(typeId: string, value: asn1js.BaseBlock): asn1js.Constructed {
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 0 },
    value: [new asn1js.ObjectIdentifier({ value: typeId }), new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [value] })],
  });
}

export interface RevokedSerial {
  serialNumber: string;
  revokedAt: Date;
}

/** A CRL signed by `issuer` listing `revoked`, DER. */
export async function issueCrl(issuer: IssuedCertificate, revoked: RevokedSerial[], thisUpdate: Date, nextUpdate: Date): Promise<Uint8Array<ArrayBuffer>> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.certificate.subject,
    thisUpdate,
    nextUpdate,
    entries: revoked.map(({ serialNumber, revokedAt }) => ({ serialNumber, revocationDate: revokedAt, reason: x509.X509CrlReason.keyCompromise })),
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithmOf(issuer.keys.privateKey),
  });
  return new Uint8Array(crl.rawData);
}

export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyAlgorithms[algorithm], true, ['sign', 'verify'])) as CryptoKeyPair;
}

export interface LabCertificates {
  ca: IssuedCertificate;
  server: IssuedCertificate;
}

/**
 * The lab's CA and a server certificate for `domain` (and 127.0.0.1, ::1), valid from a day before `now` for a year;
 * naming the CA's CRL and OCSP responder when given.
 */
export async function createLabCertificates(domain: string, now: Date, revocationUrls?: { crl: string; ocsp: string }): Promise<LabCertificates> {
  const day = 24 * 60 * 60 * 1000;
  const notBefore = new Date(now.getTime() - day);
  const notAfter = new Date(now.getTime() + 365 * day);
  // RSA key generation dominates; both keys at once use two threads.
  const [caKeys, serverKeys] = await Promise.all([generateKeyPair('rsa-2048'), generateKeyPair('rsa-2048')]);
  const ca = await issueCertificate({ commonName: 'earshot lab CA', isCa: true, notBefore, notAfter, keys: caKeys });
  const server = await issueCertificate({
    keys: serverKeys,
    commonName: domain,
    dnsNames: [domain],
    ipAddresses: ['127.0.0.1', '::1'],
    ...(revocationUrls && { crlUrls: [revocationUrls.crl], ocspUrls: [revocationUrls.ocsp] }),
    notBefore,
    notAfter,
    issuer: ca,
  });
  return { ca, server };
}

function signingAlgorithmOf(key: CryptoKey): Algorithm | EcdsaParams {
  return key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: key.algorithm.name };
}

function randomSerialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // a positive INTEGER
  return Buffer.from(bytes).toString('hex');
}
