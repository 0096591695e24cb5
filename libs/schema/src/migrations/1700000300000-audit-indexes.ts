import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for audit lookups over the log (who held a public IP and port at an
 * instant, a gateway's NAT table then). Partial, so they only hold the few
 * event types the lookups read and cost nothing for the rest of the log.
 */
export class AuditIndexes1700000300000 implements MigrationInterface {
  name = 'AuditIndexes1700000300000';

  async up(q: QueryRunner): Promise<void> {
    // Slot events by public IP: which NICs ever had a slot on an address.
    await q.query(`
      CREATE INDEX natgw_events_slot_ip_idx ON natgw_events ((data->>'ip'), recorded_at)
        WHERE type IN ('NATSlotAssigned', 'NATSlotReleased')`);
    // Slot events by NIC: everything those NICs held, on any address.
    await q.query(`
      CREATE INDEX natgw_events_slot_nic_idx ON natgw_events ((data->>'nicUid'), recorded_at)
        WHERE type IN ('NATSlotAssigned', 'NATSlotReleased')`);
    // A gateway's namespace and name from its uid, also after it was deleted.
    await q.query(`
      CREATE INDEX natgw_events_gateway_uid_idx ON natgw_events ((data->>'uid'))
        WHERE type = 'NATGatewayCreated'`);
    // Every allocation stream up to an instant (npm run replay).
    await q.query(`
      CREATE INDEX natgw_events_allocation_time_idx ON natgw_events (recorded_at)
        WHERE stream_id LIKE 'allocation:%'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS natgw_events_allocation_time_idx`);
    await q.query(`DROP INDEX IF EXISTS natgw_events_gateway_uid_idx`);
    await q.query(`DROP INDEX IF EXISTS natgw_events_slot_nic_idx`);
    await q.query(`DROP INDEX IF EXISTS natgw_events_slot_ip_idx`);
  }
}
