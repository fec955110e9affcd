// The 2010 interop event's client tests against the lab: its good server and each broken one
// (a lab started with `brokenServers`).
import type { LabInfo } from '../lab/lab-state.js';
import type { TestServerKind } from '../lab/broken-servers.js';
import { XmppConnection, type XmppAccount } from '../xmpp/connection.js';
import { probeTls } from '../xmpp/tls-probe.js';
import type { TlsCheckReport } from './report.js';
import { describeSecurity, describeTls, runCases, type TlsCheckCase } from './runner.js';

const TIMEOUT_MS = 10_000;

export async function tlsCheckLab(lab: LabInfo): Promise<TlsCheckReport> {
  const broken = lab.brokenServers;
  if (!broken) throw new Error('this lab runs without its broken servers: start it with them (earshot lab up --broken)');
  const labAccount = lab.accounts[0];
  if (!labAccount) throw new Error('the lab has no account to log in with');

  const serverOf = (kind: TestServerKind) => {
    const server = broken.servers.find((candidate) => candidate.kind === kind);
    if (!server) throw new Error(`the lab has no ${kind} server`);
    return server;
  };
  const at = (kind: TestServerKind) => `${serverOf(kind).domain} (${broken.host}:${broken.port})`;
  const mainServer = (host: string) => `${lab.domain} (${host.includes(':') ? `[${host}]` : host}:${lab.ports.c2s})`;

  const login = async (account: XmppAccount) => {
    const connection = await XmppConnection.connect(account, { timeoutMs: TIMEOUT_MS });
    const security = connection.security;
    await connection.close();
    return describeSecurity(security);
  };
  const loginTo = (kind: TestServerKind, overrides: Partial<XmppAccount> = {}) => {
    const account = serverOf(kind).account;
    if (!account) throw new Error(`the lab's ${kind} server has no account`);
    return login({ jid: account.jid, password: account.password, host: broken.host, port: broken.port, ca: lab.caPem, ...overrides });
  };
  const loginToLab = (overrides: Partial<XmppAccount> = {}) =>
    login({ jid: labAccount.jid, password: labAccount.password, host: lab.host, port: lab.ports.c2s, ca: lab.caPem, ...overrides });
  const probe = (kind: TestServerKind, overrides: { revocation?: 'hard-fail' } = {}) => async () => {
    const result = await probeTls({ domain: serverOf(kind).domain, host: broken.host, port: broken.port, tls: 'starttls', ca: lab.caPem, ...overrides }, TIMEOUT_MS);
    return `${describeTls(result.tls)}; offers ${result.mechanisms.join(', ') || 'no SASL mechanism'}`;
  };

  const cases: TlsCheckCase[] = [
    { name: 'connects without TLS when allowed (insecure policy)', server: at('no-tls'), attempt: () => loginTo('no-tls', { tls: 'none-insecure' }) },
    { name: 'TLS required: refuses a server offering no TLS', server: at('no-tls'), refuseFor: 'no-tls-offered', attempt: () => loginTo('no-tls') },
    { name: 'connects with TLS required', server: mainServer(lab.host), attempt: () => loginToLab() },
    { name: 'refuses an expired certificate', server: at('expired'), refuseFor: 'expired', attempt: probe('expired') },
    { name: 'refuses a revoked certificate (CRL)', server: at('revoked-crl'), refuseFor: 'revoked', attempt: probe('revoked-crl') },
    { name: 'refuses a revoked certificate (OCSP)', server: at('revoked-ocsp'), refuseFor: 'revoked', attempt: probe('revoked-ocsp') },
    { name: 'refuses an untrusted issuer', server: at('untrusted'), refuseFor: 'untrusted', attempt: probe('untrusted') },
    { name: 'refuses a name not matching the service', server: at('wrong-name'), refuseFor: 'name-mismatch', attempt: probe('wrong-name') },
    { name: 'accepts the service named by SRV-ID and xmppAddr only', server: at('srv-id'), attempt: probe('srv-id') },
    { name: 'refuses a server speaking only TLS 1.1', server: at('tls-1.1-only'), refuseFor: 'protocol-too-old', attempt: probe('tls-1.1-only') },
    {
      name: 'SCRAM-SHA-1-PLUS channel binding (TLS 1.2)',
      server: at('tls-1.2'),
      attempt: () => loginTo('tls-1.2', { channelBinding: 'require' }),
    },
    {
      name: 'no fallback to SCRAM-SHA-1 when channel binding is required',
      server: mainServer(lab.host),
      refuseFor: 'channel-binding-required',
      attempt: () => loginToLab({ channelBinding: 'require' }),
    },
    { name: 'revocation unreachable: soft-fail by default', server: at('revocation-unreachable'), attempt: probe('revocation-unreachable') },
    {
      name: 'revocation unreachable: refused with hard-fail',
      server: at('revocation-unreachable'),
      refuseFor: 'revocation-unknown',
      attempt: probe('revocation-unreachable', { revocation: 'hard-fail' }),
    },
    { name: 'logs in over IPv6', server: mainServer('::1'), attempt: () => loginToLab({ host: '::1' }) },
  ];
  return { tests: await runCases(cases) };
}
