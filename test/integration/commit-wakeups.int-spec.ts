import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import {
  Checkpoint,
  LOG_CHANNEL,
  LOG_START,
  LogNotifier,
  openDatabase,
  PostgresEventStore,
  Projection,
  ProjectionRunner,
} from '@natgw/event-store';
import { EVENT_LOG_MIGRATIONS } from '@natgw/schema';
import { createTestDatabase, dropTestDatabase, eventually } from '@natgw/testing';

jest.setTimeout(60_000);

/** A LISTENer on the log's channel in a session of its own, as another process would be. */
class Listener {
  readonly times: number[] = [];
  private constructor(private readonly client: Client) {}

  static async start(url: string): Promise<Listener> {
    const client = new Client({ connectionString: url });
    await client.connect();
    const listener = new Listener(client);
    client.on('notification', (n) => {
      if (n.channel === LOG_CHANNEL) listener.times.push(Date.now());
    });
    await client.query(`LISTEN ${LOG_CHANNEL}`);
    return listener;
  }

  /** Resolves with the notifications received once `ms` passed. */
  async after(ms: number): Promise<number> {
    await new Promise((r) => setTimeout(r, ms));
    return this.times.length;
  }

  stop(): Promise<void> {
    return this.client.end();
  }
}

/** Records the ids of the events it applies. */
class SeenProjection implements Projection {
  readonly name = 'seen';
  readonly seen: string[] = [];

  async apply(event: RecordedEvent, _manager: EntityManager): Promise<void> {
    this.seen.push(event.id);
  }

  async reset(): Promise<void> {
    this.seen.length = 0;
  }
}

/**
 * Reads until nothing is left behind the horizon. The server is shared: another database's
 * transactions hold the horizon too, so this may take a moment.
 */
async function readToEnd(store: PostgresEventStore, from: Checkpoint) {
  const events: RecordedEvent[] = [];
  let after = from;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const page = await store.readAll({ after, limit: 10_000 });
    events.push(...page.events);
    after = page.checkpoint;
    if (page.events.length === 0 && !(await store.heldBack(after))) return { events, after };
    if (Date.now() > deadline) throw new Error('events stayed held back for 30 s');
    if (page.events.length === 0) await new Promise((r) => setTimeout(r, 10));
  }
}

describe('commit wake-ups and the visibility horizon', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;

  beforeAll(async () => {
    url = await createTestDatabase('commit_wakeups');
    ds = await openDatabase({ url, poolSize: 6, migrations: EVENT_LOG_MIGRATIONS });
    store = new PostgresEventStore(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  it('notifies other sessions after an append commits, never before its transaction commits, never for a rollback', async () => {
    const listener = await Listener.start(url);
    try {
      await store.append('wake:a', [{ type: 'Woken', data: {} }]);
      expect(await listener.after(300)).toBe(1);

      let committed = 0;
      await ds.transaction(async (manager) => {
        await store.append('wake:b', [{ type: 'Woken', data: {} }], { manager });
        // The append's transaction is still open: readers must not be told yet.
        expect(await listener.after(300)).toBe(1);
        committed = Date.now();
      });
      expect(await listener.after(300)).toBe(2);
      expect(listener.times[1]).toBeGreaterThanOrEqual(committed);

      await expect(
        ds.transaction(async (manager) => {
          await store.append('wake:c', [{ type: 'Woken', data: {} }], { manager });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await listener.after(300)).toBe(2);
    } finally {
      await listener.stop();
    }
  });

  it('coalesces a burst of appends into fewer notifications, the last one after the last commit', async () => {
    const listener = await Listener.start(url);
    try {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.append(`burst:${i}`, [{ type: 'Burst', data: {} }]),
        ),
      );
      const done = Date.now();
      const received = await listener.after(300);
      expect(received).toBeGreaterThanOrEqual(1);
      expect(received).toBeLessThanOrEqual(40);
      expect(listener.times[received - 1]).toBeGreaterThanOrEqual(done - 5);
    } finally {
      await listener.stop();
    }
  });

  it('says when committed events are held back by an older open transaction', async () => {
    const { after: tail } = await readToEnd(store, LOG_START);
    const blocker = new Client({ connectionString: url });
    await blocker.connect();
    try {
      // An older transaction with an id (no append): it holds every reader's horizon.
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
      await store.append('held:1', [{ type: 'Held', data: {} }]);
      const during = await store.readAll({ after: tail });
      expect(during.events).toHaveLength(0);
      expect(await store.heldBack(during.checkpoint)).toBe(true);
      await blocker.query('ROLLBACK');
      const after = await readToEnd(store, during.checkpoint);
      expect(after.events.map((e) => [e.streamId, e.type])).toEqual([['held:1', 'Held']]);
    } finally {
      await blocker.end();
    }
  });

  it('a runner that found its events held back applies them soon after the blocker ends, with no notification and no poll', async () => {
    const projection = new SeenProjection();
    const notifier = new LogNotifier(url);
    await notifier.start();
    // Polling is off (60 s): after the append's wake-up, only the held-back retry can apply it.
    const runner = new ProjectionRunner(ds, store, projection, notifier, {
      pollIntervalMs: 60_000,
    });
    runner.start();
    const blocker = new Client({ connectionString: url });
    await blocker.connect();
    try {
      await runner.catchUp();
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
      const appended = await store.append('held:2', [{ type: 'Held', data: {} }]);
      await new Promise((r) => setTimeout(r, 300));
      expect(projection.seen).not.toContain(appended.events[0].id);
      // Ends without a commit of events: nobody notifies.
      await blocker.query('ROLLBACK');
      const ended = Date.now();
      await eventually(() => projection.seen.includes(appended.events[0].id), {
        timeoutMs: 5_000,
        intervalMs: 5,
        what: 'the held-back event applied',
      });
      // The retry doubles from 1 ms up to 64 ms while the event is held back (other
      // databases' transactions on this shared server may hold it a little longer).
      expect(Date.now() - ended).toBeLessThan(2_000);
    } finally {
      await blocker.end();
      await runner.stop();
      await notifier.stop();
    }
  });

  it('moves a checkpoint only forward', async () => {
    const later = { transactionId: '900', globalPosition: '9' };
    const earlier = { transactionId: '800', globalPosition: '99' };
    expect(await store.advanceCheckpoint('forward-only', earlier)).toBe(true);
    expect(await store.advanceCheckpoint('forward-only', later)).toBe(true);
    expect(await store.advanceCheckpoint('forward-only', earlier)).toBe(false);
    expect(await store.loadCheckpoint('forward-only')).toEqual(later);
  });
});
