// The log's commit order and visibility survive the other ways a database moves to a new
// cluster: pg_upgrade (the transaction counter is carried over), point-in-time recovery (the
// counter continues from the recovered WAL), and a logical dump restored twice in a row (the
// second restore re-bases a log that was re-based before). Each checks, from the log itself:
// readAll returns exactly the expected events in their original order, a new append is visible
// after them and after every restored checkpoint, and a re-base happened only where needed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  Checkpoint,
  compareCheckpoints,
  LOG_START,
  openDatabase,
  PostgresEventStore,
} from '@natgw/event-store';
import { EVENT_LOG_MIGRATIONS } from '@natgw/schema';
import { postgresBinDir, PrivatePostgresServer } from '@natgw/testing';

jest.setTimeout(180_000);

const servers: PrivatePostgresServer[] = [];
const dumps = mkdtempSync(join(tmpdir(), 'natgw-dumps-'));
async function server(...args: Parameters<typeof PrivatePostgresServer.start>) {
  const s = await PrivatePostgresServer.start(...args);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.destroy()));
  rmSync(dumps, { recursive: true, force: true });
});

async function withLog<T>(
  url: string,
  fn: (store: PostgresEventStore, ds: DataSource) => Promise<T>,
) {
  const ds = await openDatabase({ url, poolSize: 4, migrations: EVENT_LOG_MIGRATIONS });
  try {
    return await fn(new PostgresEventStore(ds), ds);
  } finally {
    await ds.destroy();
  }
}

/** Appends `n` events, several appends at once, to a few streams. */
async function appendSome(store: PostgresEventStore, label: string, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      store.append(`${label}:${i % 3}`, [{ type: 'Happened', data: { label, i } }]),
    ),
  );
}

async function readEverything(store: PostgresEventStore, after: Checkpoint = LOG_START) {
  const ids: string[] = [];
  let checkpoint = after;
  for (;;) {
    const page = await store.readAll({ after: checkpoint, limit: 100 });
    if (page.events.length === 0) return { ids, checkpoint };
    ids.push(...page.events.map((e) => e.id));
    checkpoint = page.checkpoint;
  }
}

async function rebases(ds: DataSource): Promise<number> {
  const [{ n }]: Array<{ n: number }> = await ds.query(
    'SELECT count(*)::int AS n FROM natgw_commit_order_rebases',
  );
  return n;
}

/** After a move: the old log reads the same, and a new append comes after it. */
async function expectLogContinues(
  url: string,
  before: { ids: string[]; checkpoint: Checkpoint },
  expectedRebases: number,
) {
  await withLog(url, async (store, ds) => {
    expect(await rebases(ds)).toBe(expectedRebases);
    expect((await readEverything(store)).ids).toEqual(before.ids);
    const [added] = (await store.append('after:move', [{ type: 'Happened', data: {} }])).events;
    expect(compareCheckpoints(added, before.checkpoint)).toBeGreaterThan(0);
    // The append reports the id it stored (read-your-writes waits for that checkpoint).
    const next = await store.readAll({ after: before.checkpoint });
    expect(next.events.map((e) => [e.id, e.transactionId])).toEqual([
      [added.id, added.transactionId],
    ]);
  });
}

describe('the log across pg_upgrade, point-in-time recovery and repeated restores', () => {
  it('pg_upgrade: the counter is carried over, nothing is re-based', async () => {
    const old = await server();
    const url = old.url('natgw');
    const before = await withLog(url, async (store) => {
      await appendSome(store, 'up', 12);
      return readEverything(store);
    });
    expect(before.ids).toHaveLength(12);
    const upgraded = await old.upgrade();
    servers.push(upgraded);
    await expectLogContinues(upgraded.url('natgw'), before, 0);
  });

  it('point-in-time recovery: the log up to the restore point, in order; later writes sort after it', async () => {
    const primary = await server({}, { archive: true });
    const url = primary.url('natgw');
    await withLog(url, async (store) => appendSome(store, 'base', 3));
    const backup = await primary.baseBackup();
    servers.push(backup);
    const before = await withLog(url, async (store, ds) => {
      await appendSome(store, 'kept', 10);
      const kept = await readEverything(store);
      await ds.query(`SELECT pg_create_restore_point('natgw-test')`);
      await appendSome(store, 'lost', 5);
      await ds.query('SELECT pg_switch_wal()');
      return kept;
    });
    await primary.stop('fast');
    await backup.recoverTo(primary.archiveDir, 'natgw-test');
    expect(before.ids).toHaveLength(13);
    await expectLogContinues(backup.url('natgw'), before, 0);
  });

  it('a logical dump restored into a fresh cluster twice: re-based each time', async () => {
    const bin = postgresBinDir()!;
    const tool = (name: string, args: string[]) => {
      const r = spawnSync(join(bin, name), args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    };
    // The source burns transaction ids so its log lies above a fresh cluster's counter.
    const source = await server();
    const url = source.url('natgw');
    const before = await withLog(url, async (store, ds) => {
      await ds.query(
        `DO $$ BEGIN FOR i IN 1..3000 LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`,
      );
      await appendSome(store, 'first', 6);
      return readEverything(store);
    });
    const move = async (fromUrl: string) => {
      const target = await server();
      const dump = join(dumps, `natgw-${target.port}.dump`);
      tool('pg_dump', ['-Fc', '-f', dump, fromUrl]);
      tool('createdb', ['-h', '127.0.0.1', '-p', String(target.port), '-U', 'postgres', 'natgw']);
      tool('pg_restore', ['--no-owner', '-d', target.url('natgw'), dump]);
      return target.url('natgw');
    };
    const once = await move(url);
    await expectLogContinues(once, before, 1);
    const afterOnce = await withLog(once, async (store, ds) => {
      await ds.query(
        `DO $$ BEGIN FOR i IN 1..3000 LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`,
      );
      await appendSome(store, 'second', 6);
      return readEverything(store);
    });
    expect(afterOnce.ids.slice(0, before.ids.length)).toEqual(before.ids);
    const twice = await move(once);
    await expectLogContinues(twice, afterOnce, 2);
  });
});
