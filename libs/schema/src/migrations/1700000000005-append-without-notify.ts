import { MigrationInterface, QueryRunner } from 'typeorm';
import { APPEND_CHECK_AND_INSERT, APPEND_FUNCTION_V1 } from './1700000000000-event-log';

const SIGNATURE = 'natgw_append(text, text, uuid[], text[], jsonb[], jsonb[], timestamptz)';

/**
 * natgw_append without its NOTIFY, and with one statement fewer per append.
 *
 * PostgreSQL serializes the commits of all transactions that NOTIFY (a cluster-wide
 * lock held from before the commit record until after its WAL flush), so writers
 * could never share a flush: 4 writers appending one event each ran at the speed of
 * one. Readers are now woken after the commit by the writer's CommitAnnouncer.
 *
 * The stream's row is created or bumped by one upsert (which also locks it) instead of
 * insert-if-missing, SELECT FOR UPDATE and UPDATE. A duplicate puts the version back;
 * a wrong expected version raises, which undoes the bump with the statement.
 */
export class AppendWithoutNotify1700000000005 implements MigrationInterface {
  name = 'AppendWithoutNotify1700000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION natgw_append(
        p_stream text, p_expected text, p_ids uuid[], p_types text[],
        p_data jsonb[], p_meta jsonb[], p_recorded_at timestamptz
      ) RETURNS TABLE (result text, stream_version integer, global_positions bigint[],
                       transaction_id text, recorded_at timestamptz)
      LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $fn$
      DECLARE
        v_current integer;
        v_count integer := coalesce(array_length(p_ids, 1), 0);
        v_positions bigint[];
      BEGIN
        INSERT INTO natgw_streams AS s (stream_id, version) VALUES (p_stream, v_count)
          ON CONFLICT (stream_id) DO UPDATE SET version = s.version + v_count
          RETURNING s.version - v_count INTO v_current;
        IF EXISTS (SELECT 1 FROM natgw_events e WHERE e.event_id = ANY (p_ids)) THEN
          UPDATE natgw_streams s SET version = v_current WHERE s.stream_id = p_stream;
          RETURN QUERY SELECT 'duplicate'::text, v_current, NULL::bigint[], NULL::text, NULL::timestamptz;
          RETURN;
        END IF;
${APPEND_CHECK_AND_INSERT}
        RETURN QUERY SELECT 'ok'::text, v_current + v_count, v_positions,
          pg_current_xact_id()::text, p_recorded_at;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ${SIGNATURE}`);
    await q.query(APPEND_FUNCTION_V1);
    await q.query(`ALTER FUNCTION ${SIGNATURE} SET plan_cache_mode = force_custom_plan`);
  }
}
