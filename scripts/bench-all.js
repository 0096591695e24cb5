#!/usr/bin/env node
// `npm run bench`: runs every benchmark (`npm run bench:<name>`) one after the
// other, each writing bench/results/<name>.json, and collects what each printed
// into bench/results/summary.md with the machine it ran on, starting with one
// table of every goal (figure, goal, now, ratio: the `goals` each bench stores in
// its result file, see bench/support/bench-output.ts printGoals). A bench that
// fails is reported and the others still run; the exit code is 1 when any failed.
// `npm run bench -- load replay` runs only those. `bench:smoke` (the key ratios at
// small sizes) is not part of the full run.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const ORDER = [
  'log',
  'api',
  'hostile',
  'alloc',
  'dataplane',
  'drift',
  'load',
  'ready',
  'replay',
  'snapshot',
  'alloc-start',
  'soak',
];
/** Run only when named. */
const ON_REQUEST = ['smoke'];

/** The goal rows a bench stored in bench/results/<name>.json during this run (none: []). */
function goalsOf(name, since) {
  try {
    const result = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'bench', 'results', `${name}.json`), 'utf8'),
    );
    if (!Array.isArray(result.goals) || Date.parse(result.ranAt) < since) return [];
    return result.goals.map((g) => ({ ...g, load: result.load, ranAt: result.ranAt }));
  } catch {
    return [];
  }
}

const cell = (text) => String(text ?? '-').replace(/\|/g, '\\|');

/** The goal table: one row per goal of each bench that ran, `-` for a bench without goals. */
function goalTable(results) {
  const rows = [
    '| bench | figure | goal | now | ratio | goal met | load average |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    if (r.goals.length === 0) {
      rows.push(
        `| bench:${r.name} | ${r.code === 0 ? 'no goal table printed' : `FAILED (exit ${r.code})`} | - | - | - | - | - |`,
      );
      continue;
    }
    for (const g of r.goals)
      rows.push(
        `| bench:${r.name}${r.kept ? ` (run of ${g.ranAt})` : ''} | ${cell(g.figure)} | ${cell(g.goal)} | ${cell(g.now)} | ${cell(g.ratio)} | ${g.met === undefined ? '-' : g.met ? 'met' : '**missed**'} | ${cell(g.load)} |`,
      );
  }
  return rows;
}

function run(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('npm', ['run', '--silent', `bench:${name}`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const tee = (stream) => (chunk) => {
      out += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on('data', tee(process.stdout));
    child.stderr.on('data', tee(process.stderr));
    child.on('close', (code) =>
      resolve({ name, code, seconds: (Date.now() - started) / 1000, out }),
    );
  });
}

async function main() {
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
  const known = ORDER.filter((n) => scripts[`bench:${n}`]);
  const extra = Object.keys(scripts)
    .filter((s) => s.startsWith('bench:'))
    .map((s) => s.slice('bench:'.length))
    .filter((n) => !known.includes(n) && !ON_REQUEST.includes(n));
  const asked = process.argv.slice(2);
  const names = asked.length > 0 ? asked : [...known, ...extra];
  for (const n of names) {
    if (!scripts[`bench:${n}`]) {
      console.error(
        `no script bench:${n} (known: ${[...known, ...extra, ...ON_REQUEST].join(', ')})`,
      );
      process.exit(2);
    }
  }
  const build = spawnSync('node', ['scripts/build-if-needed.js'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  // A line after each bench: how many are done, at what pace, and the time left. A bar
  // would tangle with what the benches print, so lines even on a terminal.
  const { createProgress } = require(path.join(ROOT, 'dist/libs/platform/src/progress'));
  const progress = createProgress({
    label: 'npm run bench',
    unit: 'benches',
    tty: false,
    intervalMs: 0,
  });
  const results = [];
  for (const name of names) {
    console.log(`\n=== npm run bench:${name}`);
    const since = Date.now();
    const result = await run(name);
    results.push({ ...result, goals: goalsOf(name, since) });
    progress.onProgress(results.length, names.length);
  }
  progress.finish();
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).stdout;
  const cpu = os.cpus();
  const lines = [
    '# natgw benchmarks',
    '',
    `Ran ${new Date().toISOString()} at commit ${String(commit).trim() || '?'} on ${cpu.length} x ${cpu[0]?.model ?? 'cpu'} (nproc ${cpu.length}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}.`,
    'Each section is what `npm run bench:<name>` printed; the numbers are also in bench/results/<name>.json.',
    '',
    '## Goals',
    '',
    // A partial run also lists the goals other benches stored in an earlier run.
    ...goalTable([
      ...results,
      ...(asked.length > 0 ? [...known, ...extra] : [])
        .filter((n) => !names.includes(n))
        .map((n) => ({ name: n, code: 0, kept: true, goals: goalsOf(n, 0) }))
        .filter((r) => r.goals.length > 0),
    ]),
    '',
    '| bench | result | took |',
    '| --- | --- | --- |',
    ...results.map(
      (r) =>
        `| bench:${r.name} | ${r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`} | ${r.seconds.toFixed(0)} s |`,
    ),
    '',
  ];
  for (const r of results) {
    lines.push(`## bench:${r.name}`, '', '```', r.out.trim(), '```', '');
  }
  const file = path.join(ROOT, 'bench', 'results', 'summary.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // A partial run (names given) keeps the sections of the benches it did not run,
  // each marked with the run it came from.
  if (asked.length > 0 && fs.existsSync(file)) {
    const previous = fs.readFileSync(file, 'utf8');
    const earlier = /^Ran (\S+ at commit \S+)/m.exec(previous)?.[1] ?? 'an earlier run';
    for (const section of previous.split(/\n(?=## bench:)/).slice(1)) {
      const name = /^## bench:(\S+)/.exec(section)?.[1];
      if (!name || names.includes(name)) continue;
      const [heading, ...rest] = section.trim().split('\n');
      const kept = /^_Kept from/.test(rest[1] ?? '')
        ? rest
        : ['', `_Kept from the run of ${earlier}._`, ...rest];
      lines.push(heading, ...kept, '');
    }
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  console.log(`\nsummary: ${path.relative(ROOT, file)}`);
  for (const r of results)
    console.log(
      `${`bench:${r.name}`.padEnd(20)} ${r.code === 0 ? 'ok' : 'FAILED'}  ${r.seconds.toFixed(0)} s`,
    );
  process.exit(results.every((r) => r.code === 0) ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
