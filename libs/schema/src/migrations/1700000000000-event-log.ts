import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * natgw_append's middle, shared by its versions: raise NG409 on a wrong expected version
 * (v_current is the stream's version before the append), then insert the events and
 * collect their positions in v_positions.
 */
export const APPEND_CHECK_AND_INSERT = `        IF (p_expected = 'no-stream' AND v_current <> 0)
           OR (p_expected = 'exists' AND v_current = 0)
           OR (p_expected NOT IN ('any', 'no-stream', 'exists') AND v_current <> p_expected::integer) THEN
          RAISE EXCEPTION USING ERRCODE = 'NG409', MESSAGE = 'wrong expected version',
            DETAIL = v_current::text;
        END IF;
        WITH inserted AS (
          INSERT INTO natgw_events AS e (stream_id, version, event_id, type, data, metadata, recorded_at)
          SELECT p_stream, v_current + t.ord::integer, t.id, t.type, t.data, t.meta, p_recorded_at
            FROM unnest(p_ids, p_types, p_data, p_meta) WITH ORDINALITY AS t(id, type, data, meta, ord)
          RETURNING e.global_position
        )
        SELECT array_agg(i.global_position ORDER BY i.global_position) INTO v_positions FROM inserted i;`;

/**
 * The first natgw_append: one round trip per append; lock the stream row, check
 * duplicates and the expected version, insert, bump the version and wake LISTENers
 * on commit. Replaced by AppendWithoutNotify1700000000005 (kept for its down()).
 */
export const APPEND_FUNCTION_V1 = `
      CREATE FUNCTION natgw_append(
        p_stream text, p_expected text, p_ids uuid[], p_types text[],
        p_data jsonb[], p_meta jsonb[], p_recorded_at timestamptz
      ) RETURNS TABLE (result text, stream_version integer, global_positions bigint[],
                       transaction_id text, recorded_at timestamptz)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_current integer;
        v_count integer := coalesce(array_length(p_ids, 1), 0);
        v_positions bigint[];
      BEGIN
        INSERT INTO natgw_streams AS s (stream_id, version) VALUES (p_stream, 0)
          ON CONFLICT (stream_id) DO NOTHING;
        SELECT s.version INTO v_current FROM natgw_streams s
          WHERE s.stream_id = p_stream FOR UPDATE;
        IF EXISTS (SELECT 1 FROM natgw_events e WHERE e.event_id = ANY (p_ids)) THEN
          RETURN QUERY SELECT 'duplicate'::text, v_current, NULL::bigint[], NULL::text, NULL::timestamptz;
          RETURN;
        END IF;
${APPEND_CHECK_AND_INSERT}
        UPDATE natgw_streams s SET version = v_current + v_count WHERE s.stream_id = p_stream;
        PERFORM pg_notify('natgw_events', '');
        RETURN QUERY SELECT 'ok'::text, v_current + v_count, v_positions,
          pg_current_xact_id()::text, p_recorded_at;
      END
      $fn$`;

/** The event log, its stream versions, the append function and projection checkpoints. */
export class EventLog1700000000000 implements MigrationInterface {
  name = 'EventLog1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE natgw_events (
        global_position bigserial PRIMARY KEY,
        stream_id text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        event_id uuid NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        CONSTRAINT natgw_events_stream_version_key UNIQUE (stream_id, version),
        CONSTRAINT natgw_events_event_id_key UNIQUE (event_id)
      )`);
    await q.query(
      `CREATE INDEX natgw_events_commit_order_idx ON natgw_events (transaction_id, global_position)`,
    );
    await q.query(`CREATE INDEX natgw_events_recorded_at_idx ON natgw_events (recorded_at)`);
    await q.query(`
      CREATE TABLE natgw_streams (
        stream_id text PRIMARY KEY,
        version integer NOT NULL
      )`);
    await q.query(`
      CREATE TABLE natgw_checkpoints (
        name text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(APPEND_FUNCTION_V1);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS natgw_append`);
    await q.query(`DROP TABLE IF EXISTS natgw_checkpoints`);
    await q.query(`DROP TABLE IF EXISTS natgw_streams`);
    await q.query(`DROP TABLE IF EXISTS natgw_events`);
  }
}
