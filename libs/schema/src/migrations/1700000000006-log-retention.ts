import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The log's retention horizon (issue 19): one row, written only by `npm run log:prune`
 * (the migrator's or an administrator's role; no service role may write it, nor
 * DELETE from natgw_events). `retained_since`: audit lookups at or after it are
 * exact, earlier ones answer 410. `transaction_id`/`global_position`: the boundary
 * the prune stayed at or before (every projection snapshot and every reader's
 * checkpoint was at or after it); a reader or rebuild that would start before it
 * cannot, because events before it may be gone.
 */
export class LogRetention1700000000006 implements MigrationInterface {
  name = 'LogRetention1700000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS natgw_log_retention (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        retained_since timestamptz NOT NULL,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        pruned_events bigint NOT NULL DEFAULT 0,
        pruned_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS natgw_log_retention`);
  }
}
