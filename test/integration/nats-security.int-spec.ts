// deploy/nats/nats-server.conf on a private nats-server: natgw works with its
// per-service users (the allocator owns the stream and relays, the allocator's
// and an executor's durable consumers consume, the api-gateway answers inbound
// requests of external systems, the example subscriber reads from its own
// account), and the permissions hold: an external system cannot publish
// events, purge, delete or edit the stream, make natgw publish on a reply
// subject of its choosing, or write outside its namespaces; each service user
// can do only what it needs (the auth matrix at the end).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { jetstream, jetstreamManager, JetStreamManager, StreamInfo } from '@nats-io/jetstream';
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
import {
  createTestDatabase,
  dropTestDatabase,
  eventually,
  PrivateNatsServer,
} from '@natgw/testing';
import { InboundListener } from '../../apps/api-gateway/src/inbound/inbound-listener';
import { startTestApi, TestApi } from './api-test-app';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const CONF = path.join(ROOT, 'deploy', 'nats', 'nats-server.conf');
const STREAM = 'NATGW_EVENTS';
const PASSWORDS = {
  'api-gateway': 'pw-api',
  allocator: 'pw-alloc',
  'dataplane-executor': 'pw-exec',
  example: 'pw-example',
  billing: 'pw-billing',
};
type User = keyof typeof PASSWORDS;
const SERVICE_USERS = ['api-gateway', 'allocator', 'dataplane-executor'] as const;
const EXTERNAL_USERS = ['example', 'billing'] as const;

/** What NATS answers a denied publish or request with. */
const denied = /permission/i;
/**
 * What a request to a subject nobody serves in the requester's account fails with
 * (nats.js words a JetStream API request without responders "jetstream is not enabled").
 */
const unserved = /no responders|jetstream is not enabled|timeout|503/i;

const nic = (namespace: string, name: string, ip: string) => ({
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NetworkInterface',
  metadata: { name, namespace },
  spec: { networkRef: { name: 'n' }, ips: [ip] },
});

/** The parts of a stream's state a purge, a message delete or an edit would change. */
const fingerprint = (info: StreamInfo) => ({
  messages: info.state.messages,
  first_seq: info.state.first_seq,
  last_seq: info.state.last_seq,
  config: info.config,
});

describe('deploy/nats/nats-server.conf', () => {
  let server: PrivateNatsServer;
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let allocJsm: JetStreamManager;
  const connections: NatsConnection[] = [];
  const stops: Array<() => Promise<void>> = [];

  /** A connection as natgw's services make it (their inbox prefix), or as an external client. */
  async function as(user: User): Promise<NatsConnection> {
    const nc = await connectNats({
      servers: server.url,
      user,
      password: PASSWORDS[user],
      inboxPrefix: user in { example: 1, billing: 1 } ? '_INBOX.ext' : `_INBOX.natgw-${user}`,
      connectTimeoutMs: 5_000,
    });
    connections.push(nc);
    return nc;
  }

  const streamState = async () => fingerprint(await allocJsm.streams.info(STREAM));
  /** How many messages the auth matrix's 'publish event' probes stored. */
  const probesStored = async () => {
    const info = await allocJsm.streams.info(STREAM, { subjects_filter: 'natgw.events.matrix.>' });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  };

  beforeAll(async () => {
    server = await PrivateNatsServer.start({
      config: readFileSync(CONF, 'utf8'),
      env: {
        NATGW_API_GATEWAY_PASSWORD: PASSWORDS['api-gateway'],
        NATGW_ALLOCATOR_PASSWORD: PASSWORDS.allocator,
        NATGW_DATAPLANE_EXECUTOR_PASSWORD: PASSWORDS['dataplane-executor'],
        NATGW_EXT_EXAMPLE_PASSWORD: PASSWORDS.example,
        NATGW_EXT_BILLING_PASSWORD: PASSWORDS.billing,
      },
    });
    url = await createTestDatabase('nats-security');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
    // The allocator's user creates the stream, as the allocator does at start.
    allocJsm = await jetstreamManager(await as('allocator'));
    await ensureEventStream(allocJsm, STREAM, 'natgw');
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

  it('creates the event stream with deny_delete and deny_purge', async () => {
    const { config } = await allocJsm.streams.info(STREAM);
    expect(config.deny_delete).toBe(true);
    expect(config.deny_purge).toBe(true);
  });

  describe('natgw with one user per service', () => {
    const seenBy = { allocator: [] as RecordedEvent[], executor: [] as RecordedEvent[] };

    beforeAll(async () => {
      const alloc = await as('allocator');
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

    it('lets an external system read every event through its own durable consumer, from its own account', () => {
      const r = spawnSync(
        process.execPath,
        ['scripts/run-ts.js', 'examples/subscriber.ts', '--from-start', '--max', '2', '--json'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            NATS_URL: server.url,
            NATS_USER: 'example',
            NATS_PASSWORD: PASSWORDS.example,
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
  });

  describe('inbound requests of external systems', () => {
    let api: TestApi;
    let example: NatsConnection;
    let billing: NatsConnection;

    beforeAll(async () => {
      const grants = path.join(tmpdir(), `natgw-inbound-grants-${process.pid}.yaml`);
      writeFileSync(
        grants,
        [
          'systems:',
          '  - name: example',
          '    namespaces: [tenant-a]',
          '  - name: billing',
          '    namespaces: [tenant-b]',
        ].join('\n'),
      );
      api = await startTestApi('nats-security-api', {
        env: {
          NATS_URL: server.url,
          NATS_USER: 'api-gateway',
          NATS_PASSWORD: PASSWORDS['api-gateway'],
          NATS_STREAM: STREAM,
          NATS_SUBJECT_PREFIX: 'natgw',
          // As the chart runs it: the allocator owns the stream and relays.
          NATS_RELAY: 'false',
          NATS_ENSURE_STREAM: 'false',
          NATS_INBOUND_GRANTS_FILE: grants,
        },
      });
      const listener = api.app.get(InboundListener);
      await eventually(() => listener.listening, { what: 'the inbound subscriptions' });
      example = await as('example');
      billing = await as('billing');
    });

    afterAll(async () => {
      await api?.close();
    });

    async function upsert(nc: NatsConnection, object: unknown, subject?: string) {
      const reply = await nc.request(
        subject ?? 'natgw.inbound.networkinterfaces.upsert',
        JSON.stringify({ object }),
        { timeout: 20_000 },
      );
      return { code: Number(reply.headers?.get('Natgw-Status-Code')), body: reply.json() };
    }

    const nicEvents = (ns: string, name: string) =>
      api.store.readStream(`networkinterface:${ns}/${name}`);

    it('answers a system in its granted namespace, and records the system as the actor', async () => {
      const reply = await upsert(example, nic('tenant-a', 'nic-a', '10.9.0.1'));
      expect(reply.code).toBe(200);
      expect((reply.body as { metadata: { name: string } }).metadata.name).toBe('nic-a');
      const [created] = await nicEvents('tenant-a', 'nic-a');
      expect(created.metadata.actor).toBe('nats:example');
    });

    it('refuses a system outside its namespaces with 403, as REST refuses a token', async () => {
      const reply = await upsert(example, nic('tenant-b', 'nic-b', '10.9.0.2'));
      expect(reply.code).toBe(403);
      expect(reply.body).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
      expect((reply.body as { message: string }).message).toMatch(
        /User "nats:example" cannot update resource "networkinterfaces".*namespace "tenant-b".*not granted/,
      );
      expect(await nicEvents('tenant-b', 'nic-b')).toEqual([]);
      // billing holds tenant-b.
      expect((await upsert(billing, nic('tenant-b', 'nic-b', '10.9.0.2'))).code).toBe(200);
      expect(
        (
          await example.request(
            'natgw.inbound.networkinterfaces.delete',
            JSON.stringify({ namespace: 'tenant-b', name: 'nic-b' }),
            { timeout: 20_000 },
          )
        ).headers?.get('Natgw-Status-Code'),
      ).toBe('403');
    });

    it("cannot send on another system's subject, nor on the api-gateway's own", async () => {
      for (const subject of [
        'natgw.inbound.billing.networkinterfaces.upsert',
        'natgw.inbound.example.networkinterfaces.upsert',
      ]) {
        await expect(
          upsert(example, nic('tenant-b', 'nic-x', '10.9.0.3'), subject),
        ).rejects.toThrow(unserved);
      }
      expect(await nicEvents('tenant-b', 'nic-x')).toEqual([]);
    });

    it('a JetStream API or event subject named as reply changes nothing; the request still runs once', async () => {
      const before = await streamState();
      for (const [i, reply] of [
        `$JS.API.STREAM.PURGE.${STREAM}`,
        `$JS.API.STREAM.DELETE.${STREAM}`,
        `$JS.API.STREAM.MSG.DELETE.${STREAM}`,
        `$JS.API.STREAM.UPDATE.${STREAM}`,
        'natgw.events.natgateway.NATGatewayCreated',
      ].entries()) {
        example.publish(
          'natgw.inbound.networkinterfaces.upsert',
          JSON.stringify({ object: nic('tenant-a', `nic-r${i}`, `10.9.1.${i + 1}`) }),
          { reply },
        );
        // A request for the same object waits for the one before it, so once this
        // is answered the reply above has been published (and gone nowhere).
        expect((await upsert(example, nic('tenant-a', `nic-r${i}`, `10.9.1.${i + 1}`))).code).toBe(
          200,
        );
      }
      expect(await streamState()).toEqual(before);
      expect(before.messages).toBeGreaterThan(0);
    });
  });

  describe('an external system cannot touch the stream', () => {
    let ext: NatsConnection;

    beforeAll(async () => {
      ext = await as('billing');
    });

    it('cannot publish events (the export is read-only)', async () => {
      const before = await streamState();
      ext.publish('natgw.events.natgateway.NATGatewayCreated', '{}');
      await expect(
        jetstream(ext).publish('natgw.events.allocation.NATSlotAssigned', '{}', { timeout: 5_000 }),
      ).rejects.toThrow(unserved);
      await ext.flush();
      expect(await streamState()).toEqual(before);
    });

    it('cannot purge, delete, edit the stream, or delete a message', async () => {
      const before = await streamState();
      const jsm = await jetstreamManager(ext, { checkAPI: false });
      await expect(jsm.streams.purge(STREAM)).rejects.toThrow(unserved);
      await expect(jsm.streams.delete(STREAM)).rejects.toThrow(unserved);
      await expect(jsm.streams.deleteMessage(STREAM, 1)).rejects.toThrow(unserved);
      await expect(jsm.streams.update(STREAM, { max_msgs: 1 })).rejects.toThrow(unserved);
      expect(await streamState()).toEqual(before);
    });

    it("cannot read or change natgw's consumers, nor another system's", async () => {
      const jsm = await jetstreamManager(ext, { checkAPI: false });
      for (const durable of ['allocator', 'ext-example']) {
        await expect(jsm.consumers.info(STREAM, durable)).rejects.toThrow(unserved);
        await expect(jsm.consumers.delete(STREAM, durable)).rejects.toThrow(unserved);
      }
      // Its own consumer works.
      const info = await jsm.consumers.add(STREAM, {
        durable_name: 'ext-billing',
        ack_policy: 'explicit' as never,
        filter_subject: 'natgw.events.>',
      });
      expect(info.name).toBe('ext-billing');
    });

    it("cannot read replies meant for natgw's services", async () => {
      // Another account: the subscription is allowed but nothing of NATGW's arrives.
      const sub = ext.subscribe('_INBOX.natgw-allocator.>', { max: 1 });
      await allocJsm.streams.info(STREAM);
      await ext.flush();
      expect(sub.getReceived()).toBe(0);
      sub.unsubscribe();
    });
  });

  describe('translation logs (issue 17.5)', () => {
    /** Publishes one record as `user` and says whether an external account received it. */
    async function delivered(user: User, subject: string): Promise<boolean> {
      const reader = await as('billing');
      const sub = reader.subscribe('natgw.translationlogs.>');
      await reader.flush();
      const nc = await as(user);
      nc.publish(subject, JSON.stringify({ probe: user }));
      await nc.flush();
      await new Promise((r) => setTimeout(r, 500));
      await reader.flush();
      const got = sub.getReceived();
      sub.unsubscribe();
      return got > 0;
    }

    it('lets the executor publish them, and external systems read them from their own account', async () => {
      expect(await delivered('dataplane-executor', 'natgw.translationlogs.gw-uid')).toBe(true);
    });

    it('refuses them to the other service users and to external systems', async () => {
      for (const user of ['api-gateway', 'allocator', 'example'] as const) {
        expect({ user, delivered: await delivered(user, 'natgw.translationlogs.gw-uid') }).toEqual({
          user,
          delivered: false,
        });
      }
    });

    it('gives the executor no event subject: a core publish of an event reaches nobody', async () => {
      const ext = await as('example');
      const sub = ext.subscribe('natgw.events.>');
      await ext.flush();
      const exec = await as('dataplane-executor');
      exec.publish('natgw.events.natgateway.NATGatewayCreated', '{}');
      await exec.flush();
      await new Promise((r) => setTimeout(r, 500));
      expect(sub.getReceived()).toBe(0);
      sub.unsubscribe();
    });
  });

  describe('auth matrix of the service users', () => {
    type Action =
      | 'publish event'
      | 'update stream'
      | 'create another stream'
      | 'purge stream'
      | 'delete stream'
      | 'delete message'
      | 'inbound request'
      | "allocator's consumer";
    const ALLOWED: Record<(typeof SERVICE_USERS)[number], Action[]> = {
      allocator: ['publish event', 'update stream', "allocator's consumer"],
      'api-gateway': [],
      'dataplane-executor': [],
    };
    const ACTIONS: Record<Action, (nc: NatsConnection) => Promise<unknown>> = {
      'publish event': (nc) =>
        jetstream(nc).publish('natgw.events.matrix.Probe', '{}', { timeout: 5_000 }),
      // A change to nothing (max_msgs is already unlimited): allowed means the request passes.
      'update stream': async (nc) =>
        (await jetstreamManager(nc)).streams.update(STREAM, { max_msgs: -1 }),
      'create another stream': async (nc) =>
        (await jetstreamManager(nc)).streams.add({ name: 'OTHER', subjects: ['other.>'] }),
      'purge stream': async (nc) => (await jetstreamManager(nc)).streams.purge(STREAM),
      'delete stream': async (nc) => (await jetstreamManager(nc)).streams.delete(STREAM),
      'delete message': async (nc) => (await jetstreamManager(nc)).streams.deleteMessage(STREAM, 1),
      'inbound request': (nc) =>
        nc.request(
          'natgw.inbound.example.networkinterfaces.upsert',
          JSON.stringify({ object: nic('tenant-a', 'matrix', '10.9.9.9') }),
          { timeout: 5_000 },
        ),
      "allocator's consumer": async (nc) =>
        (await jetstreamManager(nc)).consumers.info(STREAM, 'allocator'),
    };
    const cases = SERVICE_USERS.flatMap((user) =>
      (Object.keys(ACTIONS) as Action[]).map(
        (action) => [user, action, ALLOWED[user].includes(action)] as const,
      ),
    );

    it.each(cases)('%s: %s allowed=%s', async (user, action, allowed) => {
      const nc = await as(user);
      const before = await streamState();
      const probesBefore = await probesStored();
      const attempt = ACTIONS[action](nc);
      if (allowed) {
        await expect(attempt).resolves.toBeDefined();
        return;
      }
      await expect(attempt).rejects.toThrow(denied);
      const after = await streamState();
      // The test's relay may still be publishing earlier tests' events, so the stream may grow;
      // what a denied action could do is remove (purge, delete), edit, or add a probe.
      expect(after.first_seq).toBe(before.first_seq);
      expect(after.messages - before.messages).toBe(after.last_seq - before.last_seq);
      expect(after.config).toEqual(before.config);
      expect(await probesStored()).toBe(probesBefore);
    });

    it('the stream owner cannot purge or delete messages either: deny_purge and deny_delete hold', async () => {
      const { config } = await allocJsm.streams.info(STREAM);
      expect(config).toMatchObject({ deny_delete: true, deny_purge: true });
    });

    it.each(EXTERNAL_USERS)(
      'external user %s lives in another account than natgw',
      async (user) => {
        const nc = await as(user);
        // Its own account has no JetStream: the API answers only what NATGW exports to it.
        const jsm = await jetstreamManager(nc);
        expect((await jsm.streams.info(STREAM)).config.name).toBe(STREAM);
        await expect(jsm.streams.list().next()).rejects.toThrow(unserved);
        const h = natsHeaders();
        h.set('x', 'y');
        await expect(
          nc.request('natgw.inbound.networkinterfaces.upsert.other', '{}', {
            timeout: 3_000,
            headers: h,
          }),
        ).rejects.toThrow(unserved);
      },
    );
  });
});
