import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * natgw_append's duplicate check (`event_id = ANY(...)`) kept the generic plan
 * PL/pgSQL cached while the table was empty: a sequential scan that grew with
 * the log. Planning each call for its real arguments keeps it an index lookup.
 */
export class AppendCustomPlans1700000000001 implements MigrationInterface {
  name = 'AppendCustomPlans1700000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER FUNCTION natgw_append(text, text, uuid[], text[], jsonb[], jsonb[], timestamptz)
         SET plan_cache_mode = force_custom_plan`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER FUNCTION natgw_append(text, text, uuid[], text[], jsonb[], jsonb[], timestamptz)
         RESET plan_cache_mode`,
    );
  }
}
