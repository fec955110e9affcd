// Free loopback ports, found by binding port 0 and letting the kernel choose.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A port free for both TCP and UDP (TURN listens on both). */
export async function freeTcpAndUdpPort(host = '127.0.0.1', attempts = 20): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await freeTcpPort(host);
    if (await udpPortIsFree(port, host)) return port;
  }
  throw new Error(`no port free for both TCP and UDP on ${host} after ${attempts} attempts`);
}

export function tcpPortIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function tcpAndUdpPortIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await tcpPortIsFree(port, host)) && (await udpPortIsFree(port, host));
}

function udpPortIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}
