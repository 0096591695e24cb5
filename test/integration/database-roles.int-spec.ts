// One PostgreSQL role per service (NATGW_SERVICE_ROLES), granted by the migrator:
// no runtime role may UPDATE, DELETE or TRUNCATE the log, alter it, or write
// another service's read models; and natgw works end to end with each service
// on its own login role and MIGRATE_ON_START=false: the api-gateway appends and
// projects, the allocator projects, relays (checkpoints) and allocates, the
// executor keeps its inbox and nat-slots projection and reports the programmed
// table, so a gateway becomes Ready.
import { randomBytes } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  grantServiceRoles,
  openDatabase,
  PostgresEventStore,
  SchemaBehindError,
} from '@natgw/event-store';
import { startJetStreamTransport } from '@natgw/messaging';
import { loadConfig } from '@natgw/platform';
import {
  createTestDatabase,
  deleteTestStream,
  dropTestDatabase,
  eventually,
  testNatsNames,
} from '@natgw/testing';
import { AllocatorConfig } from '../../apps/allocator/src/allocator.config';
import { AllocatorModule } from '../../apps/allocator/src/allocator.module';
import { ExecutorConfig } from '../../apps/dataplane-executor/src/executor.config';
import { ExecutorModule } from '../../apps/dataplane-executor/src/executor.module';
import { startTestApi, TestApi } from './api-test-app';
import { NATGW_SCHEMA, NATGW_SERVICE_ROLES } from '@natgw/schema';

jest.setTimeout(180_000);

const API = '/apis/networking.ironcore.dev/v1alpha1/namespaces/default';
const SERVICES = {
  'api-gateway': 'natgw_api_gateway',
  allocator: 'natgw_allocator',
  'dataplane-executor': 'natgw_dataplane_executor',
} as const;
type Service = keyof typeof SERVICES;
const INSUFFICIENT_PRIVILEGE = '42501';

describe('database roles', () => {
  const suffix = randomBytes(3).toString('hex');
  const login = (service: Service) => `natgw_t${suffix}_${service.replace(/-/g, '_')}`;
  const nats = testNatsNames('db-roles');
  let url: string;
  let owner: DataSource;
  const roleUrl = {} as Record<Service, string>;
  const sources = {} as Record<Service, DataSource>;

  async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  }

  beforeAll(async () => {
    url = await createTestDatabase('db-roles');
    // The migrator: here the superuser of the test server, as `npm run migrate` runs.
    owner = await openDatabase({ url, ...NATGW_SCHEMA });
    await admin(async (c) => {
      for (const service of Object.keys(SERVICES) as Service[]) {
        await c.query(`CREATE ROLE ${login(service)} LOGIN IN ROLE ${SERVICES[service]}`);
        const u = new URL(url);
        u.username = login(service);
        roleUrl[service] = u.toString();
      }
    });
    for (const service of Object.keys(SERVICES) as Service[]) {
      sources[service] = await openDatabase({
        url: roleUrl[service],
        ...NATGW_SCHEMA,
        migrate: false,
        schemaWaitMs: 5_000,
        poolSize: 2,
      });
    }
  });

  afterAll(async () => {
    for (const ds of Object.values(sources)) await ds.destroy().catch(() => undefined);
    await owner?.destroy();
    if (url) await dropTestDatabase(url);
    const c = new Client({
      connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await c.connect();
    for (const service of Object.keys(SERVICES) as Service[]) {
      await c.query(`DROP ROLE IF EXISTS ${login(service)}`).catch(() => undefined);
    }
    await c.end();
    await deleteTestStream(nats.stream);
  });

  const services = Object.keys(SERVICES) as Service[];

  describe.each(services)('the %s role', (service) => {
    const failsWith = async (sql: string) => {
      let code: string | undefined;
      try {
        await sources[service].query(sql);
      } catch (err) {
        code = (err as { code?: string }).code;
      }
      expect({ sql, code }).toEqual({ sql, code: INSUFFICIENT_PRIVILEGE });
    };

    it('appends to the log and reads it', async () => {
      const store = new PostgresEventStore(sources[service]);
      await store.append(`probe:${service}`, [{ type: 'RoleProbe', data: { service } }]);
      const events = await store.readStream(`probe:${service}`);
      expect(events.map((e) => e.type)).toEqual(['RoleProbe']);
    });

    it('cannot UPDATE, DELETE, TRUNCATE, alter or drop natgw_events', async () => {
      const before = await owner.query('SELECT count(*)::int AS n FROM natgw_events');
      await failsWith(`UPDATE natgw_events SET type = 'Forged'`);
      await failsWith(`DELETE FROM natgw_events`);
      await failsWith(`TRUNCATE natgw_events`);
      await failsWith(`ALTER TABLE natgw_events DISABLE TRIGGER ALL`);
      await failsWith(`DROP TABLE natgw_events`);
      await failsWith(`TRUNCATE natgw_streams`);
      await failsWith(`DELETE FROM natgw_streams`);
      await failsWith(`DELETE FROM natgw_migrations`);
      // The commit order is the database's: no role picks an event's transaction id or position.
      await failsWith(
        `INSERT INTO natgw_events (stream_id, version, event_id, type, data, transaction_id)
         VALUES ('forged:1', 1, gen_random_uuid(), 'Forged', '{}', '1'::xid8)`,
      );
      await failsWith(
        `INSERT INTO natgw_events (stream_id, version, event_id, type, data, global_position)
         VALUES ('forged:1', 1, gen_random_uuid(), 'Forged', '{}', 1)`,
      );
      await failsWith('DROP FUNCTION natgw_commit_order_base()');
      // Only log:prune (the schema's owner) moves the retention horizon.
      await failsWith(
        `INSERT INTO natgw_log_retention (retained_since, transaction_id, global_position)
         VALUES (now(), '0'::xid8, 0)`,
      );
      expect(await owner.query('SELECT count(*)::int AS n FROM natgw_events')).toEqual(before);
    });

    it("cannot write another service's read models", async () => {
      const foreign = service === 'dataplane-executor' ? 'natgw_resources' : 'natgw_nat_slots';
      await failsWith(`DELETE FROM ${foreign}`);
      if (service === 'api-gateway') await failsWith('DELETE FROM natgw_inbox');
    });
  });

  it('a service that does not migrate refuses a database that was never migrated, naming the fix', async () => {
    const empty = await createTestDatabase('db-roles-empty');
    try {
      await expect(
        openDatabase({ url: empty, ...NATGW_SCHEMA, migrate: false, schemaWaitMs: 1_000 }),
      ).rejects.toThrow(SchemaBehindError);
      await expect(
        openDatabase({ url: empty, ...NATGW_SCHEMA, migrate: false, schemaWaitMs: 1_000 }),
      ).rejects.toThrow(/never migrated.*npm run migrate/);
    } finally {
      await dropTestDatabase(empty);
    }
  });

  it('migrating again is idempotent and keeps the grants', async () => {
    const again = await openDatabase({ url, ...NATGW_SCHEMA });
    await again.destroy();
    const grants: Array<{ grantee: string; privilege_type: string }> = await owner.query(
      // INSERT is granted on the columns an append names (role_column_grants), SELECT on the table.
      `SELECT DISTINCT grantee, privilege_type FROM (
         SELECT grantee, privilege_type, table_name FROM information_schema.role_table_grants
         UNION ALL
         SELECT grantee, privilege_type, table_name FROM information_schema.role_column_grants) g
        WHERE table_name = 'natgw_events' AND grantee = ANY($1) ORDER BY grantee, privilege_type`,
      [NATGW_SERVICE_ROLES.map((r) => r.name)],
    );
    expect(grants).toEqual(
      NATGW_SERVICE_ROLES.map((r) => r.name)
        .sort()
        .flatMap((grantee) => [
          { grantee, privilege_type: 'INSERT' },
          { grantee, privilege_type: 'SELECT' },
        ]),
    );
  });

  it('assigns every table of the schema: a new read model must name the roles that write it', async () => {
    const tables: Array<{ table_name: string }> = await owner.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    // The log and its bookkeeping every role uses as the grants say; the migrations table
    // only the migrator writes, the commit-order re-bases only natgw_rebase_commit_order()
    // (SECURITY DEFINER, as the owner), the retention horizon only log:prune (as the owner). Every other table must be some role's read model.
    const known = new Set([
      'natgw_events',
      'natgw_streams',
      'natgw_checkpoints',
      'natgw_migrations',
      'natgw_commit_order_rebases',
      'natgw_log_retention',
      ...NATGW_SERVICE_ROLES.flatMap((r) => r.writes),
    ]);
    expect(tables.map((t) => t.table_name).filter((t) => !known.has(t))).toEqual([]);
  });

  it('two migrators of different databases that create the same new role at once both succeed', async () => {
    // Roles are cluster-wide: the second CREATE ROLE waits for the first and then fails;
    // its grants must still go through.
    const role = `natgw_t${suffix}_race`;
    const otherUrl = await createTestDatabase('db-roles-race');
    const other = await openDatabase({ url: otherUrl, ...NATGW_SCHEMA });
    const spec = [{ name: role, writes: ['natgw_inbox'] }];
    try {
      let second: Promise<void> | undefined;
      await owner.transaction(async (manager) => {
        await grantServiceRoles(manager, spec);
        second = other.transaction((m) => grantServiceRoles(m, spec));
        // Commit only once the second is blocked on our uncommitted role.
        await eventually(
          async () =>
            (
              await owner.query(
                `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'CREATE ROLE%'`,
              )
            ).length > 0,
          { what: 'the second CREATE ROLE to wait for the first' },
        );
      });
      await second;
      for (const ds of [owner, other]) {
        const privileges: Array<{ privilege_type: string }> = await ds.query(
          `SELECT DISTINCT privilege_type FROM (
             SELECT grantee, privilege_type, table_name FROM information_schema.role_table_grants
             UNION ALL
             SELECT grantee, privilege_type, table_name FROM information_schema.role_column_grants) g
            WHERE table_name = 'natgw_events' AND grantee = $1 ORDER BY privilege_type`,
          [role],
        );
        expect(privileges.map((p) => p.privilege_type)).toEqual(['INSERT', 'SELECT']);
      }
    } finally {
      for (const ds of [owner, other])
        await ds.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await other.destroy();
      await dropTestDatabase(otherUrl);
      await owner.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    }
  });

  describe('natgw with each service on its own role', () => {
    let api: TestApi;
    const apps: INestApplication[] = [];

    beforeAll(async () => {
      const common = {
        NATS_STREAM: nats.stream,
        NATS_SUBJECT_PREFIX: nats.prefix,
        MIGRATE_ON_START: 'false',
        LOG_LEVEL: 'silent',
        DATABASE_POOL_SIZE: '4',
      };
      const allocator = await NestFactory.create(
        AllocatorModule.forRoot(
          loadConfig(AllocatorConfig, {
            ...common,
            DATABASE_URL: roleUrl.allocator,
            PUBLIC_PREFIXES: '198.51.100.0/28',
          }),
        ),
        { logger: false },
      );
      await startJetStreamTransport(allocator);
      apps.push(allocator);
      // The allocator first: it creates the stream the others wait for.
      api = await startTestApi('db-roles-api', {
        env: {
          ...common,
          DATABASE_URL: roleUrl['api-gateway'],
          NATS_RELAY: 'false',
          NATS_ENSURE_STREAM: 'false',
        },
      });
      const executor = await NestFactory.create(
        ExecutorModule.forRoot(
          loadConfig(ExecutorConfig, {
            ...common,
            DATABASE_URL: roleUrl['dataplane-executor'],
            NATS_RELAY: 'false',
            NATS_ENSURE_STREAM: 'false',
            NODE_NAME: 'node-1',
          }),
        ),
        { logger: false },
      );
      apps.push(await executor.init());
    });

    afterAll(async () => {
      for (const app of apps.reverse()) await app.close().catch(() => undefined);
      await api?.close();
    });

    it('serves, allocates and programs a gateway to Ready', async () => {
      const http = () => request(api.url);
      expect(
        (
          await http()
            .post(`${API}/networks`)
            .send({ metadata: { name: 'net' } })
        ).status,
      ).toBe(201);
      const gw = await http()
        .post(`${API}/natgateways`)
        .send({
          metadata: { name: 'gw' },
          spec: {
            type: 'Public',
            ipFamily: 'IPv4',
            portsPerNetworkInterface: 1024,
            networkRef: { name: 'net' },
          },
        });
      expect(gw.status).toBe(201);
      const nic = await http()
        .post(`${API}/networkinterfaces`)
        .send({
          metadata: { name: 'nic' },
          spec: { networkRef: { name: 'net' }, ips: ['10.0.0.1'], nodeName: 'node-1' },
        });
      expect(nic.status).toBe(201);
      const ready = await eventually(
        async () => {
          const got = await http().get(`${API}/natgateways/gw`);
          const conditions = (got.body.status?.conditions ?? []) as Array<{
            type: string;
            status: string;
          }>;
          return conditions.find((c) => c.type === 'Ready' && c.status === 'True') && got.body;
        },
        { what: 'the gateway to be Ready', timeoutMs: 90_000 },
      );
      expect(ready.status.ips).toEqual([
        { name: 'ip1', ip: expect.stringMatching(/^198\.51\.100\./), state: 'Active' },
      ]);
      // Every service appended with its own role, and the relay (allocator) checkpointed.
      const actors: Array<{ stream_id: string }> = await owner.query(
        `SELECT DISTINCT split_part(stream_id, ':', 1) AS stream_id FROM natgw_events`,
      );
      expect(actors.map((a) => a.stream_id)).toEqual(
        expect.arrayContaining(['natgateway', 'allocation', 'ippool', 'dataplane']),
      );
      const checkpoints: Array<{ name: string }> = await owner.query(
        'SELECT name FROM natgw_checkpoints ORDER BY name',
      );
      expect(checkpoints.map((c) => c.name)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/relay/),
          expect.stringMatching(/nat-slots/),
        ]),
      );
      // The allocator's and the executor's consumers keep their inboxes with their roles.
      await eventually(
        async () => {
          const inbox: Array<{ consumer: string }> = await owner.query(
            'SELECT DISTINCT consumer FROM natgw_inbox',
          );
          const consumers = inbox.map((r) => r.consumer);
          return (
            consumers.includes('allocator') &&
            consumers.some((c) => c.startsWith('dataplane-executor'))
          );
        },
        { what: 'inbox rows of the allocator and the executor', timeoutMs: 30_000 },
      );
    });
  });
});
