import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DataSource } from 'typeorm';
import { LogNotifier, openDatabase, PostgresEventStore } from '@natgw/event-store';
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
  testNatsNames,
} from '@natgw/testing';
import { readWholeStream } from './nats-stream-reader';
import { MESSAGING_MIGRATIONS } from '@natgw/schema';

jest.setTimeout(120_000);

// Runs against a private nats-server, so stopping it never disturbs other tests.
describe('NATS outage', () => {
  const names = testNatsNames('outage');
  let server: PrivateNatsServer;
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let notifier: LogNotifier;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let relay: JetStreamRelay;
  let consumer: DurableEventConsumer;

  beforeAll(async () => {
    server = await PrivateNatsServer.start();
    url = await createTestDatabase('nats_outage');
    ds = await openDatabase({ url, poolSize: 12, migrations: MESSAGING_MIGRATIONS });
    await ds.query(`CREATE TABLE effects (event_id uuid NOT NULL, stream text NOT NULL)`);
    await ds.query(`CREATE TABLE counters (name text PRIMARY KEY, n integer NOT NULL)`);
    await ds.query(`INSERT INTO counters VALUES ('outage', 0)`);
    store = new PostgresEventStore(ds);
    notifier = new LogNotifier(url);
    await notifier.start();
    nc = await connectNats({
      servers: server.url,
      name: 'outage-int-spec',
      reconnectBackoff: { initialMs: 50, maxMs: 250 },
    });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await ensureEventStream(jsm, names.stream, names.prefix);
    relay = new JetStreamRelay(
      { dataSource: ds, store, js, notifier },
      {
        streamName: names.stream,
        subjectPrefix: names.prefix,
        source: '/natgw/test',
        databaseUrl: url,
        pollIntervalMs: 100,
        publishTimeoutMs: 2_000,
        retryBackoff: { initialMs: 50, maxMs: 500 },
      },
    );
    relay.start();
    consumer = new DurableEventConsumer(
      { dataSource: ds, store, js, jsm },
      {
        streamName: names.stream,
        durable: 'outage-counter',
        filterSubject: `${names.prefix}.events.>`,
        ackWaitMs: 5_000,
        nakBackoff: { initialMs: 50, maxMs: 500 },
        handler: async (event, ctx) => {
          await ctx.manager.query(`INSERT INTO effects (event_id, stream) VALUES ($1, $2)`, [
            event.id,
            event.streamId,
          ]);
          await ctx.manager.query(`UPDATE counters SET n = n + 1 WHERE name = 'outage'`);
        },
      },
    );
    await consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
    await relay?.stop();
    await nc?.close();
    await notifier?.stop();
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
    await server?.destroy();
  });

  const counter = async () =>
    Number((await ds.query(`SELECT n FROM counters WHERE name = 'outage'`))[0].n);
  const distinctEffects = async () =>
    Number((await ds.query(`SELECT count(DISTINCT event_id) AS n FROM effects`))[0].n);
  const logCount = async () =>
    Number((await ds.query(`SELECT count(*) AS n FROM natgw_events`))[0].n);

  it('catches up after NATS comes back; a consumer applies each event exactly once', async () => {
    await store.append('warmup:1', [{ type: 'Warm', data: {} }]);
    await eventually(async () => (await counter()) === 1, { what: 'the warm-up event' });

    await server.stop();
    for (let i = 0; i < 1000; i += 10) {
      await store.append(
        `outage:${i % 7}`,
        Array.from({ length: 10 }, (_, k) => ({ type: 'DuringOutage', data: { i: i + k } })),
      );
    }
    // While NATS is down nothing can be acknowledged, so nothing is checkpointed.
    expect(await relay.lag()).toBeGreaterThanOrEqual(1000);
    await server.start();

    await eventually(async () => (await relay.lag()) === 0, {
      timeoutMs: 60_000,
      what: 'the relay to catch up',
    });
    await eventually(async () => (await counter()) === 1001, {
      timeoutMs: 60_000,
      what: 'the consumer to apply 1,001 events',
    });
    expect(await distinctEffects()).toBe(1001);
    expect(relay.failures).toBeGreaterThan(0);
    const stream = await readWholeStream(jsm, js, names.stream);
    expect(stream).toHaveLength(1001);
    expect(new Set(stream.map((m) => m.msgId)).size).toBe(1001);
  });

  it('loses and reorders nothing when NATS stops in the middle of publishing', async () => {
    const before = await logCount();
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 500; i += 5) {
        await store.append(
          `midflight:${w}`,
          Array.from({ length: 5 }, (_, k) => ({ type: 'MidFlight', data: { w, i: i + k } })),
        );
      }
    });
    // Stop once the relay is busy publishing this burst, then come back.
    await eventually(async () => (await jsm.streams.info(names.stream)).state.messages > 1101, {
      what: 'the relay to be publishing',
    });
    await server.stop();
    await Promise.all(writers);
    await server.start();
    const total = before + 2000;
    await eventually(async () => (await relay.lag()) === 0 && (await logCount()) === total, {
      timeoutMs: 60_000,
      what: 'the relay to catch up',
    });
    await eventually(async () => (await counter()) === total, {
      timeoutMs: 60_000,
      what: 'the consumer to apply every event',
    });
    expect(await distinctEffects()).toBe(total);

    const stream = await readWholeStream(jsm, js, names.stream);
    expect(stream).toHaveLength(total);
    expect(new Set(stream.map((m) => m.msgId)).size).toBe(total);
    const versions = new Map<string, number>();
    for (const m of stream) {
      const s = String(m.cloudEvent?.natgwstream);
      expect(m.cloudEvent?.natgwversion).toBe((versions.get(s) ?? 0) + 1);
      versions.set(s, Number(m.cloudEvent?.natgwversion));
    }
  });
});
