import { deleteTestStream, ServiceName, ServiceProcess, testNatsNames } from '@natgw/testing';
import { BenchPostgres, benchPostgres } from './private-postgres';

/**
 * The three services of a whole-system bench (bench:load, bench:soak) on a PostgreSQL server
 * of its own and a stream of its own, with node `node-a` and the per-client rate limit off
 * (every request of a bench comes from one client). `stop()` kills them and removes both.
 */
export interface BenchSystem {
  pg: BenchPostgres;
  services: Array<[ServiceName, ServiceProcess]>;
  stop(): Promise<void>;
}

export async function benchSystem(name: string, publicPrefixes: string): Promise<BenchSystem> {
  const pg = await benchPostgres(name);
  const nats = testNatsNames(`bench_${name}`);
  const env = {
    DATABASE_URL: pg.url(name),
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.prefix,
    PUBLIC_PREFIXES: publicPrefixes,
    NODE_NAME: 'node-a',
    RATE_LIMIT_QPS: '0',
  };
  const services: Array<[ServiceName, ServiceProcess]> = (
    ['api-gateway', 'allocator', 'dataplane-executor'] as const
  ).map((s) => [s, new ServiceProcess(s, env)]);
  return {
    pg,
    services,
    async stop() {
      for (const [, p] of services) await p.kill().catch(() => undefined);
      await deleteTestStream(nats.stream).catch(() => undefined);
      await pg.cleanup();
    },
  };
}
