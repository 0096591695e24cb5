#!/usr/bin/env node
// `npm run bench:smoke`: the key ratios at small sizes, in under two minutes on an
// idle machine, so a regression shows in any session: replay/rebuild against the
// raw read with the audit lookups (bench:replay), and rebuild time with a
// snapshot as history grows 10x (bench:snapshot). Each prints its goal table;
// the results go to a temporary directory (never bench/results), and the last
// table gathers every goal. Small sizes make the figures noisy: they show a
// regression, they do not replace `npm run bench`. No test asserts on them.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const SMOKE = [
  ['replay', { BENCH_REPLAY_EVENTS: '20000', BENCH_AUDIT_QUERIES: '30' }],
  [
    'snapshot',
    {
      BENCH_SNAPSHOT_TENANTS: '30',
      BENCH_SNAPSHOT_HISTORY: '3000',
      BENCH_SNAPSHOT_TAIL: '300',
      BENCH_SNAPSHOT_ROUNDS: '3',
    },
  ],
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'natgw-bench-smoke-'));
const started = Date.now();
let failed = 0;
const goals = [];
for (const [name, env] of SMOKE) {
  console.log(
    `\n=== bench:${name} (smoke: ${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')})`,
  );
  const run = spawnSync('node', ['scripts/run-ts.js', `bench/${name}.bench.ts`], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env, BENCH_RESULTS_DIR: dir },
  });
  if (run.status !== 0) {
    failed += 1;
    goals.push({
      bench: name,
      figure: `FAILED (exit ${run.status})`,
      goal: '-',
      now: '-',
      ratio: '-',
    });
    continue;
  }
  const result = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  for (const g of result.goals ?? []) goals.push({ bench: name, ...g });
}
console.log(
  `\nsmoke: ${((Date.now() - started) / 1000).toFixed(0)} s, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
for (const g of goals)
  console.log(
    `${g.bench.padEnd(9)} ${g.met === undefined ? '     ' : g.met ? 'met  ' : 'MISS '} ${g.figure}: ${g.now} (goal ${g.goal}; ${g.ratio})`,
  );
fs.rmSync(dir, { recursive: true, force: true });
process.exit(failed > 0 ? 1 : 0);
