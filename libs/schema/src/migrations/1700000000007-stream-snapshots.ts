import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Snapshots of the allocator's write-side streams (issue 19): per stream (`ippool:*`,
 * `allocation:*`), the state folded up to `stream_version`, so a start or a cache miss
 * folds the snapshot and the events after it instead of the whole stream. `state` is
 * JSON in the layout `schema_version` names (a reader that does not know it folds from
 * the events). `last_event_id`, `global_position`, `transaction_id` and `recorded_at`
 * are those of the stream's event at `stream_version`: the snapshot is only written when
 * that event is committed with that id, and `log:prune` removes a stream's events only
 * up to its snapshot's version (and only events whose removal leaves every fold of the
 * stream unchanged). A cache: deleting rows is always safe, the log stays the truth.
 */
export class StreamSnapshots1700000000007 implements MigrationInterface {
  name = 'StreamSnapshots1700000000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS natgw_stream_snapshots (
        stream_id text PRIMARY KEY,
        schema_version integer NOT NULL CHECK (schema_version > 0),
        stream_version integer NOT NULL CHECK (stream_version > 0),
        last_event_id uuid NOT NULL,
        global_position bigint NOT NULL,
        transaction_id xid8 NOT NULL,
        recorded_at timestamptz NOT NULL,
        state jsonb NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS natgw_stream_snapshots`);
  }
}
