// The client tests against any server: TLS and its certificate without an account; with one, also
// logging in, with channel binding whenever the server offers SCRAM-SHA-1-PLUS.
import { XmppConnection, type XmppAccount } from '../xmpp/connection.js';
import { probeTls } from '../xmpp/tls-probe.js';
import type { RevocationPolicy } from '../xmpp/revocation.js';
import type { TlsCheckReport } from './report.js';
import { describeSecurity, describeTls, runCases, type TlsCheckCase } from './runner.js';

export interface ServerCheckOptions {
  domain: string;
  host: string;
  /** Default 5222. */
  port?: number;
  /** Extra trusted CA, PEM. */
  ca?: string;
  revocation?: RevocationPolicy;
  /** With an account, the login tests run too. */
  account?: XmppAccount;
  timeoutMs?: number;
}

export async function tlsCheckServer(options: ServerCheckOptions): Promise<TlsCheckReport> {
  const port = options.port ?? 5222;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const server = `${options.domain} (${options.host.includes(':') ? `[${options.host}]` : options.host}:${port})`;
  const target = {
    domain: options.domain,
    host: options.host,
    port,
    tls: 'starttls' as const,
    ...(options.ca !== undefined && { ca: options.ca }),
    ...(options.revocation !== undefined && { revocation: options.revocation }),
  };
  let offersPlus = false;
  const cases: TlsCheckCase[] = [
    {
      name: 'TLS 1.2+ with a valid certificate for the service',
      server,
      attempt: async () => {
        const result = await probeTls(target, timeoutMs);
        offersPlus = result.mechanisms.includes('SCRAM-SHA-1-PLUS');
        return `${describeTls(result.tls)}; offers ${result.mechanisms.join(', ') || 'no SASL mechanism'}`;
      },
    },
  ];
  const account = options.account;
  const login = async (overrides: Partial<XmppAccount> = {}) => {
    if (!account) throw new Error('no account');
    const trust = { ...(options.ca !== undefined && { ca: options.ca }), ...(options.revocation !== undefined && { revocation: options.revocation }) };
    const connection = await XmppConnection.connect({ ...account, host: options.host, port, tls: 'starttls', ...trust, ...overrides }, { timeoutMs });
    const security = connection.security;
    await connection.close();
    return describeSecurity(security);
  };
  if (account) cases.push({ name: 'connects with TLS required and logs in', server, attempt: () => login() });
  const outcomes = await runCases(cases);
  // Known only after the probe: a server offering -PLUS must get a channel-bound login.
  if (account && offersPlus) {
    outcomes.push(...(await runCases([{ name: 'SCRAM-SHA-1-PLUS channel binding', server, attempt: () => login({ channelBinding: 'require' }) }])));
  }
  return { tests: outcomes };
}
