// deploy/nats/nats-server.conf on a private nats-server: natgw works with its
// per-service users (the relay publishes, the allocator's and an executor's
// durable consumers consume, the api-gateway answers inbound requests, the
// example subscriber reads as external-subscriber), and the permissions hold:
// the external user cannot publish events or touch natgw's consumers, and a
// service user cannot publish or read outside its subjects.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { jetstream, jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, NatsConnection } from '@nats-io/nats-core';
import { DataSource } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import { openDatabase, PostgresEventStore } from '@natgw/event-store';
import {
  connectNats,
  DurableEventConsumer,
  ensureEventStream,
  JetStreamRelay,
} from '@natgw/messaging';
import { NATGW_SCHEMA } from '@natgw/projections';
import {
  createTestDatabase,
  dropTestDatabase,
  eventually,
  PrivateNatsServer,
} from '@natgw/testing';
import { InboundListener } from '../../apps/api-gateway/src/inbound/inbound-listener';
import { startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const CONF = path.join(ROOT, 'deploy', 'nats', 'nats-server.conf');
const STREAM = 'NATGW_EVENTS';
const PASSWORDS = {
  'api-gateway': 'pw-api',
  allocator: 'pw-alloc',
  'dataplane-executor': 'pw-exec',
  'external-subscriber': 'pw-ext',
};
type User = keyof typeof PASSWORDS;

describe('deploy/nats/nats-server.conf', () => {
  let server: PrivateNatsServer;
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  const connections: NatsConnection[] = [];
  const stops: Array<() => Promise<void>> = [];

  /** A connection as natgw's services make it (their inbox prefix), or as an external client. */
  async function as(user: User, inboxPrefix?: string): Promise<NatsConnection> {
    const nc = await connectNats({
      servers: server.url,
      user,
      password: PASSWORDS[user],
      inboxPrefix: inboxPrefix ?? `_INBOX.natgw-${user}`,
      connectTimeoutMs: 5_000,
    });
    connections.push(nc);
    return nc;
  }

  beforeAll(async () => {
    server = await PrivateNatsServer.start({
      config: readFileSync(CONF, 'utf8'),
      env: {
        NATGW_API_GATEWAY_PASSWORD: PASSWORDS['api-gateway'],
        NATGW_ALLOCATOR_PASSWORD: PASSWORDS.allocator,
        NATGW_DATAPLANE_EXECUTOR_PASSWORD: PASSWORDS['dataplane-executor'],
        NATGW_EXTERNAL_SUBSCRIBER_PASSWORD: PASSWORDS['external-subscriber'],
      },
    });
    url = await createTestDatabase('nats-security');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    for (const nc of connections) await nc.close().catch(() => undefined);
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
    await server?.destroy();
  });

  it('rejects unknown users and wrong passwords', async () => {
    await expect(
      connectNats({
        servers: server.url,
        user: 'allocator',
        password: 'wrong',
        connectTimeoutMs: 3_000,
      }),
    ).rejects.toThrow(/Authorization/i);
  });

  describe('natgw with one user per service', () => {
    const seenBy = { allocator: [] as RecordedEvent[], executor: [] as RecordedEvent[] };

    beforeAll(async () => {
      // The allocator's user creates the stream, relays and consumes, as the service does.
      const alloc = await as('allocator');
      const allocJsm = await jetstreamManager(alloc);
      await ensureEventStream(allocJsm, STREAM, 'natgw');
      const relay = new JetStreamRelay(
        { dataSource: ds, store, js: jetstream(alloc) },
        {
          streamName: STREAM,
          subjectPrefix: 'natgw',
          source: '/natgw/allocator',
          databaseUrl: url,
          pollIntervalMs: 100,
        },
      );
      relay.start();
      stops.push(() => relay.stop());
      const allocator = new DurableEventConsumer(
        { dataSource: ds, store, js: jetstream(alloc), jsm: allocJsm },
        {
          streamName: STREAM,
          durable: 'allocator',
          filterSubject: 'natgw.events.>',
          handler: async (e) => void seenBy.allocator.push(e),
        },
      );
      const exec = await as('dataplane-executor');
      const executor = new DurableEventConsumer(
        { dataSource: ds, store, js: jetstream(exec), jsm: await jetstreamManager(exec) },
        {
          streamName: STREAM,
          durable: 'dataplane-executor-node-1',
          filterSubject: 'natgw.events.allocation.>',
          handler: async (e) => void seenBy.executor.push(e),
        },
      );
      for (const c of [allocator, executor]) {
        await c.start();
        stops.push(() => c.stop());
      }
      await store.append('natgateway:default/gw', [
        { type: 'NATGatewayCreated', data: { uid: 'u1' } },
      ]);
      await store.append('allocation:6b1c0a5e-0000-4000-8000-000000000001', [
        {
          type: 'AllocationSatisfied',
          data: { gatewayUid: '6b1c0a5e-0000-4000-8000-000000000001' },
        },
      ]);
    });

    it('relays with the allocator user and consumes with the allocator and executor users', async () => {
      await eventually(() => seenBy.allocator.length === 2 && seenBy.executor.length === 1, {
        what: 'both consumers to see the events',
        timeoutMs: 30_000,
      });
      expect(seenBy.allocator.map((e) => e.type)).toEqual([
        'NATGatewayCreated',
        'AllocationSatisfied',
      ]);
      expect(seenBy.executor.map((e) => e.type)).toEqual(['AllocationSatisfied']);
    });

    it('lets the external subscriber read every event through its own durable consumer', () => {
      const r = spawnSync(
        process.execPath,
        ['scripts/run-ts.js', 'examples/subscriber.ts', '--from-start', '--max', '2', '--json'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            NATS_URL: server.url,
            NATS_USER: 'external-subscriber',
            NATS_PASSWORD: PASSWORDS['external-subscriber'],
            NATS_STREAM: STREAM,
            NATS_SUBJECT_PREFIX: 'natgw',
          },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const types = r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { natgwtype: string }).natgwtype);
      expect(types).toEqual(['NATGatewayCreated', 'AllocationSatisfied']);
    });

    describe('the api-gateway user', () => {
      let api: TestApi;

      beforeAll(async () => {
        api = await startTestApi('nats-security-api', {
          env: {
            NATS_URL: server.url,
            NATS_USER: 'api-gateway',
            NATS_PASSWORD: PASSWORDS['api-gateway'],
            NATS_STREAM: STREAM,
            NATS_SUBJECT_PREFIX: 'natgw',
          },
        });
        const listener = api.app.get(InboundListener);
        await eventually(() => listener.listening, { what: 'the inbound subscriptions' });
      });

      afterAll(async () => {
        await api?.close();
      });

      it('answers an inbound request the external subscriber sends', async () => {
        const ext = await as('external-subscriber', '_INBOX.ext');
        const reply = await ext.request(
          'natgw.inbound.networkinterfaces.upsert',
          JSON.stringify({
            requestId: 'sec-1',
            object: {
              metadata: { name: 'nic-sec', namespace: 'default' },
              spec: { networkRef: { name: 'n' }, ips: ['10.9.0.1'] },
            },
          }),
          { timeout: 20_000 },
        );
        expect(reply.headers?.get('Natgw-Status-Code')).toBe('200');
        expect(reply.json<{ metadata: { name: string } }>().metadata.name).toBe('nic-sec');
      });
    });
  });

  describe('permissions', () => {
    let ext: NatsConnection;
    let extJsm: JetStreamManager;
    let allocJsm: JetStreamManager;

    beforeAll(async () => {
      ext = await as('external-subscriber', '_INBOX.ext');
      extJsm = await jetstreamManager(ext);
      allocJsm = await jetstreamManager(await as('allocator'));
      await ensureEventStream(allocJsm, STREAM, 'natgw');
    });

    const denied = /permission/i;

    it('the external user cannot publish on natgw.events.>', async () => {
      const before = (await allocJsm.streams.info(STREAM)).state.messages;
      await expect(
        jetstream(ext).publish('natgw.events.natgateway.NATGatewayCreated', '{}', {
          timeout: 5_000,
        }),
      ).rejects.toThrow(denied);
      ext.publish('natgw.events.allocation.NATSlotAssigned', '{}');
      await ext.flush();
      expect((await allocJsm.streams.info(STREAM)).state.messages).toBe(before);
    });

    it("the external user cannot read or change natgw's consumers", async () => {
      await expect(extJsm.consumers.info(STREAM, 'allocator')).rejects.toThrow(denied);
      await expect(
        ext.request(`$JS.API.CONSUMER.MSG.NEXT.${STREAM}.allocator`, JSON.stringify({ batch: 1 }), {
          timeout: 5_000,
        }),
      ).rejects.toThrow(denied);
      await expect(extJsm.consumers.delete(STREAM, 'allocator')).rejects.toThrow(denied);
      await expect(
        extJsm.consumers.add(STREAM, {
          durable_name: 'not-listed',
          ack_policy: 'explicit' as never,
        }),
      ).rejects.toThrow(denied);
      // Its own listed consumer works.
      const info = await extJsm.consumers.add(STREAM, {
        durable_name: 'ext-billing',
        ack_policy: 'explicit' as never,
        filter_subject: 'natgw.events.>',
      });
      expect(info.name).toBe('ext-billing');
    });

    it('the external user cannot read replies meant for natgw services', async () => {
      const sub = ext.subscribe('_INBOX.natgw-allocator.>');
      await expect(
        (async () => {
          for await (const _ of sub) break;
        })(),
      ).rejects.toThrow(denied);
    });

    it('a service user cannot publish outside its subjects', async () => {
      const alloc = await as('allocator');
      await expect(
        alloc.request('natgw.inbound.networkinterfaces.upsert', '{}', { timeout: 5_000 }),
      ).rejects.toThrow(denied);
      const exec = await as('dataplane-executor');
      await expect(
        (await jetstreamManager(exec)).consumers.info(STREAM, 'allocator'),
      ).rejects.toThrow(denied);
      await expect((await jetstreamManager(exec)).streams.delete(STREAM)).rejects.toThrow(denied);
      const api = await as('api-gateway');
      const h = natsHeaders();
      h.set('x', 'y');
      await expect(
        api.request('somewhere.else', '{}', { timeout: 5_000, headers: h }),
      ).rejects.toThrow(denied);
      expect((await allocJsm.streams.info(STREAM)).config.name).toBe(STREAM);
    });
  });
});
