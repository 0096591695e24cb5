import { MigrationInterface, QueryRunner } from 'typeorm';

/** The consumers' inbox: one row per (consumer, event) handled, so a redelivery is skipped. */
export class MessagingInbox1700000100000 implements MigrationInterface {
  name = 'MessagingInbox1700000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS natgw_inbox (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    // For pruning old rows (events far outside the redelivery horizon).
    await q.query(
      `CREATE INDEX IF NOT EXISTS natgw_inbox_handled_at_idx ON natgw_inbox (handled_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS natgw_inbox`);
  }
}
