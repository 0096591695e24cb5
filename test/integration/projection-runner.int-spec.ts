import { EntityManager, DataSource } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import {
  LogNotifier,
  openDatabase,
  PostgresEventStore,
  Projection,
  ProjectionRunner,
  rebuildProjection,
} from '@natgw/event-store';
import { createTestDatabase, dropTestDatabase, eventually } from '@natgw/testing';
import { EVENT_LOG_MIGRATIONS } from '@natgw/schema';

jest.setTimeout(120_000);

/** A small read model: per stream, how many events and the sum of their `n`. */
class StreamStatsProjection implements Projection {
  readonly name = 'stream-stats';
  failOn?: string;

  async apply(event: RecordedEvent, manager: EntityManager): Promise<void> {
    if (event.type === this.failOn) throw new Error(`cannot apply ${event.type}`);
    const n = (event.data as { n?: number }).n ?? 0;
    await manager.query(
      `INSERT INTO test_stream_stats (stream_id, events, total, last_version) VALUES ($1, 1, $2, $3)
       ON CONFLICT (stream_id) DO UPDATE SET events = test_stream_stats.events + 1,
         total = test_stream_stats.total + EXCLUDED.total, last_version = EXCLUDED.last_version`,
      [event.streamId, n, event.version],
    );
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query('DELETE FROM test_stream_stats');
  }
}

async function readModel(ds: DataSource) {
  return ds.query(
    'SELECT stream_id, events, total::int AS total, last_version FROM test_stream_stats ORDER BY stream_id',
  );
}

async function expectedModel(ds: DataSource) {
  return ds.query(
    `SELECT stream_id, count(*)::int AS events, coalesce(sum((data->>'n')::int), 0)::int AS total,
            max(version) AS last_version
       FROM natgw_events WHERE stream_id LIKE 'stats:%' GROUP BY stream_id ORDER BY stream_id`,
  );
}

describe('ProjectionRunner and rebuildProjection', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let notifier: LogNotifier;

  beforeAll(async () => {
    url = await createTestDatabase('projection_runner');
    ds = await openDatabase({ url, poolSize: 10, migrations: EVENT_LOG_MIGRATIONS });
    await ds.query(
      `CREATE TABLE test_stream_stats (stream_id text PRIMARY KEY, events int NOT NULL, total bigint NOT NULL, last_version int NOT NULL)`,
    );
    store = new PostgresEventStore(ds);
    notifier = new LogNotifier(url);
    await notifier.start();
  });

  afterAll(async () => {
    await notifier?.stop();
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  it('applies every event exactly once while two runners race, woken by NOTIFY', async () => {
    const projection = new StreamStatsProjection();
    // Two runners of one projection, as two service replicas would run it.
    const a = new ProjectionRunner(ds, store, projection, notifier, { pollIntervalMs: 60_000 });
    const b = new ProjectionRunner(ds, store, projection, notifier, { pollIntervalMs: 60_000 });
    a.start();
    b.start();
    try {
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 500; i++) {
            await store.append(`stats:${(w + i) % 20}`, [{ type: 'Counted', data: { n: i } }]);
          }
        }),
      );
      const last = await store.append('stats:last', [{ type: 'Counted', data: { n: 1 } }]);
      // Polling is off (60 s): only NOTIFY can wake the runners this fast.
      await Promise.race([a.waitFor(last.events[0], 30_000), b.waitFor(last.events[0], 30_000)]);
      await eventually(async () => (await readModel(ds)).length === 21, {
        what: 'all streams projected',
      });
      expect(await readModel(ds)).toEqual(await expectedModel(ds));
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('rebuilding from the log gives exactly the live read model', async () => {
    const live = await readModel(ds);
    expect(live.length).toBeGreaterThan(0);
    const applied = await rebuildProjection(ds, store, new StreamStatsProjection());
    expect(applied).toBe(2001);
    expect(await readModel(ds)).toEqual(live);
  });

  it('a failing event rolls its batch back: nothing is applied twice after the fix', async () => {
    const projection = new StreamStatsProjection();
    const runner = new ProjectionRunner(ds, store, projection, notifier);
    await runner.catchUp();
    await store.append('stats:poison', [
      { type: 'Counted', data: { n: 5 } },
      { type: 'Broken', data: { n: 7 } },
      { type: 'Counted', data: { n: 11 } },
    ]);
    projection.failOn = 'Broken';
    // The append may be held back for a moment (a transaction elsewhere on the server
    // that began before it is still open), so catch up until the batch is read and fails.
    await eventually(
      () =>
        runner.catchUp().then(
          () => false,
          (err: Error) => /cannot apply Broken/.test(err.message),
        ),
      { what: 'the poisoned batch to be read and fail' },
    );
    // The batch rolled back, including the first event.
    expect(
      (await readModel(ds)).find((r: { stream_id: string }) => r.stream_id === 'stats:poison'),
    ).toBeUndefined();
    projection.failOn = undefined;
    await eventually(
      async () =>
        (await runner.catchUp()) >= 0 &&
        (await readModel(ds)).some((r: { stream_id: string }) => r.stream_id === 'stats:poison'),
    );
    const row = (await readModel(ds)).find(
      (r: { stream_id: string }) => r.stream_id === 'stats:poison',
    );
    expect(row).toEqual({ stream_id: 'stats:poison', events: 3, total: 23, last_version: 3 });
    expect(await readModel(ds)).toEqual(await expectedModel(ds));
  });
  it('tells onApplied listeners of the batches it applied, after their commit, and of no others', async () => {
    const projection = new StreamStatsProjection();
    const runner = new ProjectionRunner(ds, store, projection, notifier, { batchSize: 2 });
    const other = new ProjectionRunner(ds, store, projection, notifier);
    await runner.catchUp();
    const told: string[][] = [];
    const seen: Array<Promise<unknown[]>> = [];
    const off = runner.onApplied((events) => {
      told.push(events.map((e) => e.id));
      // Asked from inside the listener: the batch is committed, so the read model shows it.
      seen.push(readModel(ds));
    });
    // A listener that throws neither fails the batch nor keeps the others from being told.
    const offThrowing = runner.onApplied(() => {
      throw new Error('listener failure');
    });
    const mine = await store.append('stats:told', [
      { type: 'Counted', data: { n: 1 } },
      { type: 'Counted', data: { n: 2 } },
      { type: 'Counted', data: { n: 3 } },
    ]);
    const ids = mine.events.map((e) => e.id);
    await eventually(async () => (await runner.catchUp()) >= 0 && told.flat().length >= 3, {
      what: 'the three events applied by the runner',
    });
    expect(told.flat()).toEqual(ids);
    expect(told.every((batch) => batch.length <= 2)).toBe(true);
    const last = (await Promise.all(seen)).at(-1) as Array<{ stream_id: string; events: number }>;
    expect(last.find((r) => r.stream_id === 'stats:told')?.events).toBe(3);

    // Applied by another runner: this one moves on without telling its listeners.
    const theirs = await store.append('stats:told', [{ type: 'Counted', data: { n: 4 } }]);
    await eventually(
      async () =>
        (await other.catchUp()) >= 0 &&
        other.checkpoint.globalPosition === theirs.events[0].globalPosition,
      {
        what: 'the other runner to apply the event',
      },
    );
    await runner.catchUp();
    await runner.waitFor(theirs.events[0], 10_000);
    expect(told.flat()).toEqual(ids);

    off();
    offThrowing();
    await store.append('stats:told', [{ type: 'Counted', data: { n: 5 } }]);
    await eventually(async () => (await runner.catchUp()) > 0, { what: 'the last event applied' });
    expect(told.flat()).toEqual(ids);
    expect(await readModel(ds)).toEqual(await expectedModel(ds));
  });
});
