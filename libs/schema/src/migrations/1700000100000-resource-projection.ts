import { MigrationInterface, QueryRunner } from 'typeorm';

/** The resource read model: current objects, their numbered changes, and the change counter. */
export class ResourceProjection1700000100000 implements MigrationInterface {
  name = 'ResourceProjection1700000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE natgw_resources (
        kind text NOT NULL,
        namespace text NOT NULL,
        name text NOT NULL,
        uid uuid NOT NULL,
        resource_version bigint NOT NULL,
        stream_version integer NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}'::jsonb,
        object jsonb NOT NULL,
        subresources jsonb NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (kind, namespace, name)
      )`);
    await q.query(`CREATE UNIQUE INDEX natgw_resources_uid_key ON natgw_resources (uid)`);
    await q.query(`CREATE INDEX natgw_resources_labels_idx ON natgw_resources USING gin (labels)`);
    // Who references a Network: checked before the Network may be deleted.
    await q.query(
      `CREATE INDEX natgw_resources_network_ref_idx
         ON natgw_resources (namespace, (object #>> '{spec,networkRef,name}'))`,
    );
    await q.query(`
      CREATE TABLE natgw_resource_changes (
        resource_version bigint PRIMARY KEY,
        kind text NOT NULL,
        namespace text NOT NULL,
        name text NOT NULL,
        uid uuid NOT NULL,
        type text NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
        object jsonb NOT NULL,
        old_labels jsonb,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX natgw_resource_changes_kind_rv_idx ON natgw_resource_changes (kind, resource_version)`,
    );
    await q.query(
      `CREATE INDEX natgw_resource_changes_key_rv_idx
         ON natgw_resource_changes (kind, namespace, name, resource_version)`,
    );
    await q.query(
      `CREATE INDEX natgw_resource_changes_changed_at_idx ON natgw_resource_changes (changed_at)`,
    );
    await q.query(`
      CREATE TABLE natgw_resource_versions (
        id integer PRIMARY KEY CHECK (id = 1),
        last_rv bigint NOT NULL,
        compacted_rv bigint NOT NULL
      )`);
    await q.query(
      `INSERT INTO natgw_resource_versions (id, last_rv, compacted_rv) VALUES (1, 0, 0)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS natgw_resource_versions`);
    await q.query(`DROP TABLE IF EXISTS natgw_resource_changes`);
    await q.query(`DROP TABLE IF EXISTS natgw_resources`);
  }
}
