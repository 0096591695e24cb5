// The closing line of `npm test`, "N passed, N failed", from jest's --json results and
// its exit code. A test file that fails to load and an error in a hook outside any test
// (an afterAll that throws) fail the run without failing a test, so they are counted
// too: each such file is one failure. A run whose exit code is non-zero never reads
// "0 failed".

/**
 * @param {object | undefined} results jest's --json output, undefined when it wrote none
 * @param {number | null} exitCode jest's exit code (null: killed by a signal)
 * @returns {{ passed: number, failed: number, skipped: number, problems: string[], line: string }}
 */
function summarizeJestRun(results, exitCode) {
  const problems = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (results) {
    passed = results.numPassedTests;
    skipped = results.numPendingTests + (results.numTodoTests ?? 0);
    // Every file with an error outside its tests (it did not load, or a hook like
    // afterAll threw) is a runtime-error suite, whether or not some of its tests failed.
    failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    for (const file of results.testResults ?? []) {
      const testFailed = (file.assertionResults ?? []).some((a) => a.status === 'failed');
      if (file.status === 'failed' && !testFailed) {
        problems.push(`${file.name}: failed outside its tests (it did not load, or a hook threw)`);
      }
    }
  } else {
    // Nothing to count: the run itself is the one failure.
    problems.push(`jest wrote no results (exit code ${exitCode ?? 'none: killed by a signal'})`);
    failed = 1;
  }
  if (exitCode !== 0 && failed === 0) {
    problems.push(
      `jest exited with code ${exitCode ?? 'none (killed by a signal)'} without a failed test`,
    );
    failed = 1;
  }
  let line = `${passed} passed, ${failed} failed`;
  if (skipped > 0) line += `, ${skipped} skipped`;
  return { passed, failed, skipped, problems, line };
}

module.exports = { summarizeJestRun };
