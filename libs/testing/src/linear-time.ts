/** The fastest of `runs` calls of `fn`, in milliseconds. */
export function bestTimeMs(runs: number, fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/** How long an input of size `small` and one ten times larger took (best of 7, after a warm-up). */
export interface ScalingTimes {
  small: number;
  large: number;
  smallMs: number;
  largeMs: number;
}

/**
 * Times `run(n)` at n = large/10 and n = large. Linear work takes about ten times as
 * long on the larger input, quadratic a hundred and cubic a thousand times: a test
 * can tell them apart by the ratio even on a busy machine, where absolute times vary.
 * A busy machine can still stall one measurement (a collection, a descheduled core), so
 * it measures up to `attempts` times and keeps the smallest ratio: work that really
 * grows faster than linearly shows it on every attempt.
 */
export function timeAtTwoSizes(
  large: number,
  run: (n: number) => void,
  attempts = 3,
): ScalingTimes {
  const small = Math.max(1, Math.floor(large / 10));
  run(large); // warm-up: the JIT, and any lazily built state
  let best: ScalingTimes | undefined;
  for (let a = 0; a < attempts; a++) {
    const smallMs = bestTimeMs(7, () => run(small));
    const largeMs = bestTimeMs(7, () => run(large));
    const times = { small, large, smallMs, largeMs };
    if (!best || ratio(times) < ratio(best)) best = times;
    if (scalesLinearly(best)) break;
  }
  return best as ScalingTimes;
}

function ratio(t: ScalingTimes): number {
  return t.largeMs / Math.max(t.smallMs, 0.025);
}

/**
 * True when the larger input cost at most `factor` times the smaller (40 by default:
 * linear is 10, quadratic 100), with a floor so that sub-microsecond noise on the
 * small input cannot fail a linear parser.
 */
export function scalesLinearly(t: ScalingTimes, factor = 40): boolean {
  return t.largeMs <= factor * Math.max(t.smallMs, 0.025) + 1;
}
