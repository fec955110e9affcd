import assert from 'node:assert/strict';
import { checkExpectations, ComparisonError, parseComparison } from '../../src/scenario/index.js';

describe('parseComparison', () => {
  it('reads every operator, spaces and a trailing %', () => {
    assert.deepEqual(parseComparison('>= 3.5'), { op: '>=', value: 3.5 });
    assert.deepEqual(parseComparison('<5%'), { op: '<', value: 5 });
    assert.deepEqual(parseComparison(' <= 0.5 '), { op: '<=', value: 0.5 });
    assert.deepEqual(parseComparison('> -2'), { op: '>', value: -2 });
    assert.deepEqual(parseComparison('== 0'), { op: '==', value: 0 });
    assert.deepEqual(parseComparison('!= 1'), { op: '!=', value: 1 });
  });

  it('refuses text without an operator or a number', () => {
    for (const bad of ['3.5', '=> 3', '= 3', '< ', '< five', '>= 3.5 ms', '']) {
      assert.throws(() => parseComparison(bad), ComparisonError, bad);
    }
  });
});

describe('checkExpectations', () => {
  it('passes, fails and never passes a missing figure', () => {
    const results = checkExpectations(
      { mosLqo: '>= 3.5', setupMs: '< 3000', 'callerToCallee.lossPct': '< 5%', rttMs: '< 100' },
      { mosLqo: 4.1, setupMs: 3000, 'callerToCallee.lossPct': null },
    );
    assert.deepEqual(results, [
      { name: 'mosLqo', expected: '>= 3.5', actual: 4.1, passed: true, message: 'mosLqo: 4.1 meets >= 3.5' },
      { name: 'setupMs', expected: '< 3000', actual: 3000, passed: false, message: 'setupMs: 3000 fails < 3000' },
      { name: 'callerToCallee.lossPct', expected: '< 5%', actual: null, passed: false, message: 'callerToCallee.lossPct: not measured, expected < 5%' },
      { name: 'rttMs', expected: '< 100', actual: null, passed: false, message: 'rttMs: not measured, expected < 100' },
    ]);
  });

  it('treats NaN as not measured', () => {
    assert.equal(checkExpectations({ mosLqo: '!= 1' }, { mosLqo: Number.NaN })[0]!.passed, false);
  });
});
