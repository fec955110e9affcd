// `earshot run` as a user runs it: every sample script against the lab (those that need an outside client are
// validated only), exit codes that follow the expectations, a script with an error that places no call, a
// JUnit file that passes a JUnit XML schema, and a capture that tshark decodes as RTP.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../src/lab/index.js';
import { loadScenario, type RunReport } from '../../src/scenario/index.js';
import { earshot } from '../helpers/earshot-process.js';
import { sharedLab } from '../helpers/lab.js';

const SAMPLES = fileURLToPath(new URL('../../../samples/', import.meta.url));
const SCHEMA = fileURLToPath(new URL('../../../test/fixtures/junit/junit.xsd', import.meta.url));

const hasTool = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

function needsOutsideClient(file: string): boolean {
  return Object.values(loadScenario(join(SAMPLES, file)).accounts).some((account) => 'external' in account);
}

async function run(lab: Lab, script: string, out: string, extra: string[] = []): Promise<{ code: number | null; report: RunReport; stdout: string; stderr: string }> {
  const child = earshot(['run', script, '--out', out, '--json', join(out, 'report.json'), '--no-visqol', ...extra], lab);
  const code = await child.exited;
  assert.ok(existsSync(join(out, 'report.json')), `no report written: ${child.stderr()}`);
  return { code, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport, stdout: child.stdout(), stderr: child.stderr() };
}

describe('earshot run', function () {
  this.timeout(180_000);
  const work = mkdtempSync(join(tmpdir(), 'earshot-run-'));
  let lab: Lab;

  before(async () => {
    lab = await sharedLab();
  });

  it('refuses a script with an error, naming file, line and field, and places no call', async () => {
    const script = join(work, 'broken.yaml');
    writeFileSync(script, ['name: broken', 'accounts:', '  alice: { lab: alice }', '  bob: { lab: bob }', 'calls:', '  - name: c', '    caller: alice', '    callee: bob', '    via: jmi', '    steps:', '      - wait: soon', ''].join('\n'));
    const out = join(work, 'broken-out');
    const child = earshot(['run', script, '--out', out], lab);
    assert.equal(await child.exited, 2);
    assert.match(child.stderr(), /broken\.yaml:11: calls\[0\]\.steps\[0\]\.wait: must be a duration/);
    assert.ok(!existsSync(out), 'no output folder: nothing ran');
  });

  for (const file of readdirSync(SAMPLES).filter((name) => name.endsWith('.yaml'))) {
    if (needsOutsideClient(file)) {
      it(`validates ${file} (it needs an outside client)`, async () => {
        const child = earshot(['run', join(SAMPLES, file), '--check'], lab);
        assert.equal(await child.exited, 0, child.stderr());
        assert.match(child.stdout(), /valid/);
      });
      continue;
    }
    it(`runs ${file} against the lab, exiting 0 exactly when every expectation held`, async () => {
      const out = join(work, file.replace(/\.yaml$/, ''));
      const { code, report, stderr } = await run(lab, join(SAMPLES, file), out);
      const scenario = loadScenario(join(SAMPLES, file));
      assert.equal(report.calls.length, scenario.calls.reduce((sum, call) => sum + (call.repeat ?? 1), 0));
      assert.equal(code, report.passed ? 0 : 1);
      for (const call of report.calls) {
        assert.equal(call.passed, call.error === null && call.expectations.every((e) => e.passed), call.name);
        assert.equal(call.expectations.length, Object.keys(scenario.calls.find((c) => c.name === call.script)!.expect ?? {}).length);
      }
      if (scenario.tlsCheck) {
        assert.ok((report.tlsChecks ?? []).length >= 2, 'the TLS client tests ran');
        assert.deepEqual(report.tlsChecks!.filter((test) => !test.passed).map((test) => `${test.name}: ${test.reason}`), []);
      }
      const failures = report.calls.filter((call) => !call.passed).map((call) => `${call.name}: ${call.error ?? call.expectations.filter((e) => !e.passed).map((e) => e.message).join('; ')}`);
      assert.deepEqual(failures, [], stderr);
    });
  }

  it('exits 1 when an expectation fails, with a JUnit file a JUnit XML schema accepts and a pcap tshark decodes as RTP', async function () {
    const script = join(work, 'strict.yaml');
    writeFileSync(
      script,
      [
        'name: strict',
        'accounts:',
        '  alice: { lab: alice }',
        '  bob: { lab: bob }',
        'calls:',
        '  - name: too-demanding',
        '    caller: alice',
        '    callee: bob',
        '    via: jmi',
        '    codec: pcmu',
        '    steps: [answer: {}, wait: 2s, hangup: {}]',
        '    expect: { setupMs: "< 10000", mosLqo: "> 4.9" }',
        '',
      ].join('\n'),
    );
    const out = join(work, 'strict-out');
    const junit = join(out, 'junit.xml');
    const { code, report, stdout } = await run(lab, script, out, ['--junit', junit]);
    assert.equal(code, 1);
    assert.match(stdout, /FAIL strict: 0 of 1 calls passed/);
    const [call] = report.calls;
    assert.deepEqual(call!.expectations.map((e) => [e.name, e.passed]), [['setupMs', true], ['mosLqo', false]]);

    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<testcase classname="strict.too-demanding" name="mosLqo &gt; 4.9" time="0.000">\s*<failure message="mosLqo: [\d.]+ fails &gt; 4.9" type="expectation">expected mosLqo &gt; 4.9, measured [\d.]+<\/failure>/);
    assert.match(xml, /<testsuite name="strict" tests="3" failures="1" errors="0"/);
    if (hasTool('xmllint')) {
      execFileSync('xmllint', ['--noout', '--schema', SCHEMA, junit], { stdio: 'pipe' });
    } else {
      this.test!.title += ' (schema check skipped: xmllint missing)';
    }

    const pcap = join(out, call!.files.pcap!);
    if (!hasTool('tshark')) return;
    const [port] = execFileSync('tshark', ['-r', pcap, '-c', '1', '-T', 'fields', '-e', 'udp.srcport'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split('\n');
    const decoded = (filter: string) =>
      execFileSync('tshark', ['-r', pcap, '-d', `udp.port==${port},rtp`, '-Y', filter, '-T', 'fields', '-e', 'rtp.p_type'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split('\n').filter(Boolean);
    const payloadTypes = decoded('rtp');
    assert.ok(payloadTypes.length > 150, `${payloadTypes.length} RTP packets decoded`);
    assert.deepEqual([...new Set(payloadTypes)], [String(report.calls[0]!.report!.codec!.payloadType)]);
    assert.deepEqual(decoded('_ws.malformed'), []);
  });
});
