// Expectations on a call's figures: `mosLqo: ">= 3.5"`, `lossPct: "< 5%"`. A figure that was not measured
// fails its expectation: a check must never pass for want of data.
import type { Comparison, ComparisonOp, Expectations } from './model.js';

export class ComparisonError extends Error {
  override readonly name = 'ComparisonError';
}

export interface ExpectationResult {
  name: string;
  expected: string;
  actual: number | null;
  passed: boolean;
  message: string;
}

const COMPARISON = /^\s*(<=|>=|==|!=|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*%?\s*$/;

/** `">= 3.5"`, `"<5%"` (a trailing % is allowed and ignored: the figure is already a percentage). */
export function parseComparison(text: string): Comparison {
  const match = COMPARISON.exec(text);
  if (!match) {
    throw new ComparisonError(`must be a comparison such as ">= 3.5" or "< 5%" (operators <, <=, >, >=, ==, !=) (${JSON.stringify(text)})`);
  }
  return { op: match[1] as ComparisonOp, value: Number(match[2]) };
}

export function compare(actual: number, { op, value }: Comparison): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}

/** One result per expectation, in the order written; `figures` holds what was measured under the same names. */
export function checkExpectations(expect: Expectations, figures: Record<string, number | null | undefined>): ExpectationResult[] {
  return Object.entries(expect).map(([name, expected]) => {
    const comparison = parseComparison(expected);
    const figure = figures[name];
    if (figure === null || figure === undefined || Number.isNaN(figure)) {
      return { name, expected, actual: null, passed: false, message: `${name}: not measured, expected ${expected.trim()}` };
    }
    const passed = compare(figure, comparison);
    return {
      name,
      expected,
      actual: figure,
      passed,
      message: `${name}: ${figure} ${passed ? 'meets' : 'fails'} ${comparison.op} ${comparison.value}`,
    };
  });
}
