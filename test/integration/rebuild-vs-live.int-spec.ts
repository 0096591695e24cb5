// A rebuild (`projections:rebuild`: both projections folded in memory and written
// once) must leave exactly what applying the log event by event leaves, whatever the
// live batch size: the same objects, subresources and stream versions, the same NAT
// slots and allocation versions, and as change log each object's last change of the
// live change log, in the same order. The log is varied on purpose: NICs created,
// relabelled, re-specified (slot released and assigned again with a VNI) and deleted;
// a public IP drained (a second IP assigned, slots retiring on the old one, moved,
// rejected by the node, released, the IP released as Drained); an allocation pending
// then satisfied; VNIs claimed and released with a Network deleted; a gateway deleted
// (allocation closed) and created again under its name. It is compared mid-drain
// (retiring slots held) and at the end, and the end state is checked against the
// rules too, not only against the live result.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { DataSource } from 'typeorm';
import {
  openDatabase,
  PostgresEventStore,
  Projection,
  projectionCheckpointName,
  ProjectionRunner,
  rebuildProjections,
} from '@natgw/event-store';
import { NatSlotsProjection, ResourceProjection } from '@natgw/projections';
import {
  createTestDatabase,
  dropTestDatabase,
  eventually,
  SyntheticEvent,
  syntheticTenantHistory,
} from '@natgw/testing';
import { NATGW_SCHEMA } from '@natgw/schema';
import { readModels } from './read-models';
import { appendVisible } from './synthetic-append';

jest.setTimeout(600_000);

// A transaction left open elsewhere on the shared server holds back every reader's
// horizon (other test files' too): wait for it rather than fail.
const VISIBLE_WITHIN_MS = 180_000;

const T0 = '2026-01-01T00:00:00Z';
const DEADLINE = '2026-01-01T01:00:00Z';
const API = { source: '/natgw/api-gateway' };
const ALLOCATOR = { source: '/natgw/allocator' };
const EXECUTOR = { source: '/natgw/dataplane-executor' };

interface Slot {
  nicUid: string;
  nicName: string;
  namespace: string;
  privateIp: string;
  nodeName: string;
  ip: string;
  port: number;
  endPort: number;
  vni?: number;
}

/** What a tenant's synthetic history created: its gateway, public IP and surviving NICs' slots. */
interface Tenant {
  ns: string;
  gatewayUid: string;
  publicIp: string;
  slots: Slot[];
  history: SyntheticEvent[];
}

function tenant(c: number, shape: { nics: number; updates: number; deletes: number }): Tenant {
  const history = syntheticTenantHistory(c, T0, shape);
  const gw = history.find((e) => e.type === 'NATGatewayCreated')!;
  const assigned = history.filter((e) => e.type === 'NATSlotAssigned');
  const released = new Set(
    history.filter((e) => e.type === 'NATSlotReleased').map((e) => e.data.nicUid),
  );
  const slots = assigned
    .map((e) => {
      const { gatewayUid: _gw, ...slot } = e.data as unknown as Slot & { gatewayUid: string };
      return slot;
    })
    .filter((s) => !released.has(s.nicUid));
  return {
    ns: `t${c}`,
    gatewayUid: String(gw.data.uid),
    publicIp: String(history.find((e) => e.type === 'NATGatewayIPAssigned')!.data.ip),
    slots,
    history,
  };
}

/** Rows that differ only in resourceVersion between a live run and a rebuild compare equal. */
interface ChangeRow {
  resource_version: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  type: string;
  object: { metadata: { resourceVersion: string } };
  old_labels: unknown;
}

describe('rebuild vs live apply of a varied log', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let appended = 0;

  const projections = (): Projection[] => [new ResourceProjection(), new NatSlotsProjection()];

  async function append(events: SyntheticEvent[]): Promise<void> {
    appended += events.length;
    await appendVisible(ds, store, events, appended, VISIBLE_WITHIN_MS);
  }

  /** One allocation event of a tenant's gateway. */
  const allocation = (t: Tenant, type: string, data: Record<string, unknown>) => ({
    stream: `allocation:${t.gatewayUid}`,
    type,
    data: { gatewayUid: t.gatewayUid, ...data },
    metadata: ALLOCATOR,
  });

  /** The node's report that it programmed the gateway's allocation up to its current version. */
  async function report(
    t: Tenant,
    rejected: Array<{ nicUid: string; nicName: string }> = [],
  ): Promise<SyntheticEvent> {
    const version = await store.streamVersion(`allocation:${t.gatewayUid}`);
    return {
      stream: `dataplane:node-${t.ns.slice(1)}`,
      type: 'NATTableProgrammed',
      data: {
        node: `node-${t.ns.slice(1)}`,
        rules: t.slots.length,
        gateways: { [t.gatewayUid]: version },
        rejected: rejected.map((r) => ({
          ...r,
          gatewayUid: t.gatewayUid,
          family: 'IPv4',
          reason: 'AddressConflict',
          message: `${r.nicName}'s address is taken on the node`,
        })),
      },
      metadata: EXECUTOR,
    };
  }

  /** Applies the whole log live, `batchSize` events a transaction, to emptied read models. */
  async function applyLive(batchSize: number): Promise<void> {
    for (const p of projections()) {
      await ds.transaction((m) => p.reset(m));
      await ds.query('DELETE FROM natgw_checkpoints WHERE name = $1', [
        projectionCheckpointName(p),
      ]);
      const runner = new ProjectionRunner(ds, store, p, undefined, { batchSize });
      let applied = 0;
      await eventually(async () => (applied += await runner.catchUp()) >= appended, {
        what: `${p.name} caught up`,
        timeoutMs: VISIBLE_WITHIN_MS,
      });
      expect(applied).toBe(appended);
    }
  }

  async function changeLog(): Promise<ChangeRow[]> {
    return ds.query(
      `SELECT resource_version::text AS resource_version, kind, namespace, name, uid::text AS uid,
              type, object, old_labels
         FROM natgw_resource_changes c ORDER BY c.resource_version`,
    );
  }

  const withoutVersion = ({ resource_version: _rv, object, ...rest }: ChangeRow) => ({
    ...rest,
    object: { ...object, metadata: { ...object.metadata, resourceVersion: '' } },
  });

  /** Each present object's last change, in the order of the log (what a rebuild keeps). */
  function lastChanges(log: ChangeRow[], present: Set<string>): ChangeRow[] {
    const last = new Map<string, ChangeRow>();
    for (const c of log) last.set(`${c.kind}/${c.namespace}/${c.name}`, c);
    return [...last.entries()]
      .filter(([key, c]) => present.has(key) && c.type !== 'DELETED')
      .map(([, c]) => c)
      .sort((a, b) => Number(BigInt(a.resource_version) - BigInt(b.resource_version)));
  }

  /** Live at three batch sizes, then a rebuild: all must agree. Returns the rebuilt read models. */
  async function compareRebuildWithLive() {
    await applyLive(1);
    const live = await readModels(ds);
    const liveLog = await changeLog();
    for (const batchSize of [7, 10_000]) {
      await applyLive(batchSize);
      expect(await readModels(ds)).toEqual(live);
      expect((await changeLog()).map(withoutVersion)).toEqual(liveLog.map(withoutVersion));
    }

    const results = await rebuildProjections(ds, store, projections(), { useSnapshots: false });
    expect(results.map((r) => [r.projection, r.applied])).toEqual([
      ['resources', appended],
      ['nat-slots', appended],
    ]);
    const rebuilt = await readModels(ds);
    expect(rebuilt).toEqual(live);

    // The change log: each object's last live change, in the live order, with fresh
    // versions that are the objects' own and end at the counter, compacted up to it.
    const present = new Set(
      (live.resources as Array<{ kind: string; namespace: string; name: string }>).map(
        (r) => `${r.kind}/${r.namespace}/${r.name}`,
      ),
    );
    const rebuiltLog = await changeLog();
    expect(rebuiltLog.map(withoutVersion)).toEqual(
      lastChanges(liveLog, present).map(withoutVersion),
    );
    // Covered: last changes that are relabellings (old labels other than the object's).
    const relabelled = rebuiltLog.filter(
      (c) =>
        c.type === 'MODIFIED' &&
        !isDeepStrictEqual(c.old_labels, (c.object.metadata as { labels?: unknown }).labels ?? {}),
    );
    expect(relabelled.length).toBeGreaterThan(0);
    const versions: Array<{ key: string; rv: string; objectRv: string }> = await ds.query(
      `SELECT kind || '/' || namespace || '/' || name AS key, resource_version::text AS rv,
              object->'metadata'->>'resourceVersion' AS "objectRv" FROM natgw_resources`,
    );
    const logRv = new Map(rebuiltLog.map((c) => [`${c.kind}/${c.namespace}/${c.name}`, c]));
    for (const v of versions) {
      expect(v.objectRv).toBe(v.rv);
      expect(logRv.get(v.key)?.resource_version).toBe(v.rv);
      expect(logRv.get(v.key)?.object.metadata.resourceVersion).toBe(v.rv);
    }
    const [counter]: Array<{ last: string; compacted: string }> = await ds.query(
      `SELECT last_rv::text AS last, compacted_rv::text AS compacted
         FROM natgw_resource_versions WHERE id = 1`,
    );
    expect(counter.compacted).toBe(counter.last);
    const rvs = rebuiltLog.map((c) => BigInt(c.resource_version));
    expect(rvs).toEqual(rvs.map((_, i) => BigInt(counter.last) - BigInt(rvs.length - 1 - i)));
    return rebuilt;
  }

  beforeAll(async () => {
    url = await createTestDatabase('rebuild_vs_live');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('mid-drain and at the end, a rebuild writes what live application writes', async () => {
    const t0 = tenant(0, { nics: 5, updates: 3, deletes: 2 });
    const t1 = tenant(1, { nics: 5, updates: 2, deletes: 1 });
    const t2 = tenant(2, { nics: 4, updates: 1, deletes: 1 });
    await append([...t0.history, ...t1.history, ...t2.history]);

    // t0: a second public IP, the first one drained: two NICs' slots retire on it and
    // move to the new IP; the node rejects one of the moved rules.
    const newIp = '11.200.0.1';
    const [a, b] = t0.slots;
    const moved = (s: Slot, i: number) => ({
      ...s,
      ip: newIp,
      port: 1024 + 64 * i,
      endPort: 1087 + 64 * i,
    });
    await append([
      allocation(t0, 'NATIPDrainStarted', {
        ip: t0.publicIp,
        deadline: DEADLINE,
        deadlineSeconds: 3600,
      }),
      allocation(t0, 'NATSlotRetiring', { ...a, deadline: DEADLINE, reason: 'Drained' }),
      allocation(t0, 'NATSlotRetiring', { ...b, deadline: DEADLINE, reason: 'Drained' }),
      allocation(t0, 'NATGatewayIPAssigned', { ip: newIp }),
      allocation(t0, 'NATSlotAssigned', moved(a, 0)),
      allocation(t0, 'NATSlotAssigned', moved(b, 1)),
    ]);
    await append([await report(t0, [{ nicUid: b.nicUid, nicName: b.nicName }])]);
    // t1: waiting NICs (the pool is empty), an older Network gets a VNI from the allocator.
    const net1 = t1.history.find((e) => e.type === 'NetworkCreated')!.data;
    await append([
      allocation(t1, 'AllocationPending', {
        waiting: 2,
        reason: 'PublicIPPoolExhausted',
        missingIps: 1,
      }),
      {
        stream: 'vni:901',
        type: 'NetworkVNIClaimed',
        data: { vni: 901, networkUid: net1.uid, namespace: 't1', name: 'net' },
        metadata: ALLOCATOR,
      },
    ]);

    const midDrain = await compareRebuildWithLive();
    const midGateway = (
      midDrain.resources as Array<{
        namespace: string;
        kind: string;
        subresources: {
          nattable: {
            ips: Array<{
              ip: string;
              sections: Array<{ retiringUntil?: string; targetRef: { uid: string } }>;
            }>;
          };
        };
      }>
    ).find((r) => r.kind === 'NATGateway' && r.namespace === 't0')!;
    const onOldIp = midGateway.subresources.nattable.ips.find((x) => x.ip === t0.publicIp)!;
    // Retiring sections stay listed, marked, while their connections drain.
    expect(
      onOldIp.sections
        .filter((s) => s.retiringUntil === DEADLINE)
        .map((s) => s.targetRef.uid)
        .sort(),
    ).toEqual([a.nicUid, b.nicUid].sort());

    // t0: NIC 2 re-specified (its slot released and assigned again, on the new IP, with its
    // network's VNI); then the drain ends: retiring slots released, then the IP (Drained).
    const c = t0.slots[2];
    await append([
      {
        stream: `networkinterface:t0/${c.nicName}`,
        type: 'NetworkInterfaceUpdated',
        data: {
          uid: c.nicUid,
          generation: 2,
          spec: { ips: [c.privateIp], nodeName: 'node-0', networkRef: { name: 'net' } },
        },
        metadata: API,
      },
      allocation(t0, 'NATSlotReleased', { ...c, reason: 'NetworkInterfaceUpdated' }),
      allocation(t0, 'NATSlotAssigned', { ...c, ip: newIp, port: 1152, endPort: 1215, vni: 4242 }),
      allocation(t0, 'NATRetiringSlotReleased', { ...a, reason: 'Drained' }),
      allocation(t0, 'NATRetiringSlotReleased', { ...b, reason: 'Drained' }),
      allocation(t0, 'NATGatewayIPReleased', { ip: t0.publicIp, reason: 'Drained' }),
    ]);
    await append([await report(t0)]);
    // t1: satisfied after all; a Network with a VNI is created, then deleted (its VNI released);
    // a NIC annotated with text COPY must escape (backslash, tab, newline, quotes).
    const vnetUid = randomUUID();
    const annotated = t1.slots[0];
    await append([
      allocation(t1, 'AllocationSatisfied', {}),
      {
        stream: `networkinterface:t1/${annotated.nicName}`,
        type: 'NetworkInterfaceUpdated',
        data: {
          uid: annotated.nicUid,
          generation: 1,
          annotations: { note: 'a "quoted" back\\slash,\ttab\nnewline\r\\N' },
        },
        metadata: API,
      },
      {
        stream: 'network:t1/vnet',
        type: 'NetworkCreated',
        data: {
          uid: vnetUid,
          name: 'vnet',
          namespace: 't1',
          spec: { vni: 77 },
          labels: {},
          annotations: {},
          finalizers: [],
          generation: 1,
          creationTimestamp: T0,
        },
        metadata: API,
      },
      {
        stream: 'vni:77',
        type: 'NetworkVNIClaimed',
        data: { vni: 77, networkUid: vnetUid, namespace: 't1', name: 'vnet' },
        metadata: API,
      },
      {
        stream: 'network:t1/vnet',
        type: 'NetworkDeletionRequested',
        data: { uid: vnetUid, deletionTimestamp: T0 },
        metadata: API,
      },
      { stream: 'network:t1/vnet', type: 'NetworkDeleted', data: { uid: vnetUid }, metadata: API },
      {
        stream: 'vni:77',
        type: 'NetworkVNIReleased',
        data: { vni: 77, networkUid: vnetUid, namespace: 't1', name: 'vnet' },
        metadata: API,
      },
    ]);
    // t2: the gateway is deleted (its slots and IP released, the allocation closed) and
    // created again under its name with a new uid.
    const newGatewayUid = randomUUID();
    const gwCreated = t2.history.find((e) => e.type === 'NATGatewayCreated')!;
    await append([
      {
        stream: 'natgateway:t2/gw',
        type: 'NATGatewayDeletionRequested',
        data: { uid: t2.gatewayUid, deletionTimestamp: T0 },
        metadata: API,
      },
      ...t2.slots.map((s) => allocation(t2, 'NATSlotReleased', { ...s, reason: 'GatewayDeleted' })),
      allocation(t2, 'NATGatewayIPReleased', { ip: t2.publicIp }),
      allocation(t2, 'AllocationClosed', { reason: 'GatewayDeleted' }),
      {
        stream: 'natgateway:t2/gw',
        type: 'NATGatewayDeleted',
        data: { uid: t2.gatewayUid },
        metadata: ALLOCATOR,
      },
      {
        stream: 'natgateway:t2/gw',
        type: 'NATGatewayCreated',
        data: { ...gwCreated.data, uid: newGatewayUid },
        metadata: API,
      },
    ]);

    const end = await compareRebuildWithLive();

    // The end state by the rules, independently of the live run.
    type Row = {
      kind: string;
      namespace: string;
      name: string;
      uid: string;
      object: { status: Record<string, unknown> };
      subresources: {
        nattable?: {
          ips: Array<{ ip: string; sections: Array<{ port: number; targetRef: { uid: string } }> }>;
        };
      };
    };
    const resources = end.resources as Row[];
    const find = (kind: string, ns: string, name: string) =>
      resources.find((r) => r.kind === kind && r.namespace === ns && r.name === name);
    const note = find('NetworkInterface', 't1', annotated.nicName)?.object as
      { metadata: { annotations?: Record<string, string> } } | undefined;
    expect(note?.metadata.annotations?.note).toBe('a "quoted" back\\slash,\ttab\nnewline\r\\N');
    const gw0 = find('NATGateway', 't0', 'gw')!;
    // The drained IP is gone with its retiring sections; the moved and re-assigned slots are on the new IP.
    expect(gw0.subresources.nattable?.ips.map((x) => x.ip)).toEqual([newIp]);
    expect(
      gw0.subresources.nattable?.ips[0].sections.map((s) => [s.targetRef.uid, s.port]),
    ).toEqual([
      [a.nicUid, 1024],
      [b.nicUid, 1088],
      [c.nicUid, 1152],
    ]);
    expect(find('Network', 't1', 'net')?.object.status).toEqual({ vni: 901 });
    expect(find('Network', 't1', 'vnet')).toBeUndefined();
    const gw2 = find('NATGateway', 't2', 'gw')!;
    expect(gw2.uid).toBe(newGatewayUid);
    expect(gw2.subresources).toEqual({});
    const slots = end.slots as Array<{
      gateway_uid: string;
      nic_uid: string;
      nat_ip: string;
      vni: number | null;
    }>;
    expect(slots.filter((s) => s.gateway_uid === t2.gatewayUid)).toEqual([]);
    expect(
      slots
        .filter((s) => s.gateway_uid === t0.gatewayUid && s.nat_ip === newIp)
        .map((s) => s.nic_uid)
        .sort(),
    ).toEqual([a.nicUid, b.nicUid, c.nicUid].sort());
    expect(slots.find((s) => s.nic_uid === c.nicUid)?.vni).toBe(4242);
    const versions = end.versions as Array<{
      gateway_uid: string;
      version: number;
      closed: boolean;
    }>;
    expect(versions.find((v) => v.gateway_uid === t2.gatewayUid)?.closed).toBe(true);
    expect(versions.find((v) => v.gateway_uid === t0.gatewayUid)).toEqual({
      gateway_uid: t0.gatewayUid,
      version: await store.streamVersion(`allocation:${t0.gatewayUid}`),
      closed: false,
    });
  });
});
