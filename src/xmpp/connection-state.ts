// What an XmppConnection tells upper layers when its server connection drops and comes back (or does not).
import type { StreamManagementStatus } from './session-establishment.js';

interface Recovery {
  /** From the loss to the session being usable again. */
  outageMs: number;
  /** Connection attempts it took, the successful one included. */
  attempts: number;
  /** Stanzas sent again because the server had not acknowledged them before the loss. */
  resent: number;
  /** Stanzas sent during the outage, held until now. */
  held: number;
}

export type ConnectionStateChange =
  /** The connection dropped without our asking; a reconnection is under way. */
  | { state: 'interrupted'; cause: string }
  /** XEP-0198 resumed the same session: nothing the server held for us was lost, presence and JID unchanged. */
  | ({ state: 'resumed' } & Recovery)
  /** A new session on the same full JID (resumption failed or was not available), presence announced again. */
  | ({ state: 'reconnected'; resumeFailure: string | undefined; streamManagement: StreamManagementStatus } & Recovery)
  /** Given up: the connection is closed for good (onClose follows). */
  | { state: 'failed'; outageMs: number; attempts: number; error: Error };

export type ConnectionState = ConnectionStateChange['state'];

/** One line for a log or a call's timeline. Pure. */
export function describeConnectionChange(change: ConnectionStateChange): string {
  switch (change.state) {
    case 'interrupted':
      return `xmpp connection lost (${change.cause})`;
    case 'resumed':
      return `xmpp stream resumed after ${change.outageMs} ms (${sentSummary(change)})`;
    case 'reconnected': {
      const why = change.resumeFailure ? `resumption failed: ${change.resumeFailure}` : 'no resumable session';
      return `xmpp reconnected after ${change.outageMs} ms with a new session (${why}; ${sentSummary(change)})`;
    }
    case 'failed':
      return `xmpp connection failed after ${change.outageMs} ms and ${change.attempts} attempts: ${change.error.message}`;
  }
}

function sentSummary({ resent, held }: Recovery): string {
  const total = resent + held;
  return `${total} ${total === 1 ? 'stanza' : 'stanzas'} re-sent`;
}
