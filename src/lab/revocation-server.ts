/**
 * The lab CA's revocation services over HTTP on loopback: its CRL (GET /ca.crl, signed afresh for
 * each request) and its OCSP responder (POST /ocsp, or GET /ocsp/<base64 request>, RFC 6960 A.1).
 * Started first on a free port, so that certificates can name it; certificates are revoked afterwards.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { logger } from '../util/index.js';
import { issueCrl, type IssuedCertificate, type RevokedSerial } from './certificates.js';
import { answerOcspRequest } from './ocsp-responder.js';

const log = logger('lab');
const MAX_REQUEST_BYTES = 64 * 1024;
const CRL_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

export interface RevocationServer {
  crlUrl: string;
  ocspUrl: string;
  port: number;
  /** From now on the CRL lists the serial and OCSP answers "revoked" for it. */
  revoke(serialNumber: string, revokedAt: Date): void;
  close(): Promise<void>;
}

/** `port` 0 picks a free one. */
export async function startRevocationServer(issuer: IssuedCertificate, host = '127.0.0.1', port = 0, clock: () => Date = () => new Date()): Promise<RevocationServer> {
  const revoked: RevokedSerial[] = [];
  const server = createServer((request, response) => {
    answer(request, response, issuer, revoked, clock()).catch((error: Error) => {
      log.error(`revocation server: ${error.message}`);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const listening = (server.address() as { port: number }).port;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${listening}`;
  return {
    crlUrl: `${base}/ca.crl`,
    ocspUrl: `${base}/ocsp`,
    port: listening,
    revoke: (serialNumber, revokedAt) => revoked.push({ serialNumber, revokedAt }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // clients keep HTTP connections alive, which close() would wait out
      }),
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, issuer: IssuedCertificate, revoked: RevokedSerial[], now: Date): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://lab').pathname;
  if (request.method === 'GET' && path === '/ca.crl') {
    return send(response, 'application/pkix-crl', await issueCrl(issuer, revoked, now, new Date(now.getTime() + CRL_VALIDITY_MS)));
  }
  if (request.method === 'POST' && path === '/ocsp') {
    return send(response, 'application/ocsp-response', await answerOcspRequest(await readBody(request), issuer, revoked, now));
  }
  if (request.method === 'GET' && path.startsWith('/ocsp/')) {
    const encoded = decodeURIComponent(path.slice('/ocsp/'.length));
    return send(response, 'application/ocsp-response', await answerOcspRequest(new Uint8Array(Buffer.from(encoded, 'base64')), issuer, revoked, now));
  }
  response.writeHead(404).end();
}

function send(response: ServerResponse, contentType: string, body: Uint8Array): void {
  response.writeHead(200, { 'content-type': contentType, 'content-length': body.length }).end(body);
}

function readBody(request: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_REQUEST_BYTES) request.destroy(new Error(`request larger than ${MAX_REQUEST_BYTES} bytes`));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    request.on('error', reject);
  });
}
