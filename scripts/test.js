#!/usr/bin/env node
// `npm test`: everything the tests need beyond npm packages is ensured here (a
// running PostgreSQL and NATS, nftables; the integration and e2e projects' global setup
// builds dist/ when sources changed), then jest runs every project. The last line is "N passed, N failed", where a
// test file that fails to load and a hook that throws count as failures
// (scripts/jest-summary.js).
const path = require('node:path');
const { ensureServices } = require('./ensure-services');
const { ensureNftables } = require('./ensure-nftables');
const { runJest } = require('./run-jest');

const ROOT = path.resolve(__dirname, '..');

async function main() {
  await ensureServices((m) => console.error(`[test] ${m}`));
  ensureNftables((m) => console.error(`[test] ${m}`));
  const args = process.argv.slice(2);
  // The faults project (long runs) only when asked for: `npm run test:faults`.
  const projects = args.includes('--selectProjects')
    ? []
    : ['--selectProjects', 'unit', 'integration', 'e2e'];
  const run = runJest(['--maxWorkers=2', ...projects, ...args], { cwd: ROOT });
  for (const problem of run.problems) console.error(`[test] ${problem}`);
  console.log(run.line);
  // jest's own code, or 1 when the summary counted a failure jest did not exit for.
  process.exit(run.exitCode === 0 && run.failed > 0 ? 1 : (run.exitCode ?? 1));
}

main().catch((err) => {
  console.error(`[test] ${err.message}`);
  process.exit(1);
});
