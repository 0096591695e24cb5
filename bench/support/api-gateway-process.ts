import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { deleteTestStream, eventually, freePort, testNatsNames } from '@natgw/testing';
import { benchPostgres } from './private-postgres';

const ROOT = join(__dirname, '..', '..');

/**
 * Runs `work` against an api-gateway started from the sources with a database (on a PostgreSQL
 * server of its own when its binaries are installed: benchPostgres) and a JetStream stream of
 * its own (its relay publishes every event there), once /readyz answers 200; stops it
 * and removes both afterwards. The per-client rate limit is off: a bench measures the service,
 * and all its requests come from one client. `work` gets the base URL and the process id.
 * With BENCH_CPU_PROF_DIR set, the api-gateway runs under `node --cpu-prof` and writes its
 * profile there when it stops (open it in Chrome DevTools or speedscope).
 */
export async function withApiGateway<T>(
  name: string,
  work: (base: string, pid: number) => Promise<T>,
): Promise<T> {
  const pg = await benchPostgres(name);
  console.log(`api-gateway on ${pg.description}`);
  const databaseUrl = pg.url(name);
  const nats = testNatsNames(name);
  const port = await freePort();
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const script = ['scripts/run-ts.js', 'apps/api-gateway/src/main.ts'];
  const child = spawn(process.execPath, [...profile, ...script], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NATS_STREAM: nats.stream,
      NATS_SUBJECT_PREFIX: nats.prefix,
      API_PORT: String(port),
      API_HOST: '127.0.0.1',
      RATE_LIMIT_QPS: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200,
      { timeoutMs: 60_000, what: 'the api-gateway to be ready' },
    );
    return await work(base, child.pid as number);
  } finally {
    child.kill('SIGTERM');
    await exited;
    await pg.cleanup();
    await deleteTestStream(nats.stream);
  }
}
