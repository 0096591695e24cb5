import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Snapshots of folded read models: a projection's state at a log checkpoint, so a
 * rebuild folds the snapshot and the events after it instead of the whole log. One
 * snapshot per projection (the newest); its state is stored in parts of bounded size.
 */
export class ProjectionSnapshots1700000000003 implements MigrationInterface {
  name = 'ProjectionSnapshots1700000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS natgw_projection_snapshots (
        projection text PRIMARY KEY,
        fold_version integer NOT NULL,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        events bigint NOT NULL,
        parts integer NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS natgw_projection_snapshot_parts (
        projection text NOT NULL REFERENCES natgw_projection_snapshots (projection) ON DELETE CASCADE,
        seq integer NOT NULL,
        data jsonb NOT NULL,
        PRIMARY KEY (projection, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS natgw_projection_snapshot_parts`);
    await q.query(`DROP TABLE IF EXISTS natgw_projection_snapshots`);
  }
}
