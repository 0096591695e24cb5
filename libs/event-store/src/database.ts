import { Client } from 'pg';
import { DataSource, EntitySchema, MixedList } from 'typeorm';
import { EVENT_STORE_MIGRATIONS } from './migrations';

/* eslint-disable @typescript-eslint/no-unsafe-function-type */
type EntityList = MixedList<Function | string | EntitySchema>;
type MigrationList = MixedList<Function | string>;
/* eslint-enable @typescript-eslint/no-unsafe-function-type */

export interface DatabaseOptions {
  url: string;
  /** TypeORM entities of the read models this process uses. */
  entities?: EntityList;
  /** Read-model migrations, run after the event store's own. */
  migrations?: MigrationList;
  poolSize?: number;
  applicationName?: string;
}

/** Creates the database named in the URL if it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL ${redactUrl(url)} names no database`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } catch (err) {
        // Another process created it at the same moment.
        if (
          (err as { code?: string }).code !== '42P04' &&
          (err as { code?: string }).code !== '23505'
        )
          throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/** The URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** A TypeORM data source over the log and the given read models. Never synchronizes. */
export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.entities ?? [],
    migrations: [
      ...EVENT_STORE_MIGRATIONS,
      ...((options.migrations as unknown[]) ?? []),
    ] as MigrationList,
    migrationsTableName: 'natgw_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: options.applicationName ?? 'natgw',
    extra: { max: options.poolSize ?? 10 },
  });
}

const MIGRATION_LOCK_KEY = 7_206_001;

/**
 * Runs pending migrations under a session advisory lock, so processes that start
 * at the same moment run them once, one after the other.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const done = await dataSource.runMigrations({ transaction: 'each' });
      return done.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** Ensures the database exists, connects, and migrates it. */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  await ensureDatabase(options.url);
  const ds = createDataSource(options);
  await ds.initialize();
  try {
    await runMigrations(ds);
  } catch (err) {
    await ds.destroy();
    throw err;
  }
  return ds;
}
