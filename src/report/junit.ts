// `earshot run --junit FILE`: the run as JUnit XML, the format CI systems (Jenkins, GitLab, GitHub actions)
// read. One test suite per script; per call a test case "call completes" (an <error> when the call could not
// do what the script said) and one test case per expectation (a <failure> carrying the figures).
import { hostname } from 'node:os';
import type { ExpectationResult, RunCallResult, RunReport } from '../scenario/index.js';
import { escapeMarkup } from './escape.js';

export function toJUnitXml(report: RunReport): string {
  const cases = [...tlsCases(report), ...report.calls.flatMap((call) => callCases(report.scenario, call))];
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const seconds = (report.durationMs / 1000).toFixed(3);
  const timestamp = report.startedAt.replace(/\.\d+Z$/, '').replace(/Z$/, '');
  const totals = `tests="${cases.length}" failures="${failures}" errors="${errors}" time="${seconds}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="earshot" ${totals}>`,
    `  <testsuite name="${escapeXml(report.scenario)}" ${totals} skipped="0" timestamp="${timestamp}" hostname="${escapeXml(hostname())}">`,
    '    <properties>',
    `      <property name="script" value="${escapeXml(report.file)}"/>`,
    `      <property name="outDir" value="${escapeXml(report.outDir)}"/>`,
    '    </properties>',
    ...cases.map(renderCase),
    `    <system-out>${escapeXml(report.calls.map(summaryLine).join('\n'))}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

interface TestCase {
  classname: string;
  name: string;
  seconds: number;
  failure?: { message: string; body: string };
  error?: { message: string; body: string };
}

function callCases(scenario: string, call: RunCallResult): TestCase[] {
  const classname = `${scenario}.${call.name}`;
  const seconds = call.elapsedMs / 1000;
  const completes: TestCase = {
    classname,
    name: 'call completes',
    seconds,
    ...(call.error ? { error: { message: call.error, body: stepsText(call) } } : {}),
  };
  return [completes, ...call.expectations.map((expectation) => expectationCase(classname, expectation))];
}

/** The script's TLS client tests, one case each, under `<scenario>.tls-check`. */
function tlsCases(report: RunReport): TestCase[] {
  return (report.tlsChecks ?? []).map((test) => {
    const name = `${test.name} [${test.server}]`;
    const outcome = `expected ${test.expected}, ${test.result}: ${test.reason}`;
    return { classname: `${report.scenario}.tls-check`, name, seconds: 0, ...(test.passed ? {} : { failure: { message: outcome, body: outcome } }) };
  });
}

function expectationCase(classname: string, expectation: ExpectationResult): TestCase {
  const name = `${expectation.name} ${expectation.expected.trim()}`;
  if (expectation.passed) return { classname, name, seconds: 0 };
  const measured = expectation.actual === null ? 'not measured' : `measured ${expectation.actual}`;
  return { classname, name, seconds: 0, failure: { message: expectation.message, body: `expected ${expectation.name} ${expectation.expected.trim()}, ${measured}` } };
}

function renderCase(test: TestCase): string {
  const open = `    <testcase classname="${escapeXml(test.classname)}" name="${escapeXml(test.name)}" time="${test.seconds.toFixed(3)}"`;
  const problem = test.failure
    ? `      <failure message="${escapeXml(test.failure.message)}" type="expectation">${escapeXml(test.failure.body)}</failure>`
    : test.error
      ? `      <error message="${escapeXml(test.error.message)}" type="call">${escapeXml(test.error.body)}</error>`
      : undefined;
  return problem ? `${open}>\n${problem}\n    </testcase>` : `${open}/>`;
}

function stepsText(call: RunCallResult): string {
  return call.steps.map((step) => `${step.atMs} ms ${step.step}${step.side ? ` (${step.side})` : ''}: ${step.ok ? 'ok' : 'failed'}${step.detail ? `, ${step.detail}` : ''}`).join('\n');
}

function summaryLine(call: RunCallResult): string {
  const setup = call.report?.setupMs;
  return `${call.passed ? 'PASS' : 'FAIL'} ${call.name}: ${call.caller} -> ${call.callee}${setup === null || setup === undefined ? '' : `, setup ${setup} ms`}`;
}

/** Escaped, and without the control characters XML 1.0 cannot carry at all (a peer's text may hold some). */
function escapeXml(value: string): string {
  return escapeMarkup(value.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g, '\uFFFD'));
}
