import assert from 'node:assert/strict';
import { ScramSha1Client } from '../../src/xmpp/scram-sha-1.js';

// RFC 5802 §5: the example exchange for user "user", password "pencil".
const rfc = {
  clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
  clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
  serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
  clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
  serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
};

const rfcClient = () => new ScramSha1Client('user', 'pencil', rfc.clientNonce);

describe('xmpp/scram-sha-1', () => {
  it('reproduces the RFC 5802 example exchange', async () => {
    const scram = rfcClient();
    assert.equal(scram.clientFirst(), rfc.clientFirst);
    assert.equal(await scram.clientFinal(rfc.serverFirst), rfc.clientFinal);
    assert.equal(scram.verified, false);
    scram.verifyServerFinal(rfc.serverFinal);
    assert.equal(scram.verified, true);
  });

  it('rejects a server signature that does not match the password', async () => {
    const scram = rfcClient();
    scram.clientFirst();
    await scram.clientFinal(rfc.serverFirst);
    assert.throws(() => scram.verifyServerFinal('v=AAAAAAAAAAAAAAAAAAAAAAAAAAA='), /server signature is wrong/);
    assert.equal(scram.verified, false);
  });

  it('rejects a server signature computed for another password', async () => {
    const wrongPassword = new ScramSha1Client('user', 'pencil2', rfc.clientNonce);
    wrongPassword.clientFirst();
    await wrongPassword.clientFinal(rfc.serverFirst);
    assert.throws(() => wrongPassword.verifyServerFinal(rfc.serverFinal), /server signature is wrong/);
  });

  it('rejects a server nonce that does not extend the client nonce', async () => {
    const scram = rfcClient();
    scram.clientFirst();
    await assert.rejects(scram.clientFinal('r=someoneelse,s=QSXCR+Q6sek8bf92,i=4096'), /does not extend the client nonce/);
  });

  it('rejects mandatory extensions, missing attributes and absurd iteration counts', async () => {
    for (const [serverFirst, message] of [
      [`m=ext,${rfc.serverFirst}`, /mandatory extension/],
      [`r=${rfc.clientNonce}xyz,i=4096`, /lacks r, s or i/],
      [`r=${rfc.clientNonce}xyz,s=QSXCR+Q6sek8bf92,i=0`, /iteration count/],
      [`r=${rfc.clientNonce}xyz,s=QSXCR+Q6sek8bf92,i=999999999`, /iteration count/],
      ['garbage', /malformed SCRAM attribute/],
    ] as const) {
      const scram = rfcClient();
      scram.clientFirst();
      await assert.rejects(scram.clientFinal(serverFirst), message);
    }
  });

  it('reports a server-final error attribute', async () => {
    const scram = rfcClient();
    scram.clientFirst();
    await scram.clientFinal(rfc.serverFirst);
    assert.throws(() => scram.verifyServerFinal('e=invalid-proof'), /server rejected the authentication: invalid-proof/);
  });

  it('escapes "," and "=" in usernames (RFC 5802 §5.1)', () => {
    assert.equal(new ScramSha1Client('a,b=c', 'x', 'nonce').clientFirst(), 'n,,n=a=2Cb=3Dc,r=nonce');
  });

  it('refuses a server-final message before the client-final one', () => {
    const scram = rfcClient();
    scram.clientFirst();
    assert.throws(() => scram.verifyServerFinal(rfc.serverFinal), /unexpected server-final/);
  });
});
