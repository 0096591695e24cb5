import { Client } from 'pg';
import { DataSource, EntitySchema, MigrationInterface, MixedList, QueryRunner } from 'typeorm';
import { ensureCommitOrder } from './commit-order';
import { grantServiceRoles, ServiceRole } from './service-roles';

/* eslint-disable @typescript-eslint/no-unsafe-function-type */
type EntityList = MixedList<Function | string | EntitySchema>;
type MigrationList = MixedList<Function | string>;
/* eslint-enable @typescript-eslint/no-unsafe-function-type */

export interface DatabaseOptions {
  url: string;
  /**
   * A direct session to the same database (DATABASE_SESSION_URL) for what must stay on
   * one session: LISTEN, session advisory locks (migrations), CREATE DATABASE. Needed
   * when `url` is a pooler in transaction mode; default `url`.
   */
  sessionUrl?: string;
  /** TypeORM entities of the read models this process uses. */
  entities?: EntityList;
  /**
   * Every migration of the schema, in order (NATGW_SCHEMA of @natgw/schema, or its
   * EVENT_LOG_MIGRATIONS / MESSAGING_MIGRATIONS for the log alone).
   */
  migrations?: MigrationList;
  poolSize?: number;
  applicationName?: string;
  /** The services' roles, granted what each needs after every migration. */
  roles?: readonly ServiceRole[];
  /**
   * Create the database and run the migrations (default true: `npm start`, tests).
   * False for a service that runs as its own role (MIGRATE_ON_START=false): it waits
   * up to `schemaWaitMs` for the migrator, then fails with SchemaBehindError.
   */
  migrate?: boolean;
  /** How long a service that does not migrate waits for the schema. Default 120 s. */
  schemaWaitMs?: number;
  /** Hears how many of the pending migrations ran, after each (`npm run migrate`). */
  onMigrationProgress?: (done: number, total: number) => void;
}

/** The database lacks migrations this build needs, and this process does not run them. */
export class SchemaBehindError extends Error {
  constructor(url: string, detail: string) {
    super(
      `the database schema of ${redactUrl(url)} is behind this build (${detail}) and MIGRATE_ON_START=false: run \`npm run migrate\` (or the chart's migrate Job) with the migrator's DATABASE_URL`,
    );
    this.name = 'SchemaBehindError';
  }
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
    migrations: options.migrations ?? [],
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
 * at the same moment run them once, one after the other; then grants the service
 * roles what they need (one transaction, so a running service never sees a gap).
 */
export async function runMigrations(
  dataSource: DataSource,
  roles: readonly ServiceRole[] = [],
  onProgress?: (done: number, total: number) => void,
  lockUrl?: string,
): Promise<string[]> {
  // The lock lives on a session: with a pooler in transaction mode (lockUrl given) the
  // pool's connections are not sessions, so it is held on a direct connection instead.
  const session: {
    connect(): Promise<unknown>;
    query(sql: string, params: unknown[]): Promise<unknown>;
  } = lockUrl
    ? new Client({ connectionString: lockUrl, application_name: 'natgw-migrate-lock' })
    : dataSource.createQueryRunner();
  await session.connect();
  try {
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      if (onProgress) await reportMigrations(dataSource, onProgress);
      const done = await dataSource.runMigrations({ transaction: 'each' });
      if (roles.length > 0) {
        await dataSource.transaction((manager) => grantServiceRoles(manager, roles));
      }
      return done.map((m) => m.name);
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    if (session instanceof Client) await session.end();
    else await (session as ReturnType<DataSource['createQueryRunner']>).release();
  }
}

/** Makes each pending migration report, after its `up`, how many of them have run. */
async function reportMigrations(
  dataSource: DataSource,
  onProgress: (done: number, total: number) => void,
): Promise<void> {
  const { pending } = await pendingMigrations(dataSource);
  let done = 0;
  onProgress(0, pending.length);
  for (const m of pending) {
    const up = m.up.bind(m);
    m.up = async (queryRunner: QueryRunner) => {
      await up(queryRunner);
      onProgress(++done, pending.length);
    };
  }
}

/**
 * Why the schema is not ready for this build, or undefined when it is. Reads only
 * (TypeORM's showMigrations would create its table, which a service role may not).
 */
async function schemaLag(ds: DataSource): Promise<string | undefined> {
  const { migrated, pending } = await pendingMigrations(ds);
  if (!migrated) return 'it was never migrated';
  const names = pending.map(migrationName);
  return names.length === 0 ? undefined : `pending migrations: ${names.join(', ')}`;
}

const migrationName = (m: MigrationInterface) => m.name ?? m.constructor.name;

/** The migrations this build knows that the database has not run (reads only). */
async function pendingMigrations(
  ds: DataSource,
): Promise<{ migrated: boolean; pending: MigrationInterface[] }> {
  const [{ table }]: Array<{ table: string | null }> = await ds.query(
    `SELECT to_regclass('natgw_migrations')::text AS "table"`,
  );
  if (table === null) return { migrated: false, pending: [...ds.migrations] };
  const rows: Array<{ name: string }> = await ds.query('SELECT name FROM natgw_migrations');
  const done = new Set(rows.map((r) => r.name));
  return { migrated: true, pending: ds.migrations.filter((m) => !done.has(migrationName(m))) };
}

/** Waits for the migrator: polls until no migration this build knows is pending. */
async function awaitSchema(ds: DataSource, url: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lag = await schemaLag(ds);
    if (lag === undefined) return;
    if (Date.now() >= deadline) throw new SchemaBehindError(url, lag);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

interface PgPoolLike {
  on(event: 'connect', listener: (client: ErrorEmitter) => void): void;
  _clients?: ErrorEmitter[];
}
interface ErrorEmitter {
  on(event: 'error', listener: (err: Error) => void): void;
}

/**
 * Gives every pg client of the data source's pool an 'error' listener for its whole life.
 * pg emits an error the server sends outside a query (57P01 when a session is terminated, as in
 * a failover) on the client; the pool listens only while the client is idle and TypeORM only
 * while a query runner holds it, and an 'error' event nobody listens to ends the process. Their
 * own handling (dropping the broken client) is unchanged; this one only keeps the process alive.
 */
function guardPoolClients(ds: DataSource): void {
  const pool = (ds.driver as unknown as { master?: PgPoolLike }).master;
  if (!pool) return;
  const guard = (client: ErrorEmitter) => client.on('error', () => undefined);
  pool.on('connect', guard);
  for (const client of pool._clients ?? []) guard(client);
}

/**
 * Ensures the database exists, connects, and migrates it (and grants the service
 * roles); with `migrate: false`, connects and waits until the schema is current. Then
 * re-bases the commit order if the log was restored into another cluster (ensureCommitOrder).
 */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  const migrate = options.migrate !== false;
  if (migrate) await ensureDatabase(options.sessionUrl ?? options.url);
  const ds = createDataSource(options);
  await ds.initialize();
  guardPoolClients(ds);
  try {
    if (migrate)
      await runMigrations(ds, options.roles, options.onMigrationProgress, options.sessionUrl);
    else await awaitSchema(ds, options.url, options.schemaWaitMs ?? 120_000);
    // Before this process appends or reads anything: a restored log continues in order.
    await ensureCommitOrder(ds);
  } catch (err) {
    await ds.destroy();
    throw err;
  }
  return ds;
}
