// Runs jest with --json and returns its exit code and the closing summary
// (scripts/jest-summary.js). `npm test` (scripts/test.js) uses it; so does the harness's
// own test, on a throwaway jest project.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { summarizeJestRun } = require('./jest-summary');

const JEST = require.resolve('jest/bin/jest');

/**
 * @param {string[]} args jest's arguments
 * @param {{ cwd: string, stdio?: 'inherit' | 'pipe', env?: NodeJS.ProcessEnv }} options
 */
function runJest(args, { cwd, stdio = 'inherit', env = process.env }) {
  const results = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'natgw-jest-')), 'results.json');
  const r = spawnSync(process.execPath, [JEST, '--json', `--outputFile=${results}`, ...args], {
    cwd,
    stdio,
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  let json;
  if (fs.existsSync(results)) json = JSON.parse(fs.readFileSync(results, 'utf8'));
  fs.rmSync(path.dirname(results), { recursive: true, force: true });
  const exitCode = r.error ? 1 : r.status;
  return {
    exitCode,
    output: `${r.stdout ?? ''}${r.stderr ?? ''}`,
    ...summarizeJestRun(json, exitCode),
  };
}

module.exports = { runJest };
