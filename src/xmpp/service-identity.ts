// Is this certificate the XMPP service's? RFC 6125 §6 as RFC 6120 §13.7.2.1 and RFC 7590 apply it to
// a client's connection: the reference identifiers are the DNS-ID <domain>, the SRV-ID
// _xmpp-client.<domain> and the XmppAddr <domain> (id-on-xmppAddr otherName). The subject's CN
// counts only when the certificate presents none of those kinds of names at all.
import { isIP } from 'node:net';
import tls, { type PeerCertificate } from 'node:tls';
import * as asn1js from 'asn1js';
import 'reflect-metadata'; // @peculiar/x509 2.x needs a Reflect polyfill loaded before it
import * as x509 from '@peculiar/x509';

const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_XMPP_ADDR = '1.3.6.1.5.5.7.8.5';
const OID_DNS_SRV = '1.3.6.1.5.5.7.8.7';
const XMPP_CLIENT_SERVICE = '_xmpp-client';

export interface PresentedIdentifiers {
  dnsIds: string[];
  /** e.g. "_xmpp-client.example.org". */
  srvIds: string[];
  xmppAddrs: string[];
  uriIds: string[];
  commonNames: string[];
}

export function presentedIdentifiers(certificateDer: Uint8Array<ArrayBuffer>): PresentedIdentifiers {
  const certificate = new x509.X509Certificate(certificateDer);
  const identifiers: PresentedIdentifiers = { dnsIds: [], srvIds: [], xmppAddrs: [], uriIds: [], commonNames: certificate.subjectName.getField('CN') };
  const extension = certificate.getExtension(OID_SUBJECT_ALT_NAME);
  if (!extension) return identifiers;
  const names = asn1js.fromBER(extension.value).result;
  for (const name of names instanceof asn1js.Sequence ? names.valueBlock.value : []) {
    if (name.idBlock.tagClass !== 3) continue;
    if (name.idBlock.tagNumber === 2) identifiers.dnsIds.push(primitiveText(name));
    else if (name.idBlock.tagNumber === 6) identifiers.uriIds.push(primitiveText(name));
    else if (name.idBlock.tagNumber === 0) {
      const otherName = parseOtherName(name);
      if (otherName?.typeId === OID_XMPP_ADDR) identifiers.xmppAddrs.push(otherName.value);
      else if (otherName?.typeId === OID_DNS_SRV) identifiers.srvIds.push(otherName.value);
    }
  }
  return identifiers;
}

/** Undefined when the identifiers name `domain`'s XMPP client service; else why not. */
export function serviceIdentityMismatch(identifiers: PresentedIdentifiers, domain: string): string | undefined {
  const reference = domain.toLowerCase().replace(/\.$/, '');
  const { dnsIds, srvIds, xmppAddrs, uriIds, commonNames } = identifiers;
  if (dnsIds.some((id) => dnsIdMatches(id, reference))) return undefined;
  if (srvIds.some((id) => id.toLowerCase().replace(/\.$/, '') === `${XMPP_CLIENT_SERVICE}.${reference}`)) return undefined;
  if (xmppAddrs.some((id) => id.toLowerCase() === reference)) return undefined;
  const presentsSanIdentifiers = dnsIds.length + srvIds.length + xmppAddrs.length + uriIds.length > 0;
  if (!presentsSanIdentifiers && commonNames.some((cn) => dnsIdMatches(cn, reference))) return undefined;
  const presented = [
    ...dnsIds.map((id) => `DNS:${id}`),
    ...srvIds.map((id) => `SRV:${id}`),
    ...xmppAddrs.map((id) => `xmppAddr:${id}`),
    ...uriIds.map((id) => `URI:${id}`),
    ...(presentsSanIdentifiers ? [] : commonNames.map((cn) => `CN:${cn}`)),
  ];
  const ignoredCn = presentsSanIdentifiers && commonNames.length > 0 ? ` (CN ${commonNames.join(', ')} ignored: the certificate has subjectAltNames)` : '';
  return `the certificate names ${presented.join(', ') || 'nothing'}${ignoredCn}, not ${reference}, _xmpp-client.${reference} or xmppAddr ${reference}`;
}

/**
 * A `checkServerIdentity` for tls.connect. IP-literal domains are left to Node's own check,
 * which knows iPAddress names.
 */
export function checkXmppServerIdentity(domain: string, certificate: PeerCertificate): Error | undefined {
  if (isIP(domain)) return tls.checkServerIdentity(domain, certificate);
  const mismatch = serviceIdentityMismatch(presentedIdentifiers(new Uint8Array(certificate.raw)), domain);
  return mismatch ? Object.assign(new Error(mismatch), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }) : undefined;
}

/** RFC 6125 §6.4.3: a "*" only as the whole left-most label, standing for exactly one label. */
function dnsIdMatches(presented: string, reference: string): boolean {
  const id = presented.toLowerCase().replace(/\.$/, '');
  if (!id.startsWith('*.')) return id === reference;
  const suffix = id.slice(1);
  const rest = reference.slice(0, reference.length - suffix.length);
  return id.split('.').length > 2 && reference.endsWith(suffix) && rest.length > 0 && !rest.includes('.');
}

function primitiveText(block: asn1js.BaseBlock): string {
  return Buffer.from((block as asn1js.Primitive).valueBlock.valueHexView).toString('latin1');
}

/** OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY } under an implicit [0]; values as UTF8String or IA5String. */
function parseOtherName(block: asn1js.BaseBlock): { typeId: string; value: string } | undefined {
  const [typeId, wrapped] = (block as asn1js.Constructed).valueBlock.value ?? [];
  const value = (wrapped as asn1js.Constructed | undefined)?.valueBlock?.value?.[0];
  if (!(typeId instanceof asn1js.ObjectIdentifier) || !value) return undefined;
  if (value instanceof asn1js.Utf8String || value instanceof asn1js.IA5String) return { typeId: typeId.valueBlock.toString(), value: value.valueBlock.value };
  return undefined;
}
