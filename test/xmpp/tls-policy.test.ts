import assert from 'node:assert/strict';
import { classifyTlsError, TlsError } from '../../src/xmpp/tls-policy.js';

const nodeError = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('xmpp/tls-policy', () => {
  it('names the reason for Node certificate errors, keeping the code', () => {
    const cases = {
      CERT_HAS_EXPIRED: 'expired',
      ERR_TLS_CERT_ALTNAME_INVALID: 'name-mismatch',
      UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
      SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
      DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
      CERT_NOT_YET_VALID: 'not-yet-valid',
      ERR_SSL_WRONG_VERSION_NUMBER: 'handshake-failed',
    };
    for (const [code, reason] of Object.entries(cases)) {
      const error = classifyTlsError(nodeError(code), 'example.org');
      assert.ok(error instanceof TlsError, code);
      assert.equal(error.reason, reason);
      assert.equal(error.code, code);
      assert.match(error.message, new RegExp(`^TLS to example.org refused: .*\\[${code}\\]`));
    }
  });

  it('leaves errors that are not about TLS alone', () => {
    assert.equal(classifyTlsError(nodeError('ECONNREFUSED'), 'example.org'), undefined);
    assert.equal(classifyTlsError(new Error('no code'), 'example.org'), undefined);
  });
});

describe('xmpp/tls-policy: below TLS 1.2', () => {
  it('names a server that speaks only older TLS, whether it alerts or answers with its old version', () => {
    for (const code of ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL']) {
      assert.equal(classifyTlsError(nodeError(code), 'example.org')?.reason, 'protocol-too-old');
    }
  });
});
