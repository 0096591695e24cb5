/** Where long work stands: `done` of `total` units after `elapsedMs`. */
export interface ProgressSnapshot {
  done: number;
  total: number;
  elapsedMs: number;
}

/** Units per second so far, and the time left at that rate (undefined before any progress). */
export function rateAndEta(s: ProgressSnapshot): { perSecond: number; etaMs?: number } {
  const perSecond = s.elapsedMs > 0 ? (s.done * 1000) / s.elapsedMs : 0;
  if (perSecond <= 0) return { perSecond: 0 };
  return { perSecond, etaMs: (Math.max(0, s.total - s.done) / perSecond) * 1000 };
}

/** `850ms`, `42s`, `3m 05s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** A rate for people: whole numbers from 10 up, two significant digits below (0.012). */
export function formatRate(perSecond: number): string {
  if (perSecond >= 10 || perSecond === 0) return count(perSecond);
  return String(Number(perSecond.toPrecision(2)));
}

/**
 * One progress line for logs and pipes:
 * `replay: 120,000/1,000,000 events (12.0%), 45,210 events/s, ETA 19s`;
 * the last one says how long it took.
 */
export function formatProgressLine(
  label: string,
  unit: string,
  s: ProgressSnapshot,
  finished = false,
): string {
  const { perSecond, etaMs } = rateAndEta(s);
  const percent = s.total > 0 ? ` (${((100 * s.done) / s.total).toFixed(1)}%)` : '';
  const head = `${label}: ${count(s.done)}/${count(s.total)} ${unit}${percent}, ${formatRate(perSecond)} ${unit}/s`;
  if (finished) return `${head}, done in ${formatDuration(s.elapsedMs)}`;
  return `${head}, ETA ${etaMs === undefined ? '?' : formatDuration(etaMs)}`;
}
