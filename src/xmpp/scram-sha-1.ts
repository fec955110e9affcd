// RFC 5802 SCRAM-SHA-1 and SCRAM-SHA-1-PLUS, client side. The GS2 header's channel-binding flag:
// "p=<type>" binds the exchange to the TLS channel (-PLUS); "y" says the client could bind but the
// server did not offer -PLUS (a server that did offer it then knows the offer was stripped); "n"
// says the client cannot bind at all.
// PBKDF2 runs in Node's native crypto on the thread pool: a few ms per login instead of the
// ~0.7 s of CPU that xmpp.js's JavaScript PBKDF2 costs at Prosody's 10000 iterations.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { ChannelBinding } from './channel-binding.js';

const pbkdf2Async = promisify(pbkdf2);

/** Above this a server-first message is treated as hostile: it would burn seconds of CPU per login. */
const MAX_ITERATIONS = 1_000_000;

export type ScramChannelBinding = { flag: 'n' } | { flag: 'y' } | { flag: 'p'; binding: ChannelBinding };

export class ScramError extends Error {
  override readonly name = 'ScramError';
}

/** 24 random bytes as base64: printable, no commas. */
export function randomScramNonce(): string {
  return randomBytes(24).toString('base64');
}

/** RFC 5802 §5.1: "=" and "," in a username are sent as "=3D" and "=2C". */
function escapeUsername(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Splits "a=1,b=2" into attributes; a value may itself contain "=". */
function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    const match = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!match) throw new ScramError(`malformed SCRAM attribute ${JSON.stringify(part)} in ${JSON.stringify(message)}`);
    attributes.set(match[1]!, match[2]!);
  }
  return attributes;
}

const hmac = (key: Buffer, data: string | Buffer) => createHmac('sha1', key).update(data).digest();
const sha1 = (data: Buffer) => createHash('sha1').update(data).digest();

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export type ScramState = 'initial' | 'awaiting-server-first' | 'awaiting-server-final' | 'verified';

/**
 * One SCRAM-SHA-1 exchange: `clientFirst()`, then `clientFinal(serverFirst)`, then
 * `verifyServerFinal(serverFinal)`, which throws unless the server proved it knows the password.
 * The nonce is passed in so the RFC's example can be replayed exactly.
 */
export class ScramSha1Client {
  readonly mechanism: 'SCRAM-SHA-1' | 'SCRAM-SHA-1-PLUS';
  private phase: ScramState = 'initial';
  private readonly clientFirstBare: string;
  private readonly gs2Header: string;
  /** What c= carries: the GS2 header, followed by the channel binding data with -PLUS. */
  private readonly channelBindingInput: Buffer;
  private expectedServerSignature: Buffer | undefined;

  constructor(
    username: string,
    private readonly password: string,
    private readonly clientNonce: string = randomScramNonce(),
    channelBinding: ScramChannelBinding = { flag: 'n' },
  ) {
    if (!username) throw new ScramError('SCRAM needs a username');
    if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) throw new ScramError('a SCRAM nonce must be printable ASCII without ","');
    this.clientFirstBare = `n=${escapeUsername(username.normalize('NFKC'))},r=${clientNonce}`;
    this.mechanism = channelBinding.flag === 'p' ? 'SCRAM-SHA-1-PLUS' : 'SCRAM-SHA-1';
    this.gs2Header = channelBinding.flag === 'p' ? `p=${channelBinding.binding.type},,` : `${channelBinding.flag},,`;
    this.channelBindingInput = Buffer.concat([Buffer.from(this.gs2Header), channelBinding.flag === 'p' ? channelBinding.binding.data : Buffer.alloc(0)]);
  }

  get state(): ScramState {
    return this.phase;
  }

  get verified(): boolean {
    return this.phase === 'verified';
  }

  clientFirst(): string {
    if (this.phase !== 'initial') throw new ScramError('client-first message already sent');
    this.phase = 'awaiting-server-first';
    return this.gs2Header + this.clientFirstBare;
  }

  async clientFinal(serverFirst: string): Promise<string> {
    if (this.phase !== 'awaiting-server-first') throw new ScramError(`unexpected server-first message (state ${this.phase})`);
    if (serverFirst.startsWith('m=')) throw new ScramError('server-first message demands an unsupported mandatory extension (m=)');
    const attributes = parseAttributes(serverFirst);
    const nonce = attributes.get('r');
    const salt = attributes.get('s');
    const iterationText = attributes.get('i');
    if (nonce === undefined || salt === undefined || iterationText === undefined) {
      throw new ScramError(`server-first message lacks r, s or i: ${JSON.stringify(serverFirst)}`);
    }
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new ScramError('server nonce does not extend the client nonce');
    }
    const iterations = Number(iterationText);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new ScramError(`server asked for an unusable iteration count ${JSON.stringify(iterationText)}`);
    }
    const saltBytes = Buffer.from(salt, 'base64');
    if (saltBytes.length === 0) throw new ScramError('server-first message has an empty salt');

    // SASLprep (RFC 4013) reduced to its normalization step: enough for the passwords earshot's labs use.
    const saltedPassword = await pbkdf2Async(this.password.normalize('NFKC'), saltBytes, iterations, 20, 'sha1');
    const clientKey = hmac(saltedPassword, 'Client Key');
    const storedKey = sha1(clientKey);
    const clientFinalWithoutProof = `c=${this.channelBindingInput.toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    const clientProof = xor(clientKey, hmac(storedKey, authMessage));
    this.expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage);
    this.phase = 'awaiting-server-final';
    return `${clientFinalWithoutProof},p=${clientProof.toString('base64')}`;
  }

  verifyServerFinal(serverFinal: string): void {
    if (this.phase !== 'awaiting-server-final' || !this.expectedServerSignature) {
      throw new ScramError(`unexpected server-final message (state ${this.phase})`);
    }
    const attributes = parseAttributes(serverFinal);
    const serverError = attributes.get('e');
    if (serverError !== undefined) throw new ScramError(`server rejected the authentication: ${serverError}`);
    const signature = Buffer.from(attributes.get('v') ?? '', 'base64');
    if (signature.length !== this.expectedServerSignature.length || !timingSafeEqual(signature, this.expectedServerSignature)) {
      throw new ScramError('server signature is wrong: the server does not know the password (or the exchange was tampered with)');
    }
    this.phase = 'verified';
  }
}
