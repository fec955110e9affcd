/**
 * Just enough STUN (RFC 5389) to ask a server "are you there?": a Binding request and the check
 * that a response is its success answer. Used to tell when the lab's coturn is ready.
 */
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

const bindingRequest = 0x0001;
const bindingSuccess = 0x0101;
const magicCookie = 0x2112a442;

/** A 20-byte Binding request: type, length 0, magic cookie, 12-byte transaction id. */
export function stunBindingRequest(transactionId: Uint8Array): Buffer {
  if (transactionId.length !== 12) throw new RangeError('a STUN transaction id has 12 bytes');
  const message = Buffer.alloc(20);
  message.writeUInt16BE(bindingRequest, 0);
  message.writeUInt16BE(0, 2);
  message.writeUInt32BE(magicCookie, 4);
  Buffer.from(transactionId).copy(message, 8);
  return message;
}

export function isStunBindingSuccess(message: Uint8Array, transactionId: Uint8Array): boolean {
  if (message.length < 20) return false;
  const view = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  return (
    view.readUInt16BE(0) === bindingSuccess &&
    view.readUInt32BE(4) === magicCookie &&
    view.subarray(8, 20).equals(Buffer.from(transactionId))
  );
}

/** Resolves true when the server answers a Binding request within `timeoutMs`, else false. */
export function stunPing(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const transactionId = randomBytes(12);
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    const finish = (answered: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('message', (message) => {
      if (isStunBindingSuccess(message, transactionId)) finish(true);
    });
    socket.on('error', () => finish(false));
    socket.send(stunBindingRequest(transactionId), port, host);
  });
}
