// One projection run by two processes (the `resources` projection runs in the api-gateway and
// in the allocator): while one applies a batch and holds the checkpoint's row, the other's
// run loop does not queue behind the row lock (no backend waits on a lock), and its waitFor
// (read-your-writes) resolves once the other's batch committed, with the event in the read
// model. An explicit catchUp still waits, so it returns with everything visible applied.
import { DataSource, EntityManager } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import {
  applyEvents,
  checkpointOf,
  LogNotifier,
  openDatabase,
  PostgresEventStore,
  Projection,
  projectionCheckpointName,
  ProjectionRunner,
} from '@natgw/event-store';
import { createTestDatabase, dropTestDatabase, eventually } from '@natgw/testing';
import { EVENT_LOG_MIGRATIONS } from '@natgw/schema';

jest.setTimeout(120_000);

/** Records which events it applied: the read model a waiter must find its event in. */
class AppliedEventsProjection implements Projection {
  readonly name = 'applied-events';

  async apply(event: RecordedEvent, manager: EntityManager): Promise<void> {
    await manager.query(`INSERT INTO test_applied_events (event_id) VALUES ($1)`, [event.id]);
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query('DELETE FROM test_applied_events');
  }
}

/** Backends of this database waiting for a heavyweight lock (a row lock, say). */
async function lockWaiters(ds: DataSource): Promise<number> {
  const [{ n }] = await ds.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return n;
}

describe('a projection run by two processes at once', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let notifier: LogNotifier;

  beforeAll(async () => {
    url = await createTestDatabase('projection_contention');
    ds = await openDatabase({ url, poolSize: 10, migrations: EVENT_LOG_MIGRATIONS });
    await ds.query(`CREATE TABLE test_applied_events (event_id uuid PRIMARY KEY)`);
    store = new PostgresEventStore(ds);
    notifier = new LogNotifier(url);
    await notifier.start();
  });

  afterAll(async () => {
    await notifier?.stop();
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  it('does not queue on the checkpoint lock, and releases a waiter when the other process commits', async () => {
    const projection = new AppliedEventsProjection();
    const first = new ProjectionRunner(ds, store, projection, notifier, { pollIntervalMs: 500 });
    // The process under test; the other process is a transaction of this test.
    const runner = new ProjectionRunner(ds, store, projection, notifier, { pollIntervalMs: 500 });
    try {
      const {
        events: [warmUp],
      } = await store.append('contention:warm-up', [{ type: 'Noted', data: {} }]);
      first.start();
      await first.waitFor(checkpointOf(warmUp), 60_000);
      await first.stop();

      // The other process: locks the checkpoint, applies the next event, and commits late; the
      // runner under test starts meanwhile.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const {
        events: [event],
      } = await store.append('contention:a', [{ type: 'Noted', data: {} }]);
      // The server's visibility horizon (other databases' transactions too) may hold it back a moment.
      await eventually(
        async () => (await store.readAll({ after: checkpointOf(warmUp) })).events.length > 0,
        { what: 'the event, visible' },
      );
      const other = ds.transaction(async (manager) => {
        const from = await store.lockCheckpoint(projectionCheckpointName(projection), manager);
        locked();
        const read = await store.readAll({ after: from, limit: 100, manager });
        expect(read.events.map((e) => e.id)).toEqual([event.id]);
        await applyEvents(projection, read.events, manager);
        await store.storeCheckpoint(projectionCheckpointName(projection), read.checkpoint, manager);
        await held;
      });
      await isLocked;
      runner.start();
      let seen = false;
      const waited = runner.waitFor(checkpointOf(event), 30_000).then(async () => {
        seen =
          (await ds.query(`SELECT 1 FROM test_applied_events WHERE event_id = $1`, [event.id]))
            .length === 1;
      });
      // For a while: the runner wakes (the append notified), finds the row locked, and looks
      // again later instead of waiting for the lock.
      // The held transaction has an id, so it holds back every reader on the server: release it
      // before asserting, so a failure here cannot stall other tests until this file times out.
      const samples: number[] = [];
      try {
        for (let i = 0; i < 10; i++) {
          await new Promise((r) => setTimeout(r, 50));
          samples.push(await lockWaiters(ds));
        }
      } finally {
        release();
      }
      expect(samples.every((n) => n === 0)).toBe(true);
      await other;
      await waited;
      expect(seen).toBe(true);

      // An explicit catchUp waits for the lock: when it returns, the visible log is applied.
      await runner.stop();
      await store.append('contention:b', [{ type: 'Noted', data: {} }]);
      const stored = await store.loadCheckpoint(projectionCheckpointName(projection));
      await eventually(
        async () => (await store.readAll({ after: stored, limit: 1 })).events.length > 0,
        { what: 'the second event, visible' },
      );
      let releaseAgain!: () => void;
      const heldAgain = new Promise<void>((r) => (releaseAgain = r));
      let lockedAgain!: () => void;
      const isLockedAgain = new Promise<void>((r) => (lockedAgain = r));
      const blocker = ds.transaction(async (manager) => {
        await store.lockCheckpoint(projectionCheckpointName(projection), manager);
        lockedAgain();
        await heldAgain;
      });
      await isLockedAgain;
      const caught = runner.catchUp();
      let waiters: number;
      try {
        await new Promise((r) => setTimeout(r, 200));
        waiters = await lockWaiters(ds);
      } finally {
        releaseAgain();
      }
      expect(waiters).toBe(1);
      await blocker;
      expect(await caught).toBe(1);
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM test_applied_events`);
      const [{ total }] = await ds.query(`SELECT count(*)::int AS total FROM natgw_events`);
      expect(n).toBe(total);
    } finally {
      await first.stop();
      await runner.stop();
    }
  });
});
