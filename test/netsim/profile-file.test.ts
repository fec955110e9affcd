// Profile files as users write them: every shipped profile loads, and every mistake is reported with the
// file, the line and the field.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listProfiles, loadProfile, parseProfile, ProfileError, SHIPPED_PROFILES_DIR } from '../../src/netsim/profile-file.js';
import { validateImpairment } from '../../src/netsim/validate.js';

const EXAMPLE = `name: 3g-lossy
source: "BrowserStack 3G lossy preset: 200 ms, 1% loss, 200/50 kbps"
description: "3G with random losses"
up:   { delayMs: 200, loss: { model: random, percent: 1 }, rate: { kbps: 50 } }
down: { delayMs: 200, loss: { model: random, percent: 1 }, rate: { kbps: 200 } }
`;

function problemsOf(text: string, file = 'profiles/mine.yaml'): string[] {
  try {
    parseProfile(text, file);
  } catch (error) {
    assert.ok(error instanceof ProfileError, String(error));
    return error.problems;
  }
  assert.fail('the profile was accepted');
}

describe('profile files', () => {
  it('reads the example into one phase with both directions', () => {
    assert.deepEqual(parseProfile(EXAMPLE, 'profiles/mine.yaml'), {
      name: '3g-lossy',
      source: 'BrowserStack 3G lossy preset: 200 ms, 1% loss, 200/50 kbps',
      description: '3G with random losses',
      phases: [
        {
          atS: 0,
          up: { delayMs: 200, loss: { model: 'random', percent: 1 }, rate: { kbps: 50 } },
          down: { delayMs: 200, loss: { model: 'random', percent: 1 }, rate: { kbps: 200 } },
        },
      ],
    });
  });

  it('loads every shipped profile, named as its file, with a source, and the model accepts every direction', () => {
    const listed = listProfiles();
    const names = listed.map((entry) => entry.name);
    for (const required of ['clean', '3g-good', '3g-typical', '3g-lossy', '3.5g-hspa', 'edge', 'lte', 'wifi-congested', 'very-bad', 'g1050-c', 'g1050-e', 'g1050-h', 'handover-lte-3g', '3g-umts-trace']) {
      assert.ok(names.includes(required), `${required} is shipped`);
    }
    for (const { name, source, summary } of listed) {
      const profile = loadProfile(name);
      assert.equal(profile.name, name);
      assert.ok(source.length > 20, `${name} says where its figures come from`);
      assert.ok(summary.length > 0);
      for (const phase of profile.phases) {
        assert.deepEqual([...validateImpairment(phase.up), ...validateImpairment(phase.down)], [], name);
      }
    }
  });

  it('summarizes the figures a user compares profiles by', () => {
    const byName = new Map(listProfiles().map((entry) => [entry.name, entry.summary]));
    assert.equal(byName.get('3g-lossy'), 'up 200 ms, 1% loss, 50 kbps | down 200 ms, 1% loss, 200 kbps');
    assert.equal(byName.get('clean'), 'up no impairment | down no impairment');
    assert.match(byName.get('handover-lte-3g')!, /from 5 s outage: up outage \(100% loss\)/);
  });

  it('ships a handover: LTE, a 2 s outage, then 3G', () => {
    const profile = loadProfile('handover-lte-3g');
    assert.deepEqual(profile.phases.map((phase) => [phase.atS, phase.name]), [[0, 'lte'], [5, 'outage'], [7, '3g-typical']]);
    assert.deepEqual(profile.phases[1]!.down.loss, { model: 'random', percent: 100 });
  });

  it('resolves a trace relative to the profile file and says the shipped trace is synthetic', () => {
    const profile = loadProfile('3g-umts-trace');
    assert.equal(profile.phases[0]!.down.trace!.file, join(SHIPPED_PROFILES_DIR, 'traces/umts-synthetic.down'));
    assert.match(profile.source, /SYNTHETIC/);
    assert.match(profile.source, /bench\/make-umts-trace\.ts/);
  });

  it('names file, line and field for an unknown field', () => {
    const text = EXAMPLE.replace('down: { delayMs: 200,', 'down: { delayMS: 200,');
    assert.deepEqual(problemsOf(text), [
      'profiles/mine.yaml:5: down.delayMS: unknown field (known: delayMs, jitter, loss, rate, duplicatePercent, reorder, slot, outages, trace)',
    ]);
  });

  it('rejects a negative delay, on the line of the field', () => {
    const text = 'name: x\nsource: mine\nup:\n  delayMs: 10\ndown:\n  delayMs: -5\n';
    assert.deepEqual(problemsOf(text), ['profiles/mine.yaml:6: down.delayMs: must not be negative (-5)']);
  });

  it('rejects loss above 100%', () => {
    const text = 'name: x\nsource: mine\nup: {}\ndown:\n  delayMs: 10\n\n  loss:\n    model: random\n    percent: 120\n';
    assert.deepEqual(problemsOf(text), ['profiles/mine.yaml:9: down.loss.percent: must be 0..100 (120)']);
  });

  it('rejects a burst too short for its loss, with the reason from the model, inside a phase', () => {
    const text = [
      'name: x',
      'source: mine',
      'phases:',
      '  - atS: 0',
      '    up: {}',
      '    down: {}',
      '  - atS: 3',
      '    up: {}',
      '    down:',
      '      loss: { model: gilbert-elliott, percent: 60, meanBurst: 1.2 }',
    ].join('\n');
    const problems = problemsOf(text);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^profiles\/mine\.yaml:10: phases\[1\]\.down\.loss\.meanBurst: 1\.2 is below what a 60% loss allows \(must exceed 1\.5\)$/);
  });

  it('rejects an unknown jitter distribution, listing the known ones', () => {
    const text = 'name: x\nsource: mine\nup:\n  jitter: { ms: 20, distribution: gaussian }\ndown: {}\n';
    assert.deepEqual(problemsOf(text), [
      'profiles/mine.yaml:4: up.jitter.distribution: must be one of uniform, normal, pareto, paretonormal ("gaussian")',
    ]);
  });

  it('rejects an unknown loss model', () => {
    const text = 'name: x\nsource: mine\nup: {}\ndown:\n  loss: { model: bursty, percent: 3 }\n';
    assert.deepEqual(problemsOf(text), [
      'profiles/mine.yaml:5: down.loss.model: must be one of random, gilbert-elliott, gilbert-elliott-4 ("bursty")',
    ]);
  });

  it('reports malformed YAML at the line the YAML parser names', () => {
    const problems = problemsOf('name: x\nsource: mine\nup: { delayMs: 10\ndown: {}\n');
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^profiles\/mine\.yaml:[34]: /);
    assert.deepEqual(problemsOf('name: x\nsource: mine\nname: y\nup: {}\ndown: {}\n').map((p) => p.slice(0, 22)), ['profiles/mine.yaml:3: ']);
  });

  it('reports every problem at once, and phases out of order', () => {
    const text = 'name: x\nsource: mine\nphases:\n  - { atS: 2, up: {}, down: {} }\n  - { atS: 1, up: {}, down: {} }\n';
    assert.deepEqual(problemsOf(text), [
      'profiles/mine.yaml:4: phases[0].atS: the first phase must start at 0 (2)',
      'profiles/mine.yaml:5: phases[1].atS: must be later than the phase before (1 <= 2)',
    ]);
  });

  it('wants both directions or phases, and a source', () => {
    assert.deepEqual(problemsOf('name: x\nsource: mine\nup: {}\n'), ['profiles/mine.yaml:1: down: missing (give up and down, or phases)']);
    assert.deepEqual(problemsOf('name: x\nup: {}\ndown: {}\n'), ['profiles/mine.yaml:1: source: missing']);
  });

  it('rejects a trace file that is not there, on its line', () => {
    const text = 'name: x\nsource: mine\nup: {}\ndown:\n  trace: { file: nowhere.trace }\n';
    const problems = problemsOf(text, '/tmp/profiles/mine.yaml');
    assert.deepEqual(problems, ['/tmp/profiles/mine.yaml:5: down.trace.file: no such trace file (/tmp/profiles/nowhere.trace)']);
  });

  it('lists the known names for an unknown profile name', () => {
    assert.throws(() => loadProfile('3g-bad'), (error: Error) => {
      assert.ok(error instanceof ProfileError);
      assert.match(error.message, /^unknown profile "3g-bad": known profiles are .*3g-lossy.*very-bad/);
      return true;
    });
  });

  it('loads a user file by path, and says when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-profile-'));
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, EXAMPLE);
    assert.equal(loadProfile(file).phases[0]!.down.rate!.kbps, 200);
    assert.throws(() => loadProfile(join(dir, 'other.yaml')), /other\.yaml: no such file/);
  });
});
