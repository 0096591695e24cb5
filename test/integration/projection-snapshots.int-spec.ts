// Projection snapshots (issue 19.4): a rebuild that continues from a snapshot and
// the events after it writes exactly what a rebuild from the whole log writes, for
// both projections; a snapshot of another fold version is not used; the live
// runner continues after the rebuild from where it stopped. The oracle is the
// rebuild from the whole log (no snapshot involved), itself checked against the
// one-event-at-a-time runner in resource-batch.int-spec.ts.
import { DataSource } from 'typeorm';
import {
  openDatabase,
  PostgresEventStore,
  ProjectionRunner,
  rebuildProjections,
  snapshotInfo,
  snapshotProjections,
} from '@natgw/event-store';
import { NatSlotsProjection, ResourceProjection } from '@natgw/projections';
import { NATGW_SCHEMA } from '@natgw/schema';
import {
  createTestDatabase,
  dropTestDatabase,
  eventually,
  SyntheticEvent,
  syntheticTenantHistory,
} from '@natgw/testing';
import { readModels } from './read-models';
import { appendVisible } from './synthetic-append';

jest.setTimeout(120_000);

const T0 = '2026-01-01T00:00:00Z';

/** A projection of the same rules whose fold version moved on. */
class NewerResourceProjection extends ResourceProjection {
  override readonly foldVersion = 99;
}

describe('projection snapshots', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let appended = 0;

  async function append(events: SyntheticEvent[]): Promise<void> {
    appended += events.length;
    await appendVisible(ds, store, events, appended);
  }

  beforeAll(async () => {
    url = await createTestDatabase('projection_snapshots');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('a rebuild from a snapshot and the events after it equals a rebuild from the whole log', async () => {
    const projections = () => [new ResourceProjection(), new NatSlotsProjection()];
    await append([
      ...syntheticTenantHistory(0, T0, { nics: 6, updates: 3, deletes: 2 }),
      ...syntheticTenantHistory(1, T0, { nics: 4, updates: 1, deletes: 1 }),
    ]);
    const before = appended;
    const taken = await snapshotProjections(ds, store, projections());
    expect(taken.map((r) => [r.projection, r.fromSnapshot, r.applied])).toEqual([
      ['resources', 0, before],
      ['nat-slots', 0, before],
    ]);
    // Taking a snapshot leaves the read models alone.
    expect((await readModels(ds)).resources).toEqual([]);

    // After the snapshot: a tenant more, and tenant 0's NICs relabelled and one deleted,
    // so events after the snapshot change objects the snapshot holds.
    const [nic]: Array<{ uid: string }> = await ds.query(
      `SELECT data->>'uid' AS uid FROM natgw_events
        WHERE stream_id = 'networkinterface:t0/nic-0' AND type = 'NetworkInterfaceCreated'`,
    );
    const [slot]: Array<{ data: Record<string, unknown>; stream_id: string }> = await ds.query(
      `SELECT data, stream_id FROM natgw_events WHERE type = 'NATSlotAssigned' AND data->>'nicUid' = $1`,
      [nic.uid],
    );
    await append([
      ...syntheticTenantHistory(2, T0, { nics: 5, updates: 2, deletes: 1 }),
      {
        stream: 'networkinterface:t0/nic-0',
        type: 'NetworkInterfaceUpdated',
        data: { uid: nic.uid, generation: 1, labels: { after: 'snapshot' } },
        metadata: {},
      },
      {
        stream: 'networkinterface:t0/nic-0',
        type: 'NetworkInterfaceDeletionRequested',
        data: { uid: nic.uid, deletionTimestamp: T0 },
        metadata: {},
      },
      {
        stream: slot.stream_id,
        type: 'NATSlotReleased',
        data: { ...slot.data, reason: 'NetworkInterfaceDeleted' },
        metadata: {},
      },
      {
        stream: 'networkinterface:t0/nic-0',
        type: 'NetworkInterfaceDeleted',
        data: { uid: nic.uid },
        metadata: {},
      },
    ]);

    const fromSnapshot = await rebuildProjections(ds, store, projections());
    expect(fromSnapshot.map((r) => [r.projection, r.fromSnapshot, r.applied])).toEqual([
      ['resources', before, appended - before],
      ['nat-slots', before, appended - before],
    ]);
    const continued = await readModels(ds);

    const fromLog = await rebuildProjections(ds, store, projections(), { useSnapshots: false });
    expect(fromLog.map((r) => [r.fromSnapshot, r.applied])).toEqual([
      [0, appended],
      [0, appended],
    ]);
    const oracle = await readModels(ds);
    expect(continued).toEqual(oracle);
    // The events after the snapshot are in: nic-0 gone with its slot, tenant 2 there.
    const names = (oracle.resources as Array<{ namespace: string; name: string }>).map(
      (r) => `${r.namespace}/${r.name}`,
    );
    expect(names).not.toContain('t0/nic-0');
    expect(names).toContain('t2/gw');
    expect((oracle.slots as Array<{ nic_uid: string }>).some((s) => s.nic_uid === nic.uid)).toBe(
      false,
    );
  });

  it('does not continue from a snapshot of another fold version', async () => {
    const info = await snapshotInfo(ds.manager, 'resources');
    expect(info?.foldVersion).toBe(new ResourceProjection().foldVersion);
    const [result] = await rebuildProjections(ds, store, [new NewerResourceProjection()]);
    expect(result.fromSnapshot).toBe(0);
    expect(result.applied).toBe(appended);
  });

  it('a live runner continues after a rebuild, from where it stopped', async () => {
    await rebuildProjections(ds, store, [new ResourceProjection()]);
    await append(syntheticTenantHistory(3, T0, { nics: 2, updates: 0, deletes: 0 }));
    const runner = new ProjectionRunner(ds, store, new ResourceProjection());
    const expected = syntheticTenantHistory(3, T0, { nics: 2, updates: 0, deletes: 0 }).length;
    // Only the events after the rebuild are applied. They are committed, but a
    // transaction open elsewhere on the server can hold them back for a moment.
    let applied = 0;
    await eventually(async () => (applied += await runner.catchUp()) >= expected, {
      what: 'the new events applied',
    });
    expect(applied).toBe(expected);
    const models = await readModels(ds);
    expect(
      (models.resources as Array<{ namespace: string }>).filter((r) => r.namespace === 't3'),
    ).toHaveLength(4);
  });

  it('a runner builds a new read model over an existing log with one fold, then applies batches', async () => {
    await rebuildProjections(ds, store, [new ResourceProjection()], { useSnapshots: false });
    const oracle = (await readModels(ds)).resources;
    const projection = new ResourceProjection();
    await ds.transaction((m) => projection.reset(m));
    await ds.query(`DELETE FROM natgw_checkpoints WHERE name = 'projection:resources'`);
    const progress: Array<[number, number]> = [];
    const runner = new ProjectionRunner(ds, store, projection, undefined, {
      batchSize: 3,
      foldNewReadModel: true,
      rebuildBatchSize: 10,
      onRebuildProgress: (done, total) => progress.push([done, total]),
    });
    // From the snapshot: only the events after it are read from the log.
    const info = await snapshotInfo(ds.manager, 'resources');
    expect(await runner.catchUp()).toBe(appended - (info?.events ?? 0));
    expect((await readModels(ds)).resources).toEqual(oracle);
    expect(progress[progress.length - 1]).toEqual([
      appended - (info?.events ?? 0),
      appended - (info?.events ?? 0),
    ]);
    expect(await runner.catchUp()).toBe(0);
  });
});
