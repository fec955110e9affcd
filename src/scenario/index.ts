// Call scripts: the typed model, the YAML parser with file:line:field errors, and expectation checks.
export type { AccountRef, ExternalAccountRef, CallScript, Comparison, ComparisonOp, Expectations, LabAccountRef, Scenario, ServerAccountRef, Side, Step, StepKind } from './model.js';
export { CALL_METRICS, DIRECTION_METRICS, DIRECTIONS, STEP_KINDS } from './model.js';
export { parseScenario, loadScenario, parseDuration, ScenarioError } from './parse.js';
export { parseComparison, compare, checkExpectations, ComparisonError, type ExpectationResult } from './expectations.js';
export { runScenario, type LiveCall, type RunOptions, type RunProgress } from './runner.js';
export { resolveLogins, usesLab, LoginError, type Login, type LoginSources } from './logins.js';
export { callFigures } from './figures.js';
export type { RunCallResult, RunReport, StepRecord } from './run-report.js';
