/**
 * The lab's test servers for `earshot tls-check`, after the 2010 interop event's: one Prosody on
 * its own loopback port with a virtual host per case (expired, revoked by CRL, revoked by OCSP,
 * untrusted issuer, wrong name, no TLS, TLS 1.1 only), plus hosts a careful client accepts
 * (TLS 1.2 with SCRAM-SHA-1-PLUS, a name given only as SRV-ID and xmppAddr) and one whose
 * revocation responders cannot be reached. Started only when asked: it costs a second Prosody.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { redact } from '../util/index.js';
import { generateKeyPair, issueCertificate, type CertificateOptions, type IssuedCertificate } from './certificates.js';
import type { LabAccount } from './lab-state.js';
import { freeTcpPort } from './ports.js';
import { ManagedProcess, waitForTcp } from './processes.js';
import { renderBrokenProsodyConfig, type TestVirtualHost } from './prosody-config.js';
import type { RevocationServer } from './revocation-server.js';

const run = promisify(execFile);
const DAY_MS = 24 * 60 * 60 * 1000;

export type TestServerKind =
  | 'no-tls'
  | 'expired'
  | 'revoked-crl'
  | 'revoked-ocsp'
  | 'untrusted'
  | 'wrong-name'
  | 'tls-1.1-only'
  | 'tls-1.2'
  | 'srv-id'
  | 'revocation-unreachable';

export const testServerKinds: readonly TestServerKind[] = [
  'no-tls',
  'expired',
  'revoked-crl',
  'revoked-ocsp',
  'untrusted',
  'wrong-name',
  'tls-1.1-only',
  'tls-1.2',
  'srv-id',
  'revocation-unreachable',
];

/** Kinds with an account, for the logins tls-check makes: without TLS (when allowed) and with channel binding. */
const kindsWithAccount: readonly TestServerKind[] = ['no-tls', 'tls-1.2'];

export interface TestServer {
  kind: TestServerKind;
  /** `<kind>.<lab domain>`: the XMPP domain to ask for. */
  domain: string;
  account?: LabAccount;
}

export interface BrokenServersInfo {
  host: '127.0.0.1';
  /** The one STARTTLS port of every test server (and on ::1 when the lab has IPv6). */
  port: number;
  pid: number;
  configFile: string;
  servers: TestServer[];
}

export interface BrokenServersOptions {
  dir: string;
  labDomain: string;
  ca: IssuedCertificate;
  revocation: RevocationServer;
  now: Date;
  runAsRoot: boolean;
  ipv6: boolean;
  timeoutMs: number;
  password: () => string;
}

function brokenServersConfigFile(dir: string): string {
  return join(dir, 'broken', 'prosody.cfg.lua');
}

export async function startBrokenServers(options: BrokenServersOptions): Promise<{ info: BrokenServersInfo; process: ManagedProcess }> {
  const folder = join(options.dir, 'broken');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(join(folder, 'data'), { recursive: true, mode: 0o700 });
  const [port, hosts] = await Promise.all([freeTcpPort(), testVirtualHosts(folder, options)]);
  const configFile = brokenServersConfigFile(options.dir);
  const logFile = join(folder, 'prosody.log');
  writeFileSync(
    configFile,
    renderBrokenProsodyConfig({
      dataPath: join(folder, 'data'),
      pidFile: join(folder, 'prosody.pid'),
      logFile,
      c2sPort: port,
      runAsRoot: options.runAsRoot,
      ipv6: options.ipv6,
      hosts,
    }),
  );
  const servers: TestServer[] = testServerKinds.map((kind) => ({ kind, domain: `${kind}.${options.labDomain}` }));
  const registering = Promise.all(
    servers.filter((server) => kindsWithAccount.includes(server.kind)).map(async (server) => (server.account = await register(configFile, server.domain, options.password()))),
  );
  registering.catch(() => undefined); // awaited below
  const prosody = await ManagedProcess.spawn('prosody-broken', 'prosody', ['--config', configFile, '-F'], options.dir);
  try {
    await waitForTcp('127.0.0.1', port, options.timeoutMs, () => (prosody.exited ? 'it exited' : undefined)).catch((error: Error) => {
      throw new Error(`the broken-servers Prosody did not start: ${error.message} (log: ${logFile}; ${prosody.outputTail().trim()})`);
    });
    await registering;
  } catch (error) {
    await Promise.all([prosody.terminate(), registering.catch(() => undefined)]);
    throw error;
  }
  return { info: { host: '127.0.0.1', port, pid: prosody.pid, configFile, servers }, process: prosody };
}

/** Certificates and TLS settings per host. ECDSA keys: generating ten RSA keys would cost seconds. */
async function testVirtualHosts(folder: string, options: BrokenServersOptions): Promise<TestVirtualHost[]> {
  const { ca, revocation, now, labDomain } = options;
  const domain = (kind: TestServerKind) => `${kind}.${labDomain}`;
  const valid = { notBefore: new Date(now.getTime() - DAY_MS), notAfter: new Date(now.getTime() + 365 * DAY_MS), keyAlgorithm: 'ecdsa-p256' as const };
  const signedByLab = (kind: TestServerKind, extra: Partial<CertificateOptions> = {}) =>
    issueCertificate({ commonName: domain(kind), dnsNames: [domain(kind)], ...valid, issuer: ca, ...extra });
  const unreachable = `http://127.0.0.1:${await freeTcpPort()}`; // nothing listens there
  const otherCa = await issueCertificate({ commonName: 'earshot untrusted CA', isCa: true, ...valid, keys: await generateKeyPair('ecdsa-p256') });

  const certificates: Array<[TestServerKind, IssuedCertificate, Partial<NonNullable<TestVirtualHost['tls']>>?]> = [
    ['expired', await signedByLab('expired', { notBefore: new Date(now.getTime() - 30 * DAY_MS), notAfter: new Date(now.getTime() - DAY_MS) })],
    ['revoked-crl', await signedByLab('revoked-crl', { crlUrls: [revocation.crlUrl] })],
    ['revoked-ocsp', await signedByLab('revoked-ocsp', { ocspUrls: [revocation.ocspUrl] })],
    ['untrusted', await signedByLab('untrusted', { issuer: otherCa })],
    // The right name only as CN: with subjectAltNames present, RFC 6125 forbids falling back to it.
    ['wrong-name', await signedByLab('wrong-name', { dnsNames: ['elsewhere.example'] })],
    ['tls-1.1-only', await signedByLab('tls-1.1-only'), { protocol: 'tlsv1_1', ciphers: 'DEFAULT:@SECLEVEL=0' }],
    ['tls-1.2', await signedByLab('tls-1.2', { crlUrls: [revocation.crlUrl], ocspUrls: [revocation.ocspUrl] }), { protocol: 'tlsv1_2' }],
    ['srv-id', await signedByLab('srv-id', { dnsNames: [], srvIds: [`_xmpp-client.${domain('srv-id')}`], xmppAddrs: [domain('srv-id')] })],
    ['revocation-unreachable', await signedByLab('revocation-unreachable', { crlUrls: [`${unreachable}/ca.crl`], ocspUrls: [`${unreachable}/ocsp`] })],
  ];
  for (const kind of ['revoked-crl', 'revoked-ocsp'] as const) {
    const certificate = certificates.find(([k]) => k === kind)![1];
    revocation.revoke(certificate.serialNumber, new Date(now.getTime() - 60_000));
  }
  const hosts: TestVirtualHost[] = [{ domain: domain('no-tls') }];
  for (const [kind, certificate, settings] of certificates) {
    const certificateFile = join(folder, `${kind}.crt`);
    const keyFile = join(folder, `${kind}.key`);
    writeFileSync(certificateFile, certificate.certPem);
    writeFileSync(keyFile, certificate.keyPem, { mode: 0o600 });
    hosts.push({ domain: domain(kind), tls: { certificateFile, keyFile, ...settings } });
  }
  return hosts;
}

async function register(configFile: string, domain: string, password: string): Promise<LabAccount> {
  redact(password);
  const username = 'alice';
  try {
    await run('prosodyctl', ['--config', configFile, 'register', username, domain, password], { timeout: 15_000 });
  } catch (error) {
    const output = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`could not register ${username}@${domain}: ${(output.stderr || output.stdout || output.message).trim()}`);
  }
  return { username, jid: `${username}@${domain}`, password };
}
