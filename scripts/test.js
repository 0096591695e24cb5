#!/usr/bin/env node
// `npm test`: everything the tests need beyond npm packages is ensured here (a
// running PostgreSQL and NATS, nftables, a fresh build for the whole-process
// tests), then jest runs every project. The last line is "N passed, N failed".
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ensureServices } = require('./ensure-services');
const { buildIfNeeded } = require('./build-if-needed');
const { ensureNftables } = require('./ensure-nftables');

const ROOT = path.resolve(__dirname, '..');

async function main() {
  await ensureServices((m) => console.error(`[test] ${m}`));
  ensureNftables((m) => console.error(`[test] ${m}`));
  buildIfNeeded();
  const results = path.join(os.tmpdir(), `natgw-jest-${process.pid}.json`);
  const args = [
    'jest',
    '--maxWorkers=2',
    '--json',
    `--outputFile=${results}`,
    ...process.argv.slice(2),
  ];
  const r = spawnSync('npx', args, { cwd: ROOT, stdio: 'inherit' });
  let summary = '';
  if (fs.existsSync(results)) {
    const json = JSON.parse(fs.readFileSync(results, 'utf8'));
    fs.rmSync(results);
    summary = `${json.numPassedTests} passed, ${json.numFailedTests} failed`;
    if (json.numPendingTests > 0) summary += `, ${json.numPendingTests} skipped`;
  }
  if (summary) console.log(summary);
  process.exit(r.status ?? 1);
}

main().catch((err) => {
  console.error(`[test] ${err.message}`);
  process.exit(1);
});
