// Shared by the benches this file's author owns: the machine line every table
// starts with, and the JSON result file in bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** `2 x AMD EPYC`: core count and CPU model of this machine. */
export function machine(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`;
}

/** Writes bench/results/<name>.json with the machine and the time of the run. */
export function writeResult(name: string, result: Record<string, unknown>): void {
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ machine: machine(), ranAt: new Date().toISOString(), ...result }, null, 2)}\n`,
  );
}

/** The q-quantile (0..1) of sorted numbers (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
