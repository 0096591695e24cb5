import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finding the streams of one prefix (`natgateway:<namespace>/`, for quotas) must not scan
 * every stream: an index in byte order (COLLATE "C") serves the range a prefix spans,
 * whatever the database's collation.
 */
export class StreamPrefixIndex1700000000002 implements MigrationInterface {
  name = 'StreamPrefixIndex1700000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS natgw_streams_by_prefix ON natgw_streams ((stream_id COLLATE "C"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS natgw_streams_by_prefix`);
  }
}
