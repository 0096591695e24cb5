// BENCH_CPU_PROF_DIR=<dir>: the service processes a bench starts write V8 CPU profiles
// (`node --cpu-prof`) into <dir> when they exit, to open in Chrome DevTools or speedscope.

/** Extra environment for a service process: NODE_OPTIONS=--cpu-prof when BENCH_CPU_PROF_DIR is set. */
export function profileEnv(): Record<string, string> {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  return dir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` } : {};
}
