// Runs scripted TLS tests: each either connects (and says how it was protected) or is refused
// (and says why). A test passes when that matches its expectation, a refusal only for the reason
// expected of it.
import { SaslError } from '../xmpp/sasl.js';
import { describeRevocation } from '../xmpp/revocation.js';
import { TlsError, type TlsDetails, type TlsFailureReason } from '../xmpp/tls-policy.js';
import type { ConnectionSecurity } from '../xmpp/connection.js';
import type { TlsCheckOutcome } from './report.js';

/** Why a connection may be refused: a TLS reason, or SASL's channel-binding-required. */
export type RefusalReason = TlsFailureReason | 'channel-binding-required';

export interface TlsCheckCase {
  name: string;
  server: string;
  /** undefined: the connection must succeed; else the reason it must be refused for. */
  refuseFor?: RefusalReason;
  /** Connects; resolves with how the connection was protected, rejects when refused. */
  attempt: () => Promise<string>;
}

export async function runCases(cases: TlsCheckCase[]): Promise<TlsCheckOutcome[]> {
  // One after another: the lab's servers run on the same two cores, and the timings stay readable.
  const outcomes: TlsCheckOutcome[] = [];
  for (const testCase of cases) outcomes.push(await runCase(testCase));
  return outcomes;
}

async function runCase({ name, server, refuseFor, attempt }: TlsCheckCase): Promise<TlsCheckOutcome> {
  const expected = refuseFor ? 'refuse' : 'accept';
  try {
    const protection = await attempt();
    return { name, server, expected, result: 'accepted', reason: protection, passed: !refuseFor };
  } catch (error) {
    const reason = refusalReason(error as Error);
    const wrongReason = refuseFor && reason !== refuseFor ? ` [expected a refusal for ${refuseFor}]` : '';
    return { name, server, expected, result: 'refused', reason: `${reason}: ${(error as Error).message}${wrongReason}`, passed: refuseFor === reason };
  }
}

function refusalReason(error: Error): string {
  if (error instanceof TlsError) return error.reason;
  if (error instanceof SaslError) return error.condition;
  return 'error';
}

export function describeTls(tls: TlsDetails): string {
  return `${tls.protocol}, certificate "${tls.subject}" from "${tls.issuer}", revocation ${describeRevocation(tls.revocation)}`;
}

export function describeSecurity(security: ConnectionSecurity): string {
  const { sasl } = security;
  const mechanism = `${sasl.mechanism}${sasl.channelBinding ? ` (${sasl.channelBinding})` : ''}, GS2 flag ${sasl.gs2Flag}`;
  return security.tls ? `${describeTls(security.tls)}; ${mechanism}` : `no TLS (insecure policy); ${mechanism}`;
}
