import { MigrationInterface, QueryRunner } from 'typeorm';

/** The NAT slots every node programs, and each gateway's allocation version. */
export class NatSlots1700000200000 implements MigrationInterface {
  name = 'NatSlots1700000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE natgw_nat_slots (
        gateway_uid uuid NOT NULL,
        nic_uid uuid NOT NULL,
        nic_name text NOT NULL,
        namespace text NOT NULL,
        node_name text,
        family text NOT NULL,
        private_ip text NOT NULL,
        nat_ip text NOT NULL,
        port integer NOT NULL,
        end_port integer NOT NULL,
        PRIMARY KEY (gateway_uid, nic_uid)
      )`);
    await q.query(`CREATE INDEX natgw_nat_slots_node_idx ON natgw_nat_slots (node_name)`);
    await q.query(`
      CREATE TABLE natgw_allocation_versions (
        gateway_uid uuid PRIMARY KEY,
        version integer NOT NULL,
        closed boolean NOT NULL DEFAULT false
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS natgw_allocation_versions`);
    await q.query(`DROP TABLE IF EXISTS natgw_nat_slots`);
  }
}
