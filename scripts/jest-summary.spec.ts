// The harness's own test: the closing line of `npm test` counts every failure. A real jest
// runs a throwaway project with a passing test, a failing test, a test file that fails to
// load and a file whose afterAll throws after its test passed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The two modules are plain JavaScript (scripts/ runs without a build); these are the
// shapes their JSDoc promises.
interface JestRunSummary {
  passed: number;
  failed: number;
  skipped: number;
  problems: string[];
  line: string;
}
interface JestResultsSubset {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numRuntimeErrorTestSuites: number;
  testResults: { name: string; status: string; assertionResults: { status: string }[] }[];
}
/* eslint-disable @typescript-eslint/no-require-imports */
const { runJest } = require('./run-jest') as {
  runJest(
    args: string[],
    options: { cwd: string; stdio?: 'inherit' | 'pipe'; env?: NodeJS.ProcessEnv },
  ): JestRunSummary & { exitCode: number | null; output: string };
};
const { summarizeJestRun } = require('./jest-summary') as {
  summarizeJestRun(results: JestResultsSubset | undefined, exitCode: number | null): JestRunSummary;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const FIXTURE_FILES: Record<string, string> = {
  'jest.config.js':
    "module.exports = { testEnvironment: 'node', transform: {}, testMatch: ['**/*.test.js'] };\n",
  'passes.test.js': "test('passes', () => expect(1 + 1).toBe(2));\n",
  'fails.test.js': "test('fails', () => expect(1 + 1).toBe(3));\n",
  'does-not-load.test.js': "require('./no-such-module');\ntest('never runs', () => {});\n",
  'after-all-throws.test.js':
    "test('passes before the hook', () => expect(true).toBe(true));\nafterAll(() => { throw new Error('teardown broke'); });\n",
};

function fixtureProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'natgw-harness-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.JEST_WORKER_ID;
  return env;
}

describe('the closing line of npm test', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function run(files: Record<string, string>) {
    const dir = fixtureProject(files);
    dirs.push(dir);
    return { dir, ...runJest(['--ci'], { cwd: dir, stdio: 'pipe', env: childEnv() }) };
  }

  it('counts a file that fails to load and a throwing afterAll as failures', () => {
    const { dir, exitCode, line, passed, failed, problems, output } = run(FIXTURE_FILES);
    expect(exitCode).toBe(1);
    // Tests that passed: passes, passes before the hook. Failures: the failing test, the
    // file that did not load, the afterAll that threw.
    expect({ passed, failed }).toEqual({ passed: 2, failed: 3 });
    expect(line).toBe('2 passed, 3 failed');
    expect(problems.sort()).toEqual(
      ['after-all-throws.test.js', 'does-not-load.test.js'].map(
        (file) =>
          `${path.join(dir, file)}: failed outside its tests (it did not load, or a hook threw)`,
      ),
    );
    expect(output).toContain('teardown broke');
  }, 60_000);

  it('counts a lone file that fails to load, so the line is never "0 failed"', () => {
    const { exitCode, line } = run({
      'jest.config.js': FIXTURE_FILES['jest.config.js'],
      'does-not-load.test.js': FIXTURE_FILES['does-not-load.test.js'],
    });
    expect(exitCode).toBe(1);
    expect(line).toBe('0 passed, 1 failed');
  }, 60_000);

  it('counts a throwing afterAll whose tests all passed', () => {
    const { exitCode, line } = run({
      'jest.config.js': FIXTURE_FILES['jest.config.js'],
      'after-all-throws.test.js': FIXTURE_FILES['after-all-throws.test.js'],
    });
    expect(exitCode).toBe(1);
    expect(line).toBe('1 passed, 1 failed');
  }, 60_000);

  it('says "0 failed" for a run that passed', () => {
    const { exitCode, line, problems } = run({
      'jest.config.js': FIXTURE_FILES['jest.config.js'],
      'passes.test.js': FIXTURE_FILES['passes.test.js'],
    });
    expect(exitCode).toBe(0);
    expect(line).toBe('1 passed, 0 failed');
    expect(problems).toEqual([]);
  }, 60_000);

  it('never says "0 failed" when jest exits non-zero without a failed test', () => {
    const results = {
      numPassedTests: 4,
      numFailedTests: 0,
      numPendingTests: 0,
      numTodoTests: 0,
      numRuntimeErrorTestSuites: 0,
      testResults: [],
    };
    expect(summarizeJestRun(results, 1).line).toBe('4 passed, 1 failed');
    expect(summarizeJestRun(results, null).line).toBe('4 passed, 1 failed');
    expect(summarizeJestRun(undefined, 1)).toMatchObject({
      line: '0 passed, 1 failed',
      problems: ['jest wrote no results (exit code 1)'],
    });
    expect(summarizeJestRun(undefined, 0).line).toBe('0 passed, 1 failed');
  });
});
