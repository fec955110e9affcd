// XEP-0215 External Service Discovery 1.0: STUN/TURN services announced by the server, and their
// translation to WebRTC ICE servers.
import type { Element } from '../util/xml.js';

export const NS_EXTDISCO_2 = 'urn:xmpp:extdisco:2';
export const NS_EXTDISCO_1 = 'urn:xmpp:extdisco:1';

export interface ExternalService {
  /** 'stun', 'turn', 'turns', 'stuns', or whatever else the server names. */
  type: string;
  host: string;
  port: number;
  /** When the server leaves it out: 'udp' for stun/turn, 'tcp' for stuns/turns. */
  transport: string;
  username?: string;
  password?: string;
  expires?: Date;
  restricted?: boolean;
  name?: string;
}

/** The shape of WebRTC's RTCIceServer, one URL each. */
export interface IceServer {
  urls: string;
  username?: string;
  credential?: string;
}

const overTls = (type: string) => type === 'turns' || type === 'stuns';

/** Reads <services/>; entries without type, host or a valid port are skipped (as Conversations does). */
export function parseExternalServices(services: Element): ExternalService[] {
  const parsed: ExternalService[] = [];
  for (const service of services.getChildren('service')) {
    const { type, host, transport, username, password, expires, restricted, name } = service.attrs;
    const port = Number(service.attrs.port);
    if (!type || !host || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    const expiry = expires ? new Date(expires) : undefined;
    parsed.push({
      type,
      host,
      port,
      transport: transport || (overTls(type) ? 'tcp' : 'udp'),
      ...(username !== undefined && { username }),
      ...(password !== undefined && { password }),
      ...(expiry && !Number.isNaN(expiry.getTime()) && { expires: expiry }),
      ...(restricted !== undefined && { restricted: restricted === 'true' || restricted === '1' }),
      ...(name !== undefined && { name }),
    });
  }
  return parsed;
}

const hostForUri = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/**
 * ICE servers for the STUN and TURN entries. TURN entries without both username and password are
 * left out (a TURN server cannot be used without them); other service types are ignored.
 */
export function toIceServers(services: readonly ExternalService[]): IceServer[] {
  const servers: IceServer[] = [];
  for (const service of services) {
    const address = `${hostForUri(service.host)}:${service.port}`;
    if (service.type === 'stun' || service.type === 'stuns') {
      servers.push({ urls: `${service.type}:${address}` });
    } else if (service.type === 'turn' || service.type === 'turns') {
      if (!service.username || !service.password) continue;
      servers.push({
        urls: `${service.type}:${address}?transport=${service.transport}`,
        username: service.username,
        credential: service.password,
      });
    }
  }
  return servers;
}
