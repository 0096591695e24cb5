import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The log's commit order survives a restore into another PostgreSQL cluster.
 *
 * Events are ordered by `(transaction_id, global_position)` and a reader sees only events of
 * transactions older than every one still in flight. `transaction_id` was the cluster's own
 * transaction counter (`pg_current_xact_id()`), which a `pg_dump`/`pg_restore` into a fresh
 * cluster (or an import-based major upgrade) does not carry over: the restored ids lie far
 * above the new counter, so the restored events stay invisible and new events sort before the
 * restored checkpoints.
 *
 * The stored id is now the counter plus a base, `natgw_commit_order_base()` (0 on the cluster
 * the log was born on, so nothing changes there). `natgw_rebase_commit_order()` detects a log
 * whose highest id is not below the cluster's counter plus the base — which never happens on
 * the cluster that wrote it — and then, under an exclusive lock on the log, sets the base to
 * that highest id + 1: every restored event and checkpoint keeps its id and order, and every
 * later transaction sorts after them. Every process that opens the database calls it
 * (`openDatabase`), and each rebase is recorded in `natgw_commit_order_rebases`.
 */
export class CommitOrderBase1700000000010 implements MigrationInterface {
  name = 'CommitOrderBase1700000000010';

  async up(q: QueryRunner): Promise<void> {
    const [{ schema }]: Array<{ schema: string }> = await q.query(
      'SELECT current_schema() AS schema',
    );
    await q.query(`
      CREATE TABLE natgw_commit_order_rebases (
        id serial PRIMARY KEY,
        rebased_at timestamptz NOT NULL DEFAULT now(),
        base numeric NOT NULL,
        highest_stored xid8 NOT NULL,
        cluster_next_xid xid8 NOT NULL,
        system_identifier text NOT NULL
      )`);
    // Replaced by natgw_rebase_commit_order(); plans that inlined the old body are invalidated.
    await q.query(`
      CREATE FUNCTION natgw_commit_order_base() RETURNS numeric
      LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT 0::numeric $$`);
    await q.query(`
      CREATE FUNCTION natgw_current_commit_id() RETURNS xid8
      LANGUAGE sql STABLE AS
      $$ SELECT (pg_current_xact_id()::text::numeric + natgw_commit_order_base())::text::xid8 $$`);
    await q.query(`
      CREATE FUNCTION natgw_visible_horizon() RETURNS xid8
      LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::numeric
                 + natgw_commit_order_base())::text::xid8 $$`);
    await q.query(`
      CREATE FUNCTION natgw_rebase_commit_order() RETURNS numeric
      LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = ${quoteIdent(schema)}, pg_temp AS $fn$
      DECLARE
        v_high xid8;
        v_next xid8;
        v_base numeric;
      BEGIN
        -- Committed ids are below the snapshot's xmax (plus the base) on the cluster that
        -- wrote them; a restored log's are not.
        SELECT max(e.transaction_id) INTO v_high FROM natgw_events e;
        IF v_high IS NULL OR v_high::text::numeric
             < pg_snapshot_xmax(pg_current_snapshot())::text::numeric + natgw_commit_order_base() THEN
          RETURN NULL;
        END IF;
        -- Waits for every transaction that appended, and holds off appends and reads until
        -- the new base commits. Then look again: another process may have rebased meanwhile.
        LOCK TABLE natgw_events IN ACCESS EXCLUSIVE MODE;
        SELECT max(e.transaction_id) INTO v_high FROM natgw_events e;
        v_next := pg_snapshot_xmax(pg_current_snapshot());
        IF v_high::text::numeric < v_next::text::numeric + natgw_commit_order_base() THEN
          RETURN NULL;
        END IF;
        v_base := v_high::text::numeric + 1;
        EXECUTE format(
          'CREATE OR REPLACE FUNCTION natgw_commit_order_base() RETURNS numeric '
          'LANGUAGE sql STABLE PARALLEL SAFE AS %L',
          format('SELECT %s::numeric', v_base));
        ALTER TABLE natgw_events ALTER COLUMN transaction_id SET DEFAULT natgw_current_commit_id();
        INSERT INTO natgw_commit_order_rebases (base, highest_stored, cluster_next_xid, system_identifier)
          SELECT v_base, v_high, v_next, s.system_identifier::text FROM pg_control_system() s;
        RETURN v_base;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE natgw_events ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id()`,
    );
    await q.query(`DROP FUNCTION IF EXISTS natgw_rebase_commit_order()`);
    await q.query(`DROP FUNCTION IF EXISTS natgw_visible_horizon()`);
    await q.query(`DROP FUNCTION IF EXISTS natgw_current_commit_id()`);
    await q.query(`DROP FUNCTION IF EXISTS natgw_commit_order_base()`);
    await q.query(`DROP TABLE IF EXISTS natgw_commit_order_rebases`);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
