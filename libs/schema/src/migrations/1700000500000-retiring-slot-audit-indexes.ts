import { MigrationInterface, QueryRunner } from 'typeorm';

const SLOT_TYPES = `('NATSlotAssigned', 'NATSlotReleased', 'NATSlotRetiring', 'NATRetiringSlotReleased')`;
const OLD_SLOT_TYPES = `('NATSlotAssigned', 'NATSlotReleased')`;

/**
 * Drain (issue 17.1): a NIC's slot on a draining IP becomes retiring (NATSlotRetiring) and keeps
 * serving its existing connections until it is released (NATRetiringSlotReleased). The audit
 * lookups read those events too, so the partial slot indexes of AuditIndexes1700000300000 are
 * rebuilt to hold them (a partial index serves only queries whose predicate implies its own).
 */
export class RetiringSlotAuditIndexes1700000500000 implements MigrationInterface {
  name = 'RetiringSlotAuditIndexes1700000500000';

  async up(q: QueryRunner): Promise<void> {
    await this.slotIndexes(q, SLOT_TYPES);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.slotIndexes(q, OLD_SLOT_TYPES);
  }

  private async slotIndexes(q: QueryRunner, types: string): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS natgw_events_slot_ip_idx`);
    await q.query(`DROP INDEX IF EXISTS natgw_events_slot_nic_idx`);
    await q.query(`
      CREATE INDEX natgw_events_slot_ip_idx ON natgw_events ((data->>'ip'), recorded_at)
        WHERE type IN ${types}`);
    await q.query(`
      CREATE INDEX natgw_events_slot_nic_idx ON natgw_events ((data->>'nicUid'), recorded_at)
        WHERE type IN ${types}`);
  }
}
