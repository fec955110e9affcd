import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.js';
import { tlsCheckLab } from '../../src/tlscheck/lab-suite.js';
import { allPassed, reportJson, reportTable, type TlsCheckReport } from '../../src/tlscheck/report.js';

describe('tlscheck: the seed\'s client tests against the lab\'s good and broken servers', function () {
  let dir: string;
  let lab: Lab;
  let report: TlsCheckReport;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'earshot-tlscheck-'));
    lab = await Lab.start({ dir, brokenServers: true, ipv6: true, turn: false, accounts: ['alice'] });
    report = await tlsCheckLab(lab.info);
  });

  after(async () => {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const outcome = (name: string) => {
    const test = report.tests.find((candidate) => candidate.name === name);
    assert.ok(test, `no test "${name}"`);
    return test;
  };

  it('refuses each broken server for its own reason and accepts the good ones', () => {
    assert.deepEqual(
      report.tests.map((test) => [test.name, test.expected, test.result, test.reason.split(':')[0]]),
      [
        ['connects without TLS when allowed (insecure policy)', 'accept', 'accepted', 'no TLS (insecure policy); SCRAM-SHA-1, GS2 flag n'],
        ['TLS required: refuses a server offering no TLS', 'refuse', 'refused', 'no-tls-offered'],
        ['connects with TLS required', 'accept', 'accepted', 'TLSv1.3, certificate "CN=localhost, O=earshot lab" from "CN=earshot lab CA, O=earshot lab", revocation good [crl http'],
        ['refuses an expired certificate', 'refuse', 'refused', 'expired'],
        ['refuses a revoked certificate (CRL)', 'refuse', 'refused', 'revoked'],
        ['refuses a revoked certificate (OCSP)', 'refuse', 'refused', 'revoked'],
        ['refuses an untrusted issuer', 'refuse', 'refused', 'untrusted'],
        ['refuses a name not matching the service', 'refuse', 'refused', 'name-mismatch'],
        ['accepts the service named by SRV-ID and xmppAddr only', 'accept', 'accepted', 'TLSv1.3, certificate "CN=srv-id.localhost, O=earshot lab" from "CN=earshot lab CA, O=earshot lab", revocation not checkable'],
        ['refuses a server speaking only TLS 1.1', 'refuse', 'refused', 'protocol-too-old'],
        ['SCRAM-SHA-1-PLUS channel binding (TLS 1.2)', 'accept', 'accepted', 'TLSv1.2, certificate "CN=tls-1.2.localhost, O=earshot lab" from "CN=earshot lab CA, O=earshot lab", revocation good [crl http'],
        ['no fallback to SCRAM-SHA-1 when channel binding is required', 'refuse', 'refused', 'channel-binding-required'],
        ['revocation unreachable: soft-fail by default', 'accept', 'accepted', 'TLSv1.3, certificate "CN=revocation-unreachable.localhost, O=earshot lab" from "CN=earshot lab CA, O=earshot lab", revocation unknown (soft-fail) [crl http'],
        ['revocation unreachable: refused with hard-fail', 'refuse', 'refused', 'revocation-unknown'],
        ['logs in over IPv6', 'accept', 'accepted', 'TLSv1.3, certificate "CN=localhost, O=earshot lab" from "CN=earshot lab CA, O=earshot lab", revocation good [crl http'],
      ],
    );
    assert.ok(allPassed(report));
  });

  it('checks revocation of the good server by CRL and by OCSP, and names how each revoked one was caught', () => {
    assert.match(outcome('connects with TLS required').reason, /revocation good \[crl http:\/\/127\.0\.0\.1:\d+\/ca\.crl: good; ocsp http:\/\/127\.0\.0\.1:\d+\/ocsp: good\]/);
    assert.match(outcome('refuses a revoked certificate (CRL)').reason, /\[crl http:\/\/\S+: revoked \(revoked on /);
    assert.match(outcome('refuses a revoked certificate (OCSP)').reason, /\[ocsp http:\/\/\S+: revoked \(revoked on /);
  });

  it('binds SCRAM to TLS 1.2 with tls-unique against Prosody 0.12, and logs in over ::1', () => {
    assert.match(outcome('SCRAM-SHA-1-PLUS channel binding (TLS 1.2)').reason, /; SCRAM-SHA-1-PLUS \(tls-unique\), GS2 flag p$/);
    assert.match(outcome('no fallback to SCRAM-SHA-1 when channel binding is required').reason, /does not offer SCRAM-SHA-1-PLUS over this connection \(it offers [A-Z0-9, -]+; tls-exporter was possible\)/);
    assert.match(outcome('logs in over IPv6').server, /^localhost \(\[::1\]:\d+\)$/);
  });

  it('prints the JSON contract and a table with PASS/FAIL', () => {
    const json = reportJson(report);
    assert.deepEqual(Object.keys(json.tests[0]!), ['name', 'server', 'expected', 'result', 'reason']);
    const table = reportTable(report).split('\n');
    assert.match(table[0]!, /^test +server +expected +result +reason$/);
    assert.match(table[4]!, /^refuses an expired certificate +expired\.localhost \(127\.0\.0\.1:\d+\) +refuse +refused +PASS +expired: TLS to expired\.localhost refused/);
    assert.equal(table.at(-2), '15 of 15 passed');
  });
});
