// Log retention (issue 19): `log:prune` removes what nothing needs inside the
// retention window. Oracles, all taken from the unpruned log: the audit answers
// (natlookup and nattable?at=) for instants inside the window, the read models of a
// rebuild, and what a reader after its checkpoint gets. After pruning the same
// questions must get the same answers; instants before the window get 410 Expired;
// a rebuild or a reader that would need a pruned event refuses instead of
// answering from a log with holes; a reader's checkpoint holds the prune back.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { RecordedEvent, Status } from '@natgw/contracts';
import {
  Checkpoint,
  LOG_START,
  LogPrunedError,
  openDatabase,
  PostgresEventStore,
  Projection,
  ProjectionRunner,
  pruneLog,
  readLogRetention,
  rebuildProjections,
} from '@natgw/event-store';
import {
  AllocationHistoryReader,
  NatSlotsProjection,
  ResourceProjection,
} from '@natgw/projections';
import { NATGW_SCHEMA } from '@natgw/schema';
import {
  createTestDatabase,
  dropTestDatabase,
  eventually,
  SyntheticEvent,
  syntheticTenantHistory,
} from '@natgw/testing';
import { ApiError } from '../../apps/api-gateway/src/http/api-error';
import { GetNatTableAt } from '../../apps/api-gateway/src/audit/nat-table-at';
import { NatLookup } from '../../apps/api-gateway/src/audit/nat-lookup';
import { formatPrune, runPrune } from '../../apps/cli/src/log-prune';
import { readModels } from './read-models';

jest.setTimeout(180_000);

const OLD = Date.UTC(2025, 0, 1);
/** The retention window starts here: the old era is before it, the new one after. */
const WINDOW = new Date(Date.UTC(2025, 5, 1));
const NEW = Date.UTC(2025, 6, 1);
const TENANTS_OLD = [0, 1, 2, 3];
const DEAD_TENANT = 3;
const TENANTS_NEW = [4, 5];
const SHAPE = { nics: 6, updates: 3, deletes: 2 };

const projections = () => [new ResourceProjection(), new NatSlotsProjection()];
const ipOf = (c: number) => [24, 16, 8, 0].map((s) => ((0x0b000000 + c) >>> s) & 255).join('.');

/** The events that delete a tenant's gateway: its remaining slots released, the allocation closed. */
function gatewayDeletion(history: SyntheticEvent[]): SyntheticEvent[] {
  const created = history.find((e) => e.type === 'NATGatewayCreated');
  if (!created) throw new Error('no gateway in the history');
  const uid = created.data.uid as string;
  const held = new Map<string, Record<string, unknown>>();
  for (const e of history) {
    if (e.type === 'NATSlotAssigned') held.set(e.data.nicUid as string, e.data);
    if (e.type === 'NATSlotReleased') held.delete(e.data.nicUid as string);
  }
  const meta = { source: '/natgw/allocator' };
  return [
    {
      stream: created.stream,
      type: 'NATGatewayDeletionRequested',
      data: { uid, deletionTimestamp: new Date(OLD).toISOString() },
      metadata: meta,
    },
    ...[...held.values()].map((slot) => ({
      stream: `allocation:${uid}`,
      type: 'NATSlotReleased',
      data: { ...slot, reason: 'GatewayDeleted' },
      metadata: meta,
    })),
    {
      stream: `allocation:${uid}`,
      type: 'AllocationClosed',
      data: { gatewayUid: uid, reason: 'GatewayDeleted' },
      metadata: meta,
    },
    { stream: created.stream, type: 'NATGatewayDeleted', data: { uid }, metadata: meta },
  ];
}

/** A projection without a fold: it could only ever be built from the whole log. */
class CountingProjection implements Projection {
  readonly name = 'counting';
  applied = 0;
  async apply(): Promise<void> {
    this.applied += 1;
  }
  async reset(): Promise<void> {
    this.applied = 0;
  }
}

function statusOf(err: unknown): Status | undefined {
  return err instanceof ApiError ? err.status : undefined;
}

describe('log retention (log:prune)', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let clock = OLD;
  let appended = 0;
  /** Instants inside the window the audit answers are compared at. */
  const instants: Date[] = [];
  let answersBefore: unknown[];
  let modelsBefore: Awaited<ReturnType<typeof readModels>>;
  let slowReader: Checkpoint;
  let afterSlowReader: string[];
  const archived: RecordedEvent[] = [];

  async function append(events: SyntheticEvent[]): Promise<void> {
    for (const e of events) {
      await store.append(e.stream, [{ type: e.type, data: e.data, metadata: e.metadata }], {
        expectedVersion: 'any',
      });
      clock += 1000;
    }
    appended += events.length;
    // Committed, but a transaction open elsewhere on the server can hold them back.
    await eventually(
      async () => {
        const [{ held }]: Array<{ held: boolean }> = await ds.query(
          `SELECT EXISTS (SELECT 1 FROM natgw_events
                           WHERE transaction_id >= natgw_visible_horizon()) AS held`,
        );
        return !held;
      },
      { what: 'every appended event visible' },
    );
  }

  async function end(): Promise<Checkpoint> {
    let at = LOG_START;
    for (;;) {
      const page = await store.readAll({ after: at, limit: 5000 });
      if (page.events.length === 0) return at;
      at = page.checkpoint;
    }
  }

  /** natlookup for the first port of every slot a tenant ever had, and nattable?at=, at every instant. */
  async function answers(): Promise<unknown[]> {
    const reader = new AllocationHistoryReader(ds);
    const lookup = new NatLookup(reader);
    const tableAt = new GetNatTableAt(reader);
    const out: unknown[] = [];
    for (const at of instants) {
      for (const c of [...TENANTS_OLD, ...TENANTS_NEW]) {
        for (let i = 0; i < SHAPE.nics; i++)
          out.push(await lookup.execute({ ip: ipOf(c), port: 1024 + 64 * i, at }));
        out.push(
          await tableAt.execute(`t${c}`, 'gw', at).catch((err: unknown) => {
            const status = statusOf(err);
            if (status?.code !== 404) throw err;
            return { notFound: status.message };
          }),
        );
      }
    }
    return out;
  }

  beforeAll(async () => {
    url = await createTestDatabase('log_retention');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds, () => new Date(clock));
    // The old era: four tenants; the last one's gateway is deleted before the window.
    const histories = TENANTS_OLD.map((c) =>
      syntheticTenantHistory(c, '2025-01-01T00:00:00Z', SHAPE),
    );
    for (const h of histories) await append(h);
    slowReader = await end();
    await append(gatewayDeletion(histories[DEAD_TENANT]));
    // Churn of the old tenants, still before the window: relabels and node reports.
    for (let round = 0; round < 3; round++)
      for (const c of TENANTS_OLD.slice(0, DEAD_TENANT)) {
        const nic = histories[c].find((e) => e.type === 'NetworkInterfaceCreated');
        await append([
          {
            stream: nic!.stream,
            type: 'NetworkInterfaceUpdated',
            data: { uid: nic!.data.uid, generation: 1, labels: { round: String(round) } },
            metadata: {},
          },
          {
            stream: `dataplane:node-${c}`,
            type: 'NATTableProgrammed',
            data: { node: `node-${c}`, rules: 4, gateways: {} },
            metadata: {},
          },
        ]);
      }
    // The new era, inside the window.
    clock = NEW;
    for (const c of TENANTS_NEW)
      await append(syntheticTenantHistory(c, '2025-07-01T00:00:00Z', SHAPE));
    const [{ last }]: Array<{ last: Date }> = await ds.query(
      'SELECT max(recorded_at) AS last FROM natgw_events',
    );
    instants.push(WINDOW, new Date(NEW - 1), new Date(NEW + 30_000), new Date(NEW + 90_000), last);
  });

  afterAll(async () => {
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('takes its oracles from the unpruned log', async () => {
    await rebuildProjections(ds, store, projections(), { useSnapshots: false });
    modelsBefore = await readModels(ds);
    answersBefore = await answers();
    // Meaningful answers: old tenants' slots held inside the window are found, the
    // deleted gateway's are not, and the table of a gateway created later is 404 at first.
    const found = answersBefore.filter((a) => (a as { found?: boolean }).found === true);
    expect(found.length).toBeGreaterThan(instants.length * 3 * (SHAPE.nics - SHAPE.deletes) - 1);
    afterSlowReader = [];
    for (let at = slowReader; ;) {
      const page = await store.readAll({ after: at, limit: 1000 });
      if (page.events.length === 0) break;
      afterSlowReader.push(...page.events.map((e) => e.id));
      at = page.checkpoint;
    }
  });

  it('a reader still at the start of the log holds everything: nothing goes, no horizon', async () => {
    await store.storeCheckpoint('consumer:new', LOG_START);
    const report = await pruneLog(ds, store, projections(), { retainedSince: WINDOW });
    expect(report).toMatchObject({ pruned: 0, heldBy: 'consumer:new', remaining: appended });
    expect(await readLogRetention(ds)).toBeUndefined();
    const early = await new NatLookup(new AllocationHistoryReader(ds)).execute({
      ip: ipOf(0),
      port: 1024,
      at: new Date(OLD + 3_600_000),
    });
    expect(early.found).toBe(true);
    await ds.query(`DELETE FROM natgw_checkpoints WHERE name = 'consumer:new'`);
  });

  it("a reader's checkpoint holds the prune back; the reader continues without a gap", async () => {
    // Everyone else is at the end; one consumer is still inside the old era.
    await store.storeCheckpoint('relay:test', await end());
    await store.storeCheckpoint('consumer:slow', slowReader);
    const report = await pruneLog(ds, store, projections(), {
      retainedSince: WINDOW,
      archive: async (events) => {
        archived.push(...events);
      },
    });
    expect(report.heldBy).toBe('consumer:slow');
    expect(archived).toHaveLength(report.pruned);
    expect(report.boundary).toEqual(slowReader);
    expect(report.pruned).toBeGreaterThan(0);
    const ids: string[] = [];
    for (let at = slowReader; ;) {
      const page = await store.readAll({ after: at, limit: 1000 });
      if (page.events.length === 0) break;
      ids.push(...page.events.map((e) => e.id));
      at = page.checkpoint;
    }
    expect(ids).toEqual(afterSlowReader);
    expect(await answers()).toEqual(answersBefore);
  });

  it('prunes to the window: lookups inside it stay exact, the archive holds what went', async () => {
    await store.storeCheckpoint('consumer:slow', await end());
    const counts = async () =>
      (
        await ds.query(
          `SELECT count(*) FILTER (WHERE recorded_at < $1)::int AS old,
                  count(*) FILTER (WHERE recorded_at >= $1)::int AS recent
             FROM natgw_events`,
          [WINDOW],
        )
      )[0] as { old: number; recent: number };
    const before = await counts();
    const first = archived.length;
    const dry = await pruneLog(ds, store, projections(), { retainedSince: WINDOW, dryRun: true });
    const report = await pruneLog(ds, store, projections(), {
      retainedSince: WINDOW,
      archive: async (events) => {
        archived.push(...events);
      },
    });
    expect(report.heldBy).toMatch(/^snapshot:|^projection:|^relay:test$|^consumer:slow$/);
    expect(report.pruned).toBe(dry.pruned);
    expect(report.pruned).toBeGreaterThan(0);
    expect(archived).toHaveLength(first + report.pruned);
    expect(archived.every((e) => e.recordedAt.getTime() < WINDOW.getTime())).toBe(true);
    const after = await counts();
    expect(after.recent).toBe(before.recent);
    expect(after.old).toBe(before.old - report.pruned);
    // Every stream keeps its last event (stream versions, the node list and name reuse read it).
    const [{ missing }]: Array<{ missing: number }> = await ds.query(
      `SELECT count(*)::int AS missing FROM natgw_streams s
        WHERE NOT EXISTS (SELECT 1 FROM natgw_events e
                           WHERE e.stream_id = s.stream_id AND e.version = s.version)`,
    );
    expect(missing).toBe(0);
    // The highest stored commit id stays at or above every checkpoint: a restore into another
    // cluster decides to re-base the commit order by it (natgw_rebase_commit_order).
    const [{ behind }]: Array<{ behind: number }> = await ds.query(
      `SELECT count(*)::int AS behind FROM natgw_checkpoints
        WHERE transaction_id > (SELECT max(transaction_id) FROM natgw_events)`,
    );
    expect(behind).toBe(0);
    // What went: updates, node reports, the deleted gateway's allocation and object;
    // live allocations (the allocator folds them whole) and the pool stay.
    expect([...new Set(archived.map((e) => e.type))]).toEqual(
      expect.arrayContaining([
        'NetworkInterfaceUpdated',
        'NATTableProgrammed',
        'NATSlotAssigned',
        'NATGatewayCreated',
      ]),
    );
    const [dead]: Array<{ uid: string }> = await ds.query(
      `SELECT data->>'uid' AS uid FROM natgw_events WHERE type = 'NATGatewayDeleted'`,
    );
    expect(
      new Set(archived.filter((e) => e.streamId.startsWith('allocation:')).map((e) => e.streamId)),
    ).toEqual(new Set([`allocation:${dead.uid}`]));
    expect(archived.some((e) => e.streamId.startsWith('ippool:'))).toBe(false);
    expect(await answers()).toEqual(answersBefore);
    const retention = await readLogRetention(ds);
    expect(retention?.retainedSince.toISOString()).toBe(WINDOW.toISOString());
    expect(retention?.prunedEvents).toBe(archived.length);
  });

  it('refuses instants before the window with 410 Expired, naming the window', async () => {
    const reader = new AllocationHistoryReader(ds);
    const at = new Date(WINDOW.getTime() - 1);
    const lookup = await new NatLookup(reader)
      .execute({ ip: ipOf(0), port: 1024, at })
      .catch(statusOf);
    const table = await new GetNatTableAt(reader).execute('t0', 'gw', at).catch(statusOf);
    for (const status of [lookup, table]) {
      expect(status).toMatchObject({ code: 410, reason: 'Expired' });
      expect((status as Status).message).toContain(WINDOW.toISOString());
      expect((status as Status).details?.causes?.[0]?.field).toBe('at');
    }
  });

  it('a rebuild after pruning equals the rebuild before it', async () => {
    const results = await rebuildProjections(ds, store, projections());
    expect(results.every((r) => r.fromSnapshot > 0)).toBe(true);
    expect(await readModels(ds)).toEqual(modelsBefore);
  });

  it('log:prune writes what goes to a new archive file, one event a line, and never overwrites one', async () => {
    // Node reports recorded (by a clock set back) before the window, after every reader.
    clock = OLD + 86_400_000;
    const report = (rules: number): SyntheticEvent => ({
      stream: 'dataplane:node-0',
      type: 'NATTableProgrammed',
      data: { node: 'node-0', rules, gateways: {} },
      metadata: {},
    });
    await append([report(1), report(2), report(3)]);
    await append([{ ...report(4), stream: 'dataplane:node-1' }]);
    const at = await end();
    for (const name of [
      'relay:test',
      'consumer:slow',
      'projection:resources',
      'projection:nat-slots',
    ])
      await store.storeCheckpoint(name, at);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'natgw-prune-'));
    const file = path.join(dir, 'pruned.ndjson');
    try {
      const args = { retentionMs: 3_600_000, retentionText: '1h', archive: file, dryRun: false };
      const now = new Date(WINDOW.getTime() + 3_600_000);
      const result = await runPrune(ds, projections(), args, undefined, now);
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      const events = lines.map((l) => JSON.parse(l) as { type: string; streamId: string });
      // node-0's reports but its last, node-1's earlier report (the new one is its last).
      expect(result.pruned).toBe(4);
      expect(events).toHaveLength(4);
      expect(events.every((e) => e.type === 'NATTableProgrammed')).toBe(true);
      expect(formatPrune(result, args)).toContain(`archived the removed events to ${file}`);
      await expect(runPrune(ds, projections(), args, undefined, now)).rejects.toThrow(/EEXIST/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(await answers()).toEqual(answersBefore);
  });

  it('refuses what would read across the pruned range instead of answering from a log with holes', async () => {
    await expect(
      rebuildProjections(ds, store, projections(), { useSnapshots: false }),
    ).rejects.toThrow(LogPrunedError);
    const runner = new ProjectionRunner(ds, store, new CountingProjection());
    await expect(runner.catchUp()).rejects.toThrow(/pruned up to/);
    // Read models are untouched by the refused rebuild.
    expect(await readModels(ds)).toEqual(modelsBefore);
  });
});
