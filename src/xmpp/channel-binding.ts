// TLS channel bindings for SCRAM-*-PLUS: tls-unique (RFC 5929 §3) on TLS 1.2, tls-exporter (RFC 9266)
// on TLS 1.3, where tls-unique is undefined. Prosody 0.12 binds tls-unique only, so it offers
// SCRAM-SHA-1-PLUS over TLS 1.2 and nothing -PLUS over TLS 1.3.
import type { TLSSocket } from 'node:tls';

export type ChannelBindingType = 'tls-unique' | 'tls-exporter';

export interface ChannelBinding {
  type: ChannelBindingType;
  data: Buffer;
}

/** RFC 9266 §2: 32 bytes of the exporter with this label and no context (in TLS 1.3 the same as an empty one). */
const EXPORTER_LABEL = 'EXPORTER-Channel-Binding';

/**
 * The binding this TLS connection supports, or undefined (older TLS, or nothing to bind to).
 * tls-unique is the first Finished message of the handshake: the client's, as earshot never
 * resumes TLS sessions.
 */
export function channelBindingOf(socket: TLSSocket): ChannelBinding | undefined {
  const protocol = socket.getProtocol();
  if (protocol === 'TLSv1.3') return { type: 'tls-exporter', data: socket.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0)) };
  if (protocol === 'TLSv1.2') {
    const finished = socket.getFinished();
    return finished ? { type: 'tls-unique', data: finished } : undefined;
  }
  return undefined;
}
