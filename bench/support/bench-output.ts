// Shared by the benches: the machine line every table starts with, the goal
// table every bench ends with (goal, now, ratio) and the JSON result file in
// bench/results/ that `npm run bench` gathers into summary.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

/** `2 x AMD EPYC`: core count and CPU model of this machine. */
export function machine(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`;
}

/**
 * Writes bench/results/<name>.json (or BENCH_RESULTS_DIR/<name>.json) with the
 * machine, the load average and the time of the run; `goals` (from printGoals)
 * become rows of bench/results/summary.md.
 */
export function writeResult(name: string, result: Record<string, unknown>): void {
  // bench:smoke writes elsewhere, so a smoke run never replaces a full run's results.
  const dir = process.env.BENCH_RESULTS_DIR ?? join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ machine: machine(), load: loadAverage(), ranAt: new Date().toISOString(), ...result }, null, 2)}\n`,
  );
}

/** The q-quantile (0..1) of sorted numbers (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * One goal of a bench (issue 14's table): the figure, its goal, what this run
 * measured and the ratio to the baseline measured in the same run. `met` is
 * undefined when the run cannot tell (a figure without a goal).
 */
export interface GoalCheck {
  figure: string;
  goal: string;
  now: string;
  /** `0.52x raw cursor read`, or '-' without a baseline. */
  ratio: string;
  met?: boolean;
}

/** `12,345`: a whole number with thousands separators. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `0.52x`: a ratio with two decimals (three below 0.1). */
export function ratio(value: number, base: number): string {
  const r = value / base;
  return `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}x`;
}

/**
 * Prints the goal table every bench ends with (figure, goal, now, ratio, met) and
 * returns the checks, to be stored in the result file under `goals` (see
 * `writeResult`): `npm run bench` gathers them into bench/results/summary.md.
 */
export function printGoals(checks: readonly GoalCheck[]): GoalCheck[] {
  const met = (c: GoalCheck) => (c.met === undefined ? '-' : c.met ? 'met' : 'MISSED');
  const head = ['figure', 'goal', 'now', 'ratio', 'goal met'];
  const rows = checks.map((c) => [c.figure, c.goal, c.now, c.ratio, met(c)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  process.stdout.write(
    [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line), ''].join(
      '\n',
    ),
  );
  return [...checks];
}

/** The machine's load averages now (`uptime`), to print beside every figure. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}
