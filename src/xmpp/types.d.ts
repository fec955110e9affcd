// Types for the xmpp.js 0.14 packages that src/xmpp/ composes (none are published): only the
// members earshot uses. Elements are ltx elements; xmpp.js loads ltx's CommonJS build, so they
// are a different class from src/util/xml.ts's Element at runtime but have the same methods.

declare module '@xmpp/jid' {
  export class JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
  }
  export function jid(address: string): JID;
}

declare module '@xmpp/connection' {
  import { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';
  import type { JID } from '@xmpp/jid';

  /** What a transport's socket must look like (net.Socket satisfies it). */
  export interface XmppSocket extends EventEmitter {
    secure?: boolean;
    write(data: string, callback?: (error?: Error | null) => void): void;
    end(): void;
    destroy(): void;
  }

  export default class Connection extends EventEmitter {
    constructor(options?: { domain?: string; service?: string; timeout?: number; lang?: string });
    jid: JID | null;
    timeout: number;
    status: string;
    socket: XmppSocket | null;
    options: { domain?: string; service?: string; timeout?: number };
    isSecure(): boolean;
    start(): Promise<JID>;
    stop(): Promise<Element | undefined>;
    restart(): Promise<void>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    write(text: string): Promise<void>;
    socketParameters(service: string): unknown;
    /** Opens the socket to `service` and nothing more (start() also checks and sets the status). */
    connect(service: string): Promise<void>;
    /** Opens a stream to `domain` on the connected socket. */
    open(options: { domain: string }): Promise<void>;
    _attachSocket(socket: XmppSocket): void;
    _detachSocket(): void;
    _jid(address: string): JID;
    _ready(resumed?: boolean): void;
    Socket: new () => XmppSocket;
    /** The stream's default namespace. */
    NS: string;
  }
}

declare module '@xmpp/connection-tcp' {
  import Connection from '@xmpp/connection';
  export default class ConnectionTCP extends Connection {}
}

declare module '@xmpp/connection-tcp/Socket.js' {
  import { Socket as NetSocket } from 'node:net';
  export default class Socket extends NetSocket {
    secure: boolean;
  }
}

declare module '@xmpp/client-core' {
  import Connection from '@xmpp/connection';
  import ConnectionTCP from '@xmpp/connection-tcp';
  export { jid } from '@xmpp/jid';
  export class Client extends Connection {
    transports: Array<typeof ConnectionTCP>;
  }
}

declare module '@xmpp/middleware' {
  import type { Element } from 'ltx';
  import type { Client } from '@xmpp/client-core';

  export interface IncomingContext {
    stanza: Element;
    entity: Client;
    name: string;
    type: string;
    id: string;
  }
  export type Next = () => Promise<unknown>;
  export type Middleware = (context: IncomingContext, next: Next) => unknown;
  export interface MiddlewareStack {
    /** Incoming elements pass through these in the order they were added. */
    use(middleware: Middleware): Middleware;
  }
  export default function middleware(deps: { entity: Client }): MiddlewareStack;
}

declare module '@xmpp/stream-features' {
  import type { Element } from 'ltx';
  import type { IncomingContext, MiddlewareStack, Next } from '@xmpp/middleware';

  export interface StreamFeatures {
    /** Runs `handler` on a <stream:features/> holding <name xmlns=xmlns/>; features are tried in the order they were added. */
    use(name: string, xmlns: string, handler: (context: IncomingContext, next: Next, feature: Element) => unknown): void;
  }
  export default function streamFeatures(deps: { middleware: MiddlewareStack }): StreamFeatures;
}
