import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The VNI of each slot's network: with per-network interfaces the dataplane keys NAT by
 * (network, private IP). Null for slots decided before networks had VNIs.
 */
export class NatSlotVni1700000400000 implements MigrationInterface {
  name = 'NatSlotVni1700000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE natgw_nat_slots ADD COLUMN vni integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE natgw_nat_slots DROP COLUMN IF EXISTS vni`);
  }
}
