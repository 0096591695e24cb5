// A PostgreSQL server of a bench's own: initdb into a temporary directory and
// pg_ctl start on a free loopback port. Benches run on it so that their numbers
// do not depend on what else uses the shared server, and so that their long
// transactions (a rebuild holds one for minutes) do not hold back the shared
// server's transaction horizon, which every natgw reader on it waits for.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { dropTestDatabase, freePort } from '@natgw/testing';

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) {
    if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  }
  return undefined;
}

/** A running private PostgreSQL; `stop()` removes it and its data. */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Starts one, or returns undefined when PostgreSQL's server binaries are not installed. */
  static async start(): Promise<PrivatePostgres | undefined> {
    const bin = binDir();
    if (!bin) return undefined;
    const dir = mkdtempSync(join(tmpdir(), 'natgw-bench-pg-'));
    const pg = new PrivatePostgres(bin, dir, await freePort());
    try {
      if (process.getuid?.() === 0) chownSync(dir, uidOf('postgres'), -1);
      pg.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync']);
      pg.run('pg_ctl', [
        '-D',
        join(dir, 'data'),
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-o',
        `-h 127.0.0.1 -p ${pg.port} -k ${dir} -c max_connections=200`,
        'start',
      ]);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return pg;
  }

  /** The URL of a database on this server (created by openDatabase or the services). */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Stops the server and deletes its data directory. */
  stop(): void {
    try {
      this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', 'stop']);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private run(command: string, args: string[]): void {
    const full = join(this.bin, command);
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(
      asRoot ? 'runuser' : full,
      asRoot ? ['-u', 'postgres', '--', full, ...args] : args,
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (r.status !== 0)
      throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr.toString().trim()}`);
  }
}

function uidOf(user: string): number {
  const r = spawnSync('id', ['-u', user]);
  const uid = Number(r.stdout.toString().trim());
  if (r.status !== 0 || !Number.isInteger(uid)) throw new Error(`no user ${user}`);
  return uid;
}

/** Where a bench keeps its databases, and how to clean up after it. */
export interface BenchPostgres {
  /** A database URL (the database is created by openDatabase or the services on start). */
  url(database: string): string;
  /** `private PostgreSQL 15 on port N` or `the shared PostgreSQL`. */
  description: string;
  cleanup(): Promise<void>;
}

/**
 * A private PostgreSQL when its binaries are installed (set BENCH_SHARED_DATABASE=1
 * to use the shared one at TEST_DATABASE_ADMIN_URL or 127.0.0.1:5432 instead).
 */
export async function benchPostgres(label: string): Promise<BenchPostgres> {
  const own = process.env.BENCH_SHARED_DATABASE === '1' ? undefined : await PrivatePostgres.start();
  if (own) {
    return {
      url: (db) => own.url(db),
      description: `a private PostgreSQL on port ${own.port}`,
      cleanup: async () => own.stop(),
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
