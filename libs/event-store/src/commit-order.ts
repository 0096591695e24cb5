import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Re-bases the log's commit order when the database was restored into another PostgreSQL
 * cluster (pg_dump/pg_restore, an import-based major upgrade) whose transaction counter lies
 * below the stored transaction ids; otherwise changes nothing. Returns the new base, or
 * undefined when none was needed. See the CommitOrderBase migration and docs/architecture.md.
 */
export async function ensureCommitOrder(ds: DataSource): Promise<string | undefined> {
  const [row]: Array<{ base: string | null }> = await ds.query(
    'SELECT natgw_rebase_commit_order()::text AS base',
  );
  if (row.base === null) return undefined;
  new Logger('EventStore').warn(
    `the log was restored into another PostgreSQL cluster: its commit order now continues from base ${row.base} (natgw_commit_order_rebases)`,
  );
  return row.base;
}
