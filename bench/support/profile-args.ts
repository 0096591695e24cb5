// BENCH_CPU_PROF_DIR=<dir>: the service processes a bench starts write V8 CPU profiles
// (`node --cpu-prof`) into <dir> when they exit, to open in Chrome DevTools or speedscope.

/** Node options for a service process: `--cpu-prof` into BENCH_CPU_PROF_DIR when it is set. */
export function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}
