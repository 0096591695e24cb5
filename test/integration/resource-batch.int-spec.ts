// The resource projection writes a batch's changes once at its end (ResourceBatch).
// Whatever the batch boundaries, the result must be exactly what applying the
// events one at a time gives: the same objects, subresources and stream
// versions, and the same change log (every intermediate change, in order), so
// watchers cannot tell. The history covers what a batch has to get right: an
// object created, deleted and created again under the same name in one batch,
// events of the old incarnation afterwards, status written by allocation events
// for a gateway and NICs created earlier in the batch, and NATTableProgrammed
// reports about gateways the table does not show yet. A rebuild (one fold in memory)
// writes the same objects, and only each object's last change.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  openDatabase,
  PostgresEventStore,
  projectionCheckpointName,
  ProjectionRunner,
  rebuildProjection,
} from '@natgw/event-store';
import { ResourceProjection } from '@natgw/projections';
import {
  createTestDatabase,
  dropTestDatabase,
  eventually,
  SyntheticEvent,
  syntheticTenantHistory,
} from '@natgw/testing';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(120_000);

const T0 = '2026-01-01T00:00:00Z';

/** NIC `t0/again` created, deleted and created again with a new uid, with events of both incarnations. */
function recreatedNic(): SyntheticEvent[] {
  const stream = 'networkinterface:t0/again';
  const first = randomUUID();
  const second = randomUUID();
  const created = (uid: string) => ({
    uid,
    name: 'again',
    namespace: 't0',
    spec: { ips: ['10.9.9.9'], nodeName: 'node-0', networkRef: { name: 'net' } },
    labels: { round: uid === first ? 'one' : 'two' },
    annotations: {},
    finalizers: [],
    generation: 1,
    creationTimestamp: T0,
  });
  const meta = { source: '/natgw/api-gateway' };
  return [
    { stream, type: 'NetworkInterfaceCreated', data: created(first), metadata: meta },
    {
      stream,
      type: 'NetworkInterfaceDeletionRequested',
      data: { uid: first, deletionTimestamp: T0 },
      metadata: meta,
    },
    { stream, type: 'NetworkInterfaceDeleted', data: { uid: first }, metadata: meta },
    { stream, type: 'NetworkInterfaceCreated', data: created(second), metadata: meta },
    {
      stream,
      type: 'NetworkInterfaceUpdated',
      data: { uid: first, generation: 2, labels: { stale: 'yes' } },
      metadata: meta,
    },
    {
      stream,
      type: 'NetworkInterfaceUpdated',
      data: { uid: second, generation: 1, labels: { round: 'two', fresh: 'yes' } },
      metadata: meta,
    },
  ];
}

interface Snapshot {
  resources: unknown[];
  changes: unknown[];
}

describe('ResourceBatch: batch boundaries change nothing', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let total = 0;

  /** The read model and change log, resourceVersions counted from the first change. */
  async function snapshot(): Promise<Snapshot> {
    const changes: Array<Record<string, unknown> & { resource_version: string; object: never }> =
      await ds.query(
        `SELECT resource_version::text AS resource_version, kind, namespace, name, uid::text AS uid,
                type, object, old_labels
           FROM natgw_resource_changes c ORDER BY c.resource_version`,
      );
    const base = BigInt(changes[0].resource_version) - 1n;
    const relative = (rv: string) => String(BigInt(rv) - base);
    const withRelativeVersion = (object: { metadata: { resourceVersion: string } }) => ({
      ...object,
      metadata: { ...object.metadata, resourceVersion: relative(object.metadata.resourceVersion) },
    });
    const resources: Array<Record<string, unknown> & { resource_version: string; object: never }> =
      await ds.query(
        `SELECT kind, namespace, name, uid::text AS uid, resource_version::text AS resource_version,
                stream_version, labels, object, subresources
           FROM natgw_resources ORDER BY kind, namespace, name`,
      );
    return {
      resources: resources.map((r) => ({
        ...r,
        resource_version: relative(r.resource_version),
        object: withRelativeVersion(r.object),
      })),
      changes: changes.map((c) => ({
        ...c,
        resource_version: relative(c.resource_version),
        object: withRelativeVersion(c.object),
      })),
    };
  }

  async function replay(batchSize: number): Promise<Snapshot> {
    const projection = new ResourceProjection();
    await ds.transaction((m) => projection.reset(m));
    await ds.query('DELETE FROM natgw_checkpoints WHERE name = $1', [
      projectionCheckpointName(projection),
    ]);
    const runner = new ProjectionRunner(ds, store, projection, undefined, { batchSize });
    // The appends are committed, but a transaction open elsewhere on the server can
    // hold them back for a moment: catch up until every event is in.
    let applied = 0;
    await eventually(async () => (applied += await runner.catchUp()) >= total, {
      what: 'every event replayed',
    });
    expect(applied).toBe(total);
    return snapshot();
  }

  beforeAll(async () => {
    url = await createTestDatabase('resource_batch');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
    const history = [
      ...syntheticTenantHistory(0, T0, { nics: 6, updates: 3, deletes: 2 }),
      ...recreatedNic(),
      ...syntheticTenantHistory(1, T0, { nics: 5, updates: 2, deletes: 1 }),
    ];
    for (const e of history)
      await store.append(e.stream, [{ type: e.type, data: e.data, metadata: e.metadata }], {
        expectedVersion: 'any',
      });
    total = history.length;
  });

  afterAll(async () => {
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('one event a batch, odd batches, one batch and an atomic rebuild write the same', async () => {
    const oneByOne = await replay(1);
    expect(await replay(7)).toEqual(oneByOne);
    expect(await replay(10_000)).toEqual(oneByOne);
    // A rebuild folds in memory and writes the end state: the same objects (with new
    // resourceVersions, in the order of their last change), and a change log of each
    // object's last change only, compacted up to the counter: no client has seen the
    // versions in between, and paged lists as of the new counter stay exact.
    expect(await rebuildProjection(ds, store, new ResourceProjection())).toBe(total);
    const rebuilt = await snapshot();
    const withoutVersion = (rows: unknown[]) =>
      (rows as Array<Record<string, unknown> & { object: { metadata: object } }>).map(
        ({ resource_version: _rv, ...r }) => ({
          ...r,
          object: { ...r.object, metadata: { ...r.object.metadata, resourceVersion: '' } },
        }),
      );
    expect(withoutVersion(rebuilt.resources)).toEqual(withoutVersion(oneByOne.resources));
    const rebuiltObjects = rebuilt.resources as Array<{
      kind: string;
      name: string;
      resource_version: string;
      object: unknown;
    }>;
    const lastChanges = rebuilt.changes as Array<{
      kind: string;
      name: string;
      resource_version: string;
      object: unknown;
      type: string;
    }>;
    expect(lastChanges).toHaveLength(rebuiltObjects.length);
    for (const r of rebuiltObjects) {
      const c = lastChanges.find((x) => x.resource_version === r.resource_version);
      expect(c && [c.kind, c.name, c.object]).toEqual([r.kind, r.name, r.object]);
      expect(c?.type).not.toBe('DELETED');
    }
    const [counter]: Array<{ last: string; compacted: string; top: string }> = await ds.query(
      `SELECT last_rv::text AS last, compacted_rv::text AS compacted,
              (SELECT max(resource_version) FROM natgw_resource_changes)::text AS top
         FROM natgw_resource_versions WHERE id = 1`,
    );
    expect(counter.compacted).toBe(counter.last);
    expect(counter.top).toBe(counter.last);

    // And what was written is right, not merely the same.
    const byName = new Map(
      (oneByOne.resources as Array<{ kind: string; namespace: string; name: string }>).map((r) => [
        `${r.kind}/${r.namespace}/${r.name}`,
        r as unknown as {
          labels: Record<string, string>;
          object: { status: { conditions?: Array<{ type: string; status: string }> } };
          subresources: { nattable?: { ips: Array<{ sections: unknown[] }> } };
        },
      ]),
    );
    const again = byName.get('NetworkInterface/t0/again');
    expect(again?.labels).toEqual({ round: 'two', fresh: 'yes' });
    for (const ns of ['t0', 't1']) {
      const gw = byName.get(`NATGateway/${ns}/gw`);
      // Allocated, and programmed on its node by a report in the same batch as its creation.
      expect(gw?.object.status.conditions?.map((c) => [c.type, c.status])).toEqual([
        ['Allocated', 'True'],
        ['DataplaneProgrammed', 'True'],
        ['Ready', 'True'],
      ]);
    }
    expect(byName.get('NATGateway/t0/gw')?.subresources.nattable?.ips[0].sections).toHaveLength(4);
    // Deleted NICs are gone; every change before that is still in the log for watchers.
    expect(byName.has('NetworkInterface/t0/nic-5')).toBe(false);
    const types = (oneByOne.changes as Array<{ type: string }>).map((c) => c.type);
    expect(types.filter((t) => t === 'DELETED')).toHaveLength(2 + 1 + 1);
    expect(types.length).toBeGreaterThan(oneByOne.resources.length);
  });
});
