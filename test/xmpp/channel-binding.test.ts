import assert from 'node:assert/strict';
import { chooseScram, SaslError } from '../../src/xmpp/sasl.js';
import { ScramSha1Client } from '../../src/xmpp/scram-sha-1.js';
import type { ChannelBinding } from '../../src/xmpp/channel-binding.js';

const tlsUnique: ChannelBinding = { type: 'tls-unique', data: Buffer.from('a1b2c3d4e5f60718293a4b5c', 'hex') };
const exporter: ChannelBinding = { type: 'tls-exporter', data: Buffer.alloc(32, 7) };
const serverFirst = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';

describe('xmpp: SCRAM-SHA-1-PLUS and the GS2 channel-binding flag', () => {
  it('binds to the TLS channel: GS2 header p=tls-unique, c= carries the header and the Finished message', async () => {
    const scram = new ScramSha1Client('user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL', { flag: 'p', binding: tlsUnique });
    assert.equal(scram.mechanism, 'SCRAM-SHA-1-PLUS');
    assert.equal(scram.clientFirst(), 'p=tls-unique,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    assert.match(await scram.clientFinal(serverFirst), /^c=cD10bHMtdW5pcXVlLCyhssPU5fYHGCk6S1w=,r=fyko\+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=/);
  });

  it('says "y" in plain SCRAM-SHA-1 when it could have bound', async () => {
    const scram = new ScramSha1Client('user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL', { flag: 'y' });
    assert.equal(scram.mechanism, 'SCRAM-SHA-1');
    assert.equal(scram.clientFirst(), 'y,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    assert.match(await scram.clientFinal(serverFirst), /^c=eSws,/);
  });

  const plain = ['SCRAM-SHA-1', 'PLAIN'];
  const withPlus = ['SCRAM-SHA-1', 'SCRAM-SHA-1-PLUS', 'PLAIN'];
  const choose = (offered: string[], binding: ChannelBinding | undefined, policy: 'prefer' | 'require' = 'prefer', serverBindingTypes?: string[]) =>
    chooseScram({ offered, binding, serverBindingTypes, policy });

  it('uses -PLUS whenever the server offers it and the connection can bind', () => {
    assert.deepEqual(choose(withPlus, tlsUnique), { flag: 'p', binding: tlsUnique });
    assert.deepEqual(choose(withPlus, exporter, 'require', ['tls-exporter', 'tls-server-end-point']), { flag: 'p', binding: exporter });
  });

  it('falls back to SCRAM-SHA-1 only under the prefer policy, with the flag that lets a server detect a stripped -PLUS', () => {
    assert.deepEqual(choose(plain, exporter), { flag: 'y' }); // Prosody 0.12 over TLS 1.3
    assert.deepEqual(choose(plain, undefined), { flag: 'n' }); // no TLS
    // The server offers -PLUS but only with a binding type this connection lacks: we cannot bind, so "n", never "y".
    assert.deepEqual(choose(withPlus, exporter, 'prefer', ['tls-unique']), { flag: 'n' });
    // Listing no types (no XEP-0440) means tls-unique: ejabberd 23.01 offers -PLUS over TLS 1.3 and checks tls-unique.
    assert.deepEqual(choose(withPlus, exporter), { flag: 'n' });
    for (const [offered, binding, types] of [
      [plain, exporter, undefined],
      [withPlus, undefined, undefined],
      [withPlus, exporter, ['tls-unique']],
      [withPlus, exporter, undefined],
    ] as const) {
      assert.throws(
        () => choose([...offered], binding, 'require', types && [...types]),
        (error: Error) => error instanceof SaslError && error.condition === 'channel-binding-required',
      );
    }
  });

  it('says why when there is no SCRAM at all', () => {
    assert.throws(() => choose(['PLAIN'], undefined), /no-common-mechanism .*the server offers PLAIN/);
  });
});
