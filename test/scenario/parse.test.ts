import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadScenario, parseDuration, parseScenario, ScenarioError, type Scenario } from '../../src/scenario/index.js';

/** The problems a script produces (fails the test if it parses). */
function problemsOf(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  assert.fail('the script parsed');
}

const header = `name: t
accounts:
  alice: { lab: alice }
  bob: { lab: bob }
calls:
  - name: c
    caller: alice
    callee: bob
    via: jmi
    steps:
`;

describe('parseScenario', () => {
  it('reads a full script into the typed model', () => {
    const text = `name: mixed
description: two servers
parallel: 2
accounts:
  alice: { lab: alice }
  remote:
    jid: tester@example.org
    passwordEnv: REMOTE_PASSWORD
    host: xmpp.example.org
    port: 5223
    tls: direct
    ca: ca.pem
  filed: { jid: f@example.org/phone, passwordFile: secrets/f }
calls:
  - name: first
    caller: alice
    callee: remote
    via: direct
    codec: pcmu
    leadIn: 750ms
    profile: 3g-lossy
    repeat: 3
    steps:
      - expectRinging: {}
      - answer: {}
      - play: speech.wav
      - record: { file: heard.wav, side: callee }
      - dtmf: { digits: "*9", side: callee }
      - mute: true
      - hold: { on: false, side: callee }
      - profile: edge
      - iceRestart: { side: callee }
      - wait: 1.5s
      - wait: 250ms
      - hangup: { side: callee }
    expect:
      setupMs: "< 3000"
      calleeToCaller: { mosLqo: ">= 3.5" }
  - name: second
    caller: filed
    callee: alice
    via: jmi
    steps:
      - expectRinging: { within: 2s }
      - reject: { reason: busy }
`;
    const expected: Scenario = {
      name: 'mixed',
      description: 'two servers',
      accounts: {
        alice: { lab: 'alice' },
        remote: { jid: 'tester@example.org', passwordEnv: 'REMOTE_PASSWORD', host: 'xmpp.example.org', port: 5223, tls: 'direct', ca: 'ca.pem' },
        filed: { jid: 'f@example.org/phone', passwordFile: 'secrets/f' },
      },
      calls: [
        {
          name: 'first',
          caller: 'alice',
          callee: 'remote',
          via: 'direct',
          codec: 'pcmu',
          leadInMs: 750,
          profile: '3g-lossy',
          repeat: 3,
          steps: [
            { kind: 'expectRinging' },
            { kind: 'answer' },
            { kind: 'play', file: 'speech.wav', side: 'caller' },
            { kind: 'record', file: 'heard.wav', side: 'callee' },
            { kind: 'dtmf', digits: '*9', side: 'callee' },
            { kind: 'mute', on: true, side: 'caller' },
            { kind: 'hold', on: false, side: 'callee' },
            { kind: 'profile', profile: 'edge', side: 'caller' },
            { kind: 'iceRestart', side: 'callee' },
            { kind: 'wait', ms: 1500 },
            { kind: 'wait', ms: 250 },
            { kind: 'hangup', side: 'callee' },
          ],
          expect: { setupMs: '< 3000', 'calleeToCaller.mosLqo': '>= 3.5' },
        },
        {
          name: 'second',
          caller: 'filed',
          callee: 'alice',
          via: 'jmi',
          steps: [
            { kind: 'expectRinging', withinMs: 2000 },
            { kind: 'reject', reason: 'busy' },
          ],
        },
      ],
      parallel: 2,
    };
    assert.deepEqual(parseScenario(text, 'mixed.yaml'), expected);
  });

  it('parses the shipped sample', () => {
    const sample = fileURLToPath(new URL('../../../samples/self-call.yaml', import.meta.url));
    const scenario = loadScenario(sample);
    assert.equal(scenario.calls.length, 1);
    assert.deepEqual(scenario.accounts, { alice: { lab: 'alice' }, bob: { lab: 'bob' } });
    assert.equal(scenario.calls[0]!.via, 'jmi');
    assert.deepEqual(scenario.calls[0]!.expect, { setupMs: '< 3000', mosLqo: '>= 3.5', 'callerToCallee.lossPct': '< 1%', 'calleeToCaller.mouthToEarMs': '< 300' });
    assert.deepEqual(scenario.calls[0]!.steps.map((step) => step.kind), ['expectRinging', 'answer', 'play', 'record', 'wait', 'hangup']);
  });

  it('checks that tlsCheck names accounts earshot logs in to', () => {
    const text = `name: t
accounts:
  me: { jid: me@example.org, passwordEnv: ME_PASSWORD }
  phone: { jid: you@example.org, external: true }
tlsCheck: [me, phone, nobody]
calls:
  - name: c
    caller: me
    callee: phone
    via: jmi
    steps: [wait: 1s]
`;
    assert.deepEqual(problemsOf(text), [
      'bad.yaml:5: tlsCheck[1]: phone is an external client: earshot does not log in as it',
      'bad.yaml:5: tlsCheck[2]: unknown account "nobody" (accounts: me, phone)',
    ]);
    assert.deepEqual(parseScenario(text.replace('[me, phone, nobody]', '[me]'), 'ok.yaml').tlsCheck, ['me']);
  });

  it('takes an external client as a callee only, with no steps on its side, and one play and record per side', () => {
    const text = `name: t
accounts:
  me: { jid: me@example.org, passwordEnv: ME_PASSWORD }
  phone: { jid: you@example.org/Conversations, external: true, passwordEnv: X }
calls:
  - name: c
    caller: phone
    callee: me
    via: direct
    steps:
      - play: a.wav
      - play: { file: b.wav, side: caller }
  - name: d
    caller: me
    callee: phone
    via: direct
    steps: [answer: {}, wait: 1s]
`;
    assert.deepEqual(problemsOf(text), [
      'bad.yaml:4: accounts.phone.passwordEnv: an external client takes only jid (earshot calls it but does not log in as it)',
      'bad.yaml:7: calls[0].caller: an external client cannot be made to call: earshot places calls from accounts it logs in to',
      'bad.yaml:12: calls[0].steps[1].play: the caller already has a play step: one per side per call',
      'bad.yaml:17: calls[1].steps[0].answer: the callee phone is an external client: earshot cannot answer for it',
    ]);
  });

  it('reports unknown, missing and mistyped fields, all at once', () => {
    const text = `name: t
colour: blue
accounts:
  alice: { lab: alice }
calls:
  - name: c
    caller: alice
    via: phone
    repeat: two
    steps: []
`;
    assert.deepEqual(problemsOf(text), [
      'bad.yaml:2: colour: unknown field (known: name, description, parallel, tlsCheck, accounts, calls)',
      'bad.yaml:6: calls[0].callee: missing',
      'bad.yaml:8: calls[0].via: must be one of jmi, direct ("phone")',
      'bad.yaml:9: calls[0].repeat: must be an integer ("two")',
    ]);
  });

  it('refuses inline passwords and names the alternatives', () => {
    const text = `name: t
accounts:
  alice:
    jid: alice@example.org
    password: hunter2
calls: []
`;
    const problems = problemsOf(text);
    assert.ok(problems.includes('bad.yaml:5: accounts.alice.password: inline passwords are refused (scripts get shared and logged): use passwordEnv (an environment variable name) or passwordFile'));
    assert.ok(problems.every((problem) => !problem.includes('hunter2')), 'the password is never echoed');
  });

  it('requires exactly one password source and a JID for server accounts', () => {
    const text = `name: t
accounts:
  a: { jid: a@example.org }
  b: { jid: b@example.org, passwordEnv: B, passwordFile: b.txt }
  c: { passwordEnv: C }
  d: { lab: dave, jid: d@example.org }
calls:
  - { name: x, caller: a, callee: b, via: jmi, steps: [] }
`;
    assert.deepEqual(problemsOf(text), [
      'bad.yaml:3: accounts.a: needs passwordEnv or passwordFile',
      'bad.yaml:4: accounts.b.passwordFile: give passwordEnv or passwordFile, not both',
      'bad.yaml:5: accounts.c.jid: missing (or give lab: NAME for a lab account)',
      'bad.yaml:6: accounts.d.jid: a lab account takes only lab (the lab knows its server and password)',
    ]);
  });

  it('names unknown accounts referenced by calls', () => {
    const text = header.replace('callee: bob', 'callee: carol') + '      - answer: {}\n';
    assert.deepEqual(problemsOf(text), ['bad.yaml:8: calls[0].callee: unknown account "carol" (accounts: alice, bob)']);
  });

  it('lists the known step kinds for an unknown step', () => {
    assert.deepEqual(problemsOf(header + '      - answer: {}\n      - dial: bob\n'), [
      'bad.yaml:12: calls[0].steps[1].dial: unknown step (known: expectRinging, answer, reject, wait, play, record, dtmf, mute, hold, profile, iceRestart, hangup)',
    ]);
  });

  it('reports bad durations, DTMF digits, sides and step fields', () => {
    const steps = [
      '      - wait: 2 seconds',
      '      - expectRinging: { within: 5 }',
      '      - dtmf: 12x',
      '      - play: { file: a.wav, side: both }',
      '      - hold: yes please',
      '      - answer: { now: true }',
      '      - { wait: 1s, play: a.wav }',
    ].join('\n');
    assert.deepEqual(problemsOf(header + steps + '\n'), [
      'bad.yaml:11: calls[0].steps[0].wait: must be a duration such as 2s or 500ms ("2 seconds")',
      'bad.yaml:12: calls[0].steps[1].expectRinging.within: must be a duration such as 2s or 500ms (5)',
      'bad.yaml:13: calls[0].steps[2].dtmf: must be DTMF digits 0-9, *, #, A-D (as a quoted string) or { digits, side } ("12x")',
      'bad.yaml:14: calls[0].steps[3].play.side: must be caller or callee ("both")',
      'bad.yaml:15: calls[0].steps[4].hold: must be true or false or { on, side } ("yes please")',
      'bad.yaml:16: calls[0].steps[5].answer.now: unknown field (this step takes none)',
      'bad.yaml:17: calls[0].steps[6]: a step has exactly one kind, found wait, play (known: expectRinging, answer, reject, wait, play, record, dtmf, mute, hold, profile, iceRestart, hangup)',
    ]);
  });

  it('reports a lead-in that is not a duration', () => {
    const text = header.replace('    via: jmi\n', '    via: jmi\n    leadIn: a while\n') + '      - answer: {}\n';
    assert.deepEqual(problemsOf(text), ['bad.yaml:10: calls[0].leadIn: must be a duration such as 1s or 500ms ("a while")']);
  });

  it('reports bad comparisons and unknown metrics in expectations', () => {
    const text = header + `      - answer: {}
    expect:
      mosLqo: 3.5
      setupMs: "about 3000"
      loudness: "> 1"
      callerToCallee: { lossPct: "<= 5%", setupMs: "< 1" }
`;
    assert.deepEqual(problemsOf(text), [
      'bad.yaml:13: calls[0].expect.mosLqo: must be a quoted comparison such as ">= 3.5" (3.5)',
      'bad.yaml:14: calls[0].expect.setupMs: must be a comparison such as ">= 3.5" or "< 5%" (operators <, <=, >, >=, ==, !=) ("about 3000")',
      'bad.yaml:15: calls[0].expect.loudness: unknown metric (known: setupMs, rttMs, durationMs, mosLqo, emodelMos, lossPct, jitterMs, mouthToEarMs, concealedFrames, callerToCallee, calleeToCaller)',
      'bad.yaml:16: calls[0].expect.callerToCallee.setupMs: unknown metric (known for a direction: mosLqo, emodelMos, lossPct, jitterMs, mouthToEarMs, concealedFrames)',
    ]);
  });

  it('reports YAML syntax errors and duplicate call names with their lines', () => {
    assert.match(problemsOf('name: t\naccounts: {\n')[0]!, /^bad\.yaml:\d+: /);
    const text = header + '      - answer: {}\n  - { name: c, caller: bob, callee: alice, via: jmi, steps: [] }\n';
    assert.deepEqual(problemsOf(text), ['bad.yaml:12: calls[1].name: "c" names another call too: call names must be unique']);
  });

  it('loadScenario names a missing file', () => {
    assert.throws(() => loadScenario('/nonexistent/script.yaml'), (error: unknown) =>
      error instanceof ScenarioError && error.problems[0] === '/nonexistent/script.yaml: no such file');
  });
});

describe('parseDuration', () => {
  it('reads ms, s and m, and refuses the rest', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('0.25s'), 250);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('2'), undefined);
    assert.equal(parseDuration('-1s'), undefined);
    assert.equal(parseDuration('2h'), undefined);
  });
});
