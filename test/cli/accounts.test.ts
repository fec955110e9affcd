import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountError, resolveAccount } from '../../src/cli/accounts.js';
import { scrub } from '../../src/util/index.js';

describe('cli/accounts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-accounts-'));
  const noLab = join(dir, 'no-lab');
  const file = join(dir, 'accounts.yaml');
  writeFileSync(
    file,
    [
      'alice:',
      '  jid: alice@example.org',
      '  password-env: ALICE_PASSWORD',
      '  host: xmpp.example.org',
      '  port: 5223',
      '  tls: direct',
      'bob:',
      '  jid: bob@example.org',
      '  password: inline-is-refused',
    ].join('\n'),
  );

  it('reads an accounts-file entry by name or JID, password from the environment, and redacts it', () => {
    const env = { ALICE_PASSWORD: 's3cret-pass' };
    for (const name of ['alice', 'alice@example.org']) {
      const account = resolveAccount(name, { accountsFile: file, labDir: noLab, env });
      assert.deepEqual(account, { jid: 'alice@example.org', password: 's3cret-pass', host: 'xmpp.example.org', port: 5223, tls: 'direct', ca: undefined });
    }
    assert.equal(scrub('login with s3cret-pass failed'), 'login with *** failed');
  });

  it('refuses inline passwords and unset variables, naming the file and account', () => {
    assert.throws(() => resolveAccount('bob', { accountsFile: file, labDir: noLab, env: {} }), /accounts\.yaml: account "bob": give "password-env" or "password-file"/);
    assert.throws(() => resolveAccount('alice', { accountsFile: file, labDir: noLab, env: {} }), /ALICE_PASSWORD is not set/);
  });

  it('takes a JID with $EARSHOT_PASSWORD, and says where credentials can come from otherwise', () => {
    assert.equal(resolveAccount('carol@example.org', { accountsFile: file, labDir: noLab, env: { EARSHOT_PASSWORD: 'pw-carol' } }).password, 'pw-carol');
    assert.throws(() => resolveAccount('carol@example.org', { accountsFile: file, labDir: noLab, env: {} }), (error: unknown) => error instanceof AccountError && /EARSHOT_PASSWORD/.test(error.message));
  });
});
