// Revocation checking for every TLS connection earshot makes: by the certificate's CRL distribution
// points and by OCSP (the response stapled in the handshake, else the AIA responder), both when
// the certificate names both.
//
// Policy when no answer can be had (responder down, stale or unsigned answer):
// - 'soft-fail' (default): the connection goes on, a warning is logged, and the report says
//   "unknown (soft-fail)"; an attacker who can block the responder can hide a revocation, which
//   is the trade-off browsers make too;
// - 'hard-fail': the connection is refused with the reason 'revocation-unknown'.
// A certificate that names no CRL or OCSP responder (and had nothing stapled) cannot be checked
// under either policy and is accepted; the report says so.
import 'reflect-metadata'; // @peculiar/x509 2.x needs a Reflect polyfill loaded before it
import * as x509 from '@peculiar/x509';
import { crlVerdict } from './crl.js';
import { ocspRequest, ocspVerdict, parseCertificate } from './ocsp.js';

export type RevocationPolicy = 'soft-fail' | 'hard-fail';
export type RevocationMethod = 'crl' | 'ocsp' | 'ocsp-stapled';

export interface RevocationCheck {
  method: RevocationMethod;
  /** The URL asked, or "stapled". */
  source: string;
  outcome: 'good' | 'revoked' | 'unavailable';
  detail?: string;
}

export interface RevocationReport {
  /** 'not-checkable': the certificate names no CRL or OCSP responder and nothing was stapled. */
  status: 'good' | 'revoked' | 'unknown' | 'not-checkable';
  checks: RevocationCheck[];
  policy: RevocationPolicy;
}

export interface RevocationInput {
  certificateDer: Uint8Array<ArrayBuffer>;
  issuerDer: Uint8Array<ArrayBuffer>;
  /** The OCSP response the server stapled, if any. */
  stapled?: Uint8Array<ArrayBuffer>;
  policy: RevocationPolicy;
  now: Date;
  /** Bound on each fetch; default 5000 ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** Larger answers are refused rather than read: CRLs of public CAs stay well below this. */
const MAX_BODY_BYTES = 20 * 1024 * 1024;

export async function checkRevocation(input: RevocationInput): Promise<RevocationReport> {
  const certificate = new x509.X509Certificate(input.certificateDer);
  const issuer = new x509.X509Certificate(input.issuerDer);
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const [crlChecks, ocspChecks] = await Promise.all([
    Promise.all(crlUrls(certificate).map((url) => checkCrl(url, certificate, issuer, input.now, timeoutMs))),
    checkOcsp(input, certificate, timeoutMs),
  ]);
  const checks = [...crlChecks, ...ocspChecks];
  return { status: overallStatus(checks), checks, policy: input.policy };
}

function overallStatus(checks: RevocationCheck[]): RevocationReport['status'] {
  if (checks.length === 0) return 'not-checkable';
  if (checks.some((check) => check.outcome === 'revoked')) return 'revoked';
  return checks.some((check) => check.outcome === 'good') ? 'good' : 'unknown';
}

/** One line for logs and reports, e.g. "revoked (crl http://127.0.0.1:4000/ca.crl: revoked on ...)". */
export function describeRevocation(report: RevocationReport): string {
  if (report.status === 'not-checkable') return 'not checkable: the certificate names no CRL or OCSP responder';
  const checks = report.checks.map((check) => `${check.method} ${check.source}: ${check.outcome}${check.detail ? ` (${check.detail})` : ''}`);
  const status = report.status === 'unknown' ? `unknown (${report.policy})` : report.status;
  return `${status} [${checks.join('; ')}]`;
}

async function checkCrl(url: string, certificate: x509.X509Certificate, issuer: x509.X509Certificate, now: Date, timeoutMs: number): Promise<RevocationCheck> {
  const check = { method: 'crl' as const, source: url };
  try {
    const verdict = await crlVerdict(await fetchBytes(url, { method: 'GET' }, timeoutMs), certificate, issuer, now);
    if (verdict.status === 'unavailable') return { ...check, outcome: 'unavailable', detail: verdict.detail };
    return verdict.status === 'revoked' ? { ...check, outcome: 'revoked', detail: `revoked on ${verdict.revokedAt.toISOString()}` } : { ...check, outcome: 'good' };
  } catch (error) {
    return { ...check, outcome: 'unavailable', detail: (error as Error).message };
  }
}

/** The stapled response when it gives a verdict; else each AIA responder (a bad staple must not hide a revocation). */
async function checkOcsp(input: RevocationInput, certificate: x509.X509Certificate, timeoutMs: number): Promise<RevocationCheck[]> {
  const subject = parseCertificate(input.certificateDer);
  const issuer = parseCertificate(input.issuerDer);
  const stapled = input.stapled && toCheck('ocsp-stapled', 'stapled', await ocspVerdict(input.stapled, subject, issuer, input.now));
  if (stapled && stapled.outcome !== 'unavailable') return [stapled];
  const queried = await Promise.all(
    ocspUrls(certificate).map(async (url) => {
      try {
        const body = { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: await ocspRequest(subject, issuer) };
        return toCheck('ocsp', url, await ocspVerdict(await fetchBytes(url, body, timeoutMs), subject, issuer, input.now));
      } catch (error) {
        return { method: 'ocsp' as const, source: url, outcome: 'unavailable' as const, detail: (error as Error).message };
      }
    }),
  );
  return stapled ? [stapled, ...queried] : queried;
}

function toCheck(method: RevocationMethod, source: string, verdict: Awaited<ReturnType<typeof ocspVerdict>>): RevocationCheck {
  if (verdict.status === 'unavailable') return { method, source, outcome: 'unavailable', detail: verdict.detail };
  if (verdict.status === 'revoked') return { method, source, outcome: 'revoked', ...(verdict.revokedAt && { detail: `revoked on ${verdict.revokedAt.toISOString()}` }) };
  return { method, source, outcome: 'good' };
}

async function fetchBytes(url: string, init: RequestInit, timeoutMs: number): Promise<Uint8Array<ArrayBuffer>> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    const why = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause?.message ?? (error as Error).message);
    throw new Error(`cannot reach ${url}: ${why}`);
  }
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_BODY_BYTES) throw new Error(`${url} sent ${length} bytes, more than the ${MAX_BODY_BYTES} accepted`);
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.length > MAX_BODY_BYTES) throw new Error(`${url} sent more than the ${MAX_BODY_BYTES} bytes accepted`);
  return body;
}

/** The http(s) URLs of the certificate's CRL distribution points. */
function crlUrls(certificate: x509.X509Certificate): string[] {
  const extension = certificate.getExtension(x509.CRLDistributionPointsExtension);
  const urls: string[] = [];
  for (const point of extension?.distributionPoints ?? []) {
    for (const name of point.distributionPoint?.fullName ?? []) {
      const url = name.uniformResourceIdentifier;
      if (url && /^https?:\/\//.test(url)) urls.push(url);
    }
  }
  return urls;
}

/** The http(s) URLs of the certificate's OCSP responders (Authority Information Access). */
function ocspUrls(certificate: x509.X509Certificate): string[] {
  const extension = certificate.getExtension(x509.AuthorityInfoAccessExtension);
  return (extension?.ocsp ?? []).filter((name) => name.type === 'url' && /^https?:\/\//.test(name.value)).map((name) => name.value);
}
