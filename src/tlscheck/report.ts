// The seed's report: one line per scripted test, as JSON (the contract below) or as a table.

export type Expectation = 'accept' | 'refuse';

/** `earshot tls-check --json` prints `{ "tests": TlsCheckTest[] }`, exactly these fields. */
export interface TlsCheckTest {
  name: string;
  server: string;
  expected: Expectation;
  result: 'accepted' | 'refused';
  /** How the connection was protected, or why it was refused (starting with the reason code). */
  reason: string;
}

/** A test as run: its contract fields, and whether it passed (a refusal must also have the expected reason). */
export interface TlsCheckOutcome extends TlsCheckTest {
  passed: boolean;
}

export interface TlsCheckReport {
  tests: TlsCheckOutcome[];
}

export function reportJson(report: TlsCheckReport): { tests: TlsCheckTest[] } {
  return { tests: report.tests.map(({ name, server, expected, result, reason }) => ({ name, server, expected, result, reason })) };
}

export function allPassed(report: TlsCheckReport): boolean {
  return report.tests.every((test) => test.passed);
}

export function reportTable(report: TlsCheckReport): string {
  const rows = report.tests.map((test) => [test.name, test.server, test.expected, test.result, test.passed ? 'PASS' : 'FAIL', test.reason]);
  const header = ['test', 'server', 'expected', 'result', '', 'reason'];
  const widths = header.slice(0, -1).map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column < widths.length ? cell.padEnd(widths[column]!) : cell)).join('  ').trimEnd();
  const passed = report.tests.filter((test) => test.passed).length;
  return [line(header), ...rows.map(line), `${passed} of ${report.tests.length} passed`].join('\n') + '\n';
}
