// Bounded growth of the bus's bookkeeping: a durable consumer nobody pulls from (its
// node was removed) is deleted by the server after its inactivity threshold, while a
// running one stays; inbox rows are pruned only past a retention longer than the
// stream could redeliver their events.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DataSource } from 'typeorm';
import { openDatabase, PostgresEventStore } from '@natgw/event-store';
import {
  connectNats,
  DurableEventConsumer,
  ensureDurableConsumer,
  ensureEventStream,
  JetStreamServer,
  InboxPruneHost,
  MessagingModuleOptions,
  pruneInbox,
} from '@natgw/messaging';
import { MESSAGING_MIGRATIONS } from '@natgw/schema';
import { createTestDatabase, dropTestDatabase, eventually, testNatsNames } from '@natgw/testing';

jest.setTimeout(60_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DAY_MS = 86_400_000;

describe('bounded growth', () => {
  const names = testNatsNames('bounded-growth');
  let url: string;
  let ds: DataSource;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  beforeAll(async () => {
    url = await createTestDatabase('bounded-growth');
    ds = await openDatabase({ url, poolSize: 4, migrations: MESSAGING_MIGRATIONS });
    nc = await connectNats({ servers: NATS_URL, name: 'bounded-growth-int-spec' });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await ensureEventStream(jsm, names.stream, names.prefix, { maxAgeMs: 30 * DAY_MS });
  });

  afterAll(async () => {
    await jsm?.streams.delete(names.stream).catch(() => undefined);
    await nc?.close();
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  const consumerNames = async () => {
    const out: string[] = [];
    for await (const c of jsm.consumers.list(names.stream)) out.push(c.name);
    return out.sort();
  };

  it('removes a durable consumer nobody pulls from after its inactive threshold, and keeps a running one', async () => {
    const settings = {
      filterSubject: `${names.prefix}.events.>`,
      maxDeliver: 5,
      ackWaitMs: 5_000,
      maxAckPending: 10,
      inactiveThresholdMs: 2_000,
    };
    const idle = await ensureDurableConsumer(jsm, names.stream, {
      durable: 'executor-removed-node',
      ...settings,
    });
    expect(idle.config.inactive_threshold).toBe(2_000_000_000);
    const live = new DurableEventConsumer(
      { dataSource: ds, store: new PostgresEventStore(ds), js, jsm },
      {
        streamName: names.stream,
        durable: 'executor-live-node',
        filterSubject: settings.filterSubject,
        inactiveThresholdMs: 2_000,
        handler: async () => undefined,
      },
    );
    await live.start();
    try {
      expect(await consumerNames()).toEqual(['executor-live-node', 'executor-removed-node']);
      await eventually(async () => !(await consumerNames()).includes('executor-removed-node'), {
        what: 'the idle consumer to expire',
        timeoutMs: 20_000,
      });
      // Well past the threshold, the running consumer is still there.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await consumerNames()).toEqual(['executor-live-node']);
    } finally {
      await live.stop();
    }
    // A restarted service recreates its consumer.
    const again = await ensureDurableConsumer(jsm, names.stream, {
      durable: 'executor-removed-node',
      ...settings,
      inactiveThresholdMs: 0,
    });
    expect(again.config.durable_name).toBe('executor-removed-node');
  });

  it("prunes only rows of the service's consumers older than max age + 1 day, whatever a shorter retention says", async () => {
    // Rows handled 40, 31.5, 30.5 and 1 days ago for this service's consumer, and 40 days
    // ago for another service's.
    const ages = [40, 31.5, 30.5, 1];
    for (const [i, days] of ages.entries()) {
      await ds.query(
        `INSERT INTO natgw_inbox (consumer, event_id, handled_at)
         VALUES ('allocator', gen_random_uuid(), now() - make_interval(secs => $1))`,
        [days * 86_400 + i],
      );
    }
    await ds.query(
      `INSERT INTO natgw_inbox (consumer, event_id, handled_at)
       VALUES ('other-service', gen_random_uuid(), now() - interval '40 days')`,
    );
    const options = {
      streamName: names.stream,
      // Shorter than the stream's 30-day max age: raised to 31 days.
      inboxRetentionMs: 7 * DAY_MS,
    } as MessagingModuleOptions;
    const host = new InboxPruneHost(options, ds, jsm, { all: [] } as unknown as JetStreamServer);
    host.register('allocator');
    const result = await host.pruneOnce();
    expect(result).toEqual({
      retention: { prune: true, retentionMs: 31 * DAY_MS, raised: true },
      consumers: ['allocator'],
      deleted: 2,
    });
    const left: Array<{ consumer: string; days: number }> = await ds.query(
      `SELECT consumer, floor(extract(epoch FROM now() - handled_at) / 86400)::int AS days
         FROM natgw_inbox ORDER BY consumer, days`,
    );
    expect(left).toEqual([
      { consumer: 'allocator', days: 1 },
      { consumer: 'allocator', days: 30 },
      { consumer: 'other-service', days: 40 },
    ]);
  });

  it('prunes nothing while the stream keeps messages forever', async () => {
    const forever = testNatsNames('bounded-growth-forever');
    await ensureEventStream(jsm, forever.stream, forever.prefix, { maxAgeMs: 0 });
    try {
      const host = new InboxPruneHost(
        { streamName: forever.stream, inboxRetentionMs: DAY_MS } as MessagingModuleOptions,
        ds,
        jsm,
        { all: [] } as unknown as JetStreamServer,
      );
      host.register('other-service');
      const result = await host.pruneOnce();
      expect(result.retention.prune).toBe(false);
      expect(result.deleted).toBe(0);
      expect(
        await ds.query(`SELECT 1 FROM natgw_inbox WHERE consumer = 'other-service'`),
      ).toHaveLength(1);
    } finally {
      await jsm.streams.delete(forever.stream).catch(() => undefined);
    }
  });

  it('deletes in batches until nothing old is left', async () => {
    await ds.query(
      `INSERT INTO natgw_inbox (consumer, event_id, handled_at)
       SELECT 'batchy', gen_random_uuid(), now() - interval '50 days' FROM generate_series(1, 2500)`,
    );
    expect(await pruneInbox(ds, ['batchy'], 31 * DAY_MS, 1_000)).toBe(2_500);
    expect(await ds.query(`SELECT 1 FROM natgw_inbox WHERE consumer = 'batchy'`)).toHaveLength(0);
  });
});
