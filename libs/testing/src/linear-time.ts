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
 */
export function timeAtTwoSizes(large: number, run: (n: number) => void): ScalingTimes {
  const small = Math.max(1, Math.floor(large / 10));
  run(large); // warm-up: the JIT, and any lazily built state
  const smallMs = bestTimeMs(7, () => run(small));
  const largeMs = bestTimeMs(7, () => run(large));
  return { small, large, smallMs, largeMs };
}

/**
 * True when the larger input cost at most `factor` times the smaller (40 by default:
 * linear is 10, quadratic 100), with a floor so that sub-microsecond noise on the
 * small input cannot fail a linear parser.
 */
export function scalesLinearly(t: ScalingTimes, factor = 40): boolean {
  return t.largeMs <= factor * Math.max(t.smallMs, 0.025) + 1;
}
