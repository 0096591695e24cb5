import { EntityManager } from 'typeorm';

/**
 * A PostgreSQL group role (NOLOGIN) one natgw service runs as: operators create a
 * login role in it (`CREATE ROLE alloc LOGIN PASSWORD '…' IN ROLE natgw_allocator`)
 * and give that service its own DATABASE_URL.
 */
export interface ServiceRole {
  /** The group role, e.g. `natgw_allocator`. */
  name: string;
  /** Read-model and bookkeeping tables it may INSERT, UPDATE and DELETE rows of. */
  writes: readonly string[];
}

/** The tables of the log every role appends to and reads with its checkpoints. */
const LOG_TABLE = 'natgw_events';
const LOG_BOOKKEEPING = ['natgw_streams', 'natgw_checkpoints'];
/** The columns of the log an append names (natgw_append); the others take their defaults. */
const LOG_INSERT_COLUMNS = [
  'stream_id',
  'version',
  'event_id',
  'type',
  'data',
  'metadata',
  'recorded_at',
];

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Creates the role unless it exists; a role made meanwhile by a migrator of another
 * database (roles are cluster-wide) is fine. Runs in the caller's transaction, so the
 * attempt sits in a savepoint: a lost race must not abort the grants that follow.
 */
async function ensureRole(manager: EntityManager, role: string): Promise<void> {
  const found: unknown[] = await manager.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (found.length > 0) return;
  await manager.query('SAVEPOINT natgw_create_role');
  try {
    await manager.query(`CREATE ROLE ${ident(role)} NOLOGIN`);
    await manager.query('RELEASE SAVEPOINT natgw_create_role');
  } catch (err) {
    await manager.query('ROLLBACK TO SAVEPOINT natgw_create_role');
    const code = (err as { code?: string }).code;
    // 42710 duplicate_object, 23505 unique_violation: another migrator created it meanwhile.
    if (code === '42710' || code === '23505') return;
    if (code === '42501') {
      throw new Error(
        `the migrator may not create the role ${role} (needs CREATEROLE): create it once as an administrator (CREATE ROLE ${role} NOLOGIN) and migrate again`,
      );
    }
    throw err;
  }
}

/**
 * Gives each service role exactly what it needs, idempotently (run after every
 * migration): it reads every table of the schema, appends to the log (INSERT on
 * `natgw_events`, never UPDATE, DELETE or TRUNCATE: the log is append-only, and
 * a grant from earlier is revoked; only the columns an append names, so the commit order
 * stays the database's), keeps stream versions and checkpoints, uses the
 * sequences, and writes only the tables of its own read models. Whoever runs this
 * (the migrator) owns the schema; the service roles own nothing.
 */
export async function grantServiceRoles(
  manager: EntityManager,
  roles: readonly ServiceRole[],
): Promise<void> {
  for (const role of roles) {
    await ensureRole(manager, role.name);
    const r = ident(role.name);
    // Start from nothing, so a table that left a role's write set loses the grant.
    await manager.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${r}`);
    await manager.query(`GRANT USAGE ON SCHEMA public TO ${r}`);
    await manager.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${r}`);
    await manager.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`);
    // Not transaction_id nor global_position: their defaults give the commit order, which a
    // role choosing its own values could forge (hide an event, or force a re-base).
    await manager.query(
      `GRANT INSERT (${LOG_INSERT_COLUMNS.join(', ')}) ON ${ident(LOG_TABLE)} TO ${r}`,
    );
    for (const table of LOG_BOOKKEEPING) {
      await manager.query(`GRANT INSERT, UPDATE ON ${ident(table)} TO ${r}`);
    }
    for (const table of role.writes) {
      await manager.query(`GRANT INSERT, UPDATE, DELETE ON ${ident(table)} TO ${r}`);
    }
  }
}
