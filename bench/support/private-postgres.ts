// Where benches keep their databases: a PostgreSQL server of their own, so that
// their numbers do not depend on what else uses the shared server, and so that
// their long transactions (a rebuild holds one for minutes) do not hold back the
// shared server's transaction horizon, which every natgw reader on it waits for.
import { Client } from 'pg';
import { dropTestDatabase, PrivatePostgresServer } from '@natgw/testing';

/** Where a bench keeps its databases, and how to clean up after it. */
export interface BenchPostgres {
  /** A database URL (the database is created by openDatabase or the services on start). */
  url(database: string): string;
  /** `private PostgreSQL 15 on port N` or `the shared PostgreSQL`. */
  description: string;
  cleanup(): Promise<void>;
}

/** BENCH_PG_STATEMENTS=1: the private server loads pg_stat_statements (see topStatements). */
export const PG_STATEMENTS = process.env.BENCH_PG_STATEMENTS === '1';

/**
 * A private PostgreSQL when its binaries are installed (set BENCH_SHARED_DATABASE=1
 * to use the shared one at TEST_DATABASE_ADMIN_URL or 127.0.0.1:5432 instead).
 */
export async function benchPostgres(label: string): Promise<BenchPostgres> {
  const own =
    process.env.BENCH_SHARED_DATABASE !== '1' && PrivatePostgresServer.available()
      ? await PrivatePostgresServer.start(
          PG_STATEMENTS ? { shared_preload_libraries: 'pg_stat_statements' } : {},
        )
      : undefined;
  if (own) {
    return {
      url: (db) => own.url(db),
      description: `a private PostgreSQL on port ${own.port}`,
      cleanup: () => own.destroy(),
    };
  }
  const admin = new URL(
    process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const suffix = Math.random().toString(16).slice(2, 8);
  const created: string[] = [];
  return {
    url: (db) => {
      const u = new URL(admin.toString());
      u.pathname = `/natgw_bench_${label}_${db}_${suffix}`;
      created.push(u.toString());
      return u.toString();
    },
    description: 'the shared PostgreSQL',
    cleanup: async () => {
      for (const url of created) await dropTestDatabase(url).catch(() => undefined);
    },
  };
}

/**
 * ANALYZE on a bench database after seeding it: a running system's tables have
 * statistics (autovacuum), a database seeded a second ago has none, and some
 * plans (LIST's change-history join) are far slower without them.
 */
export async function analyze(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}

/**
 * With BENCH_PG_STATEMENTS=1 on a private server: the statements of a database that ran most
 * often and longest (pg_stat_statements), as lines to print; empty otherwise.
 */
export async function topStatements(url: string, limit = 12): Promise<string[]> {
  if (!PG_STATEMENTS) return [];
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const { rows } = await c.query<{ calls: string; ms: string; query: string }>(
      `SELECT s.calls::text AS calls, round(s.total_exec_time)::text AS ms,
              left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110) AS query
         FROM pg_stat_statements s
        WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY s.calls DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => `${r.calls.padStart(8)} calls ${r.ms.padStart(7)} ms  ${r.query}`);
  } finally {
    await c.end();
  }
}
