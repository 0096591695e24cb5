// One bad rule never blocks the others: the reconciler with the memory backend and a
// node table in which two NICs share a private address (shared mode). Every other NIC
// is programmed; each NIC the backend rejected gets NATProgrammed=False with the
// backend's reason, the gateway's DataplaneProgrammed names it and its node; steady
// passes record nothing new; once the clash is gone, the NIC is programmed. Status is a
// pure function of the log: a rebuild of the resource projection equals the live one.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Condition } from '@natgw/contracts';
import {
  openDatabase,
  PostgresEventStore,
  ProjectionRunner,
  rebuildProjection,
} from '@natgw/event-store';
import { NatSlotsProjection, ResourceProjection } from '@natgw/projections';
import { createTestDatabase, dropTestDatabase, eventually } from '@natgw/testing';
import { MemoryBackend } from '../../apps/dataplane-executor/src/backends';
import {
  DataplaneReconciler,
  dataplaneStreamId,
} from '../../apps/dataplane-executor/src/reconciler/dataplane-reconciler';
import { natGatewayCreated } from './event-fixtures';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(120_000);

const NODE = 'node-a';

interface Nic {
  name: string;
  uid: string;
  ip: string;
  vni: number;
  port: number;
}

describe('rejected NAT rules (memory backend, real PostgreSQL)', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let slots: ProjectionRunner;
  let resources: ProjectionRunner;
  const gatewayUid = randomUUID();
  // web-2 and web-3 share 10.0.0.2 (in two networks: a clash only in shared mode).
  const nics: Nic[] = [
    { name: 'web-1', uid: randomUUID(), ip: '10.0.0.1', vni: 100, port: 1024 },
    { name: 'web-2', uid: randomUUID(), ip: '10.0.0.2', vni: 100, port: 1088 },
    { name: 'web-3', uid: randomUUID(), ip: '10.0.0.2', vni: 200, port: 1152 },
    { name: 'web-4', uid: randomUUID(), ip: '10.0.0.4', vni: 100, port: 1216 },
  ];
  const clash = new Set([nics[1].uid, nics[2].uid]);

  async function settle(): Promise<void> {
    await slots.catchUp();
    await resources.catchUp();
  }

  async function slotEvent(type: 'NATSlotAssigned' | 'NATSlotReleased', nic: Nic) {
    await store.append(
      `allocation:${gatewayUid}`,
      [
        {
          type,
          data: {
            gatewayUid,
            nicUid: nic.uid,
            nicName: nic.name,
            namespace: 'default',
            privateIp: nic.ip,
            nodeName: NODE,
            vni: nic.vni,
            ip: '203.0.113.1',
            port: nic.port,
            endPort: nic.port + 63,
            ...(type === 'NATSlotReleased' ? { reason: 'NetworkInterfaceDeleted' } : {}),
          },
        },
      ],
      { expectedVersion: 'any' },
    );
    await eventually(async () => {
      await slots.catchUp();
      const rows = await ds.query(`SELECT 1 FROM natgw_nat_slots WHERE nic_uid = $1`, [nic.uid]);
      return rows.length === (type === 'NATSlotAssigned' ? 1 : 0);
    });
  }

  async function condition(name: string, type: string): Promise<Condition | undefined> {
    await resources.catchUp();
    const [row] = await ds.query(
      `SELECT object -> 'status' -> 'conditions' AS conditions FROM natgw_resources WHERE name = $1`,
      [name],
    );
    return ((row?.conditions ?? []) as Condition[]).find((c) => c.type === type);
  }

  async function dataplaneEvents() {
    return store.readStream(dataplaneStreamId(NODE));
  }

  async function readModel() {
    return ds.query(
      `SELECT kind, name, (object #- '{metadata,resourceVersion}') AS object, subresources
         FROM natgw_resources ORDER BY kind, name`,
    );
  }

  beforeAll(async () => {
    url = await createTestDatabase('dataplane_rejections');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
    slots = new ProjectionRunner(ds, store, new NatSlotsProjection());
    resources = new ProjectionRunner(ds, store, new ResourceProjection());
    await store.append('natgateway:default/gw', [natGatewayCreated(gatewayUid, 'gw')], {
      expectedVersion: 'no-stream',
    });
    for (const nic of nics) {
      await store.append(
        `networkinterface:default/${nic.name}`,
        [
          {
            type: 'NetworkInterfaceCreated',
            data: {
              uid: nic.uid,
              namespace: 'default',
              name: nic.name,
              labels: {},
              annotations: {},
              finalizers: [],
              spec: { networkRef: { name: 'net' }, ips: [nic.ip], nodeName: NODE },
              generation: 1,
              creationTimestamp: '2026-11-26T10:00:01Z',
            },
          },
        ],
        { expectedVersion: 'no-stream' },
      );
    }
    for (const nic of nics) await slotEvent('NATSlotAssigned', nic);
    await settle();
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  it('in network mode, one address in two networks is no clash; a missing network interface is retried until it appears', async () => {
    // The memory backend in network mode, as DATAPLANE_NETWORK_INTERFACE makes the executor build it.
    const backend = new MemoryBackend({ networkInterface: 'vni{vni}' });
    const reconciler = new DataplaneReconciler(ds, store, backend, NODE, { perNetwork: true });
    expect(await reconciler.reconcile('start')).toMatchObject({ rules: 4, rejected: 0 });
    expect((await backend.read()).map((r) => r.vni).sort()).toEqual([100, 100, 100, 200]);

    // The operator has not created network 200's interface (yet): only web-3 is left out.
    backend.setNetworkInterfacePresent(200, false);
    const before = (await dataplaneEvents()).length;
    expect(await reconciler.reconcile('interval')).toMatchObject({ rules: 4, rejected: 1 });
    const events = (await dataplaneEvents()).slice(before);
    expect(events.map((e) => e.type)).toEqual([
      'DriftDetected',
      'NATRulesRejected',
      'DriftRepaired',
      'NATTableProgrammed',
    ]);
    expect((events[1].data as { rejected: Array<Record<string, unknown>> }).rejected).toEqual([
      expect.objectContaining({ nicUid: nics[2].uid, reason: 'NetworkInterfaceMissing' }),
    ]);
    await eventually(
      async () => (await condition('web-3', 'NATProgrammed'))?.reason === 'NetworkInterfaceMissing',
      { what: 'web-3 NATProgrammed=False/NetworkInterfaceMissing' },
    );
    expect((await condition('web-2', 'NATProgrammed'))?.status).toBe('True');
    // Steady: retried on every pass, recorded once.
    const steady = (await dataplaneEvents()).length;
    await reconciler.reconcile('interval');
    expect((await dataplaneEvents()).length).toBe(steady);
    // The interface appears: the next pass programs the rule, though the log did not change.
    backend.setNetworkInterfacePresent(200, true);
    expect(await reconciler.reconcile('interval')).toMatchObject({ rules: 4, rejected: 0 });
    expect((await backend.read()).map((r) => r.nicUid)).toContain(nics[2].uid);
    await eventually(async () => (await condition('web-3', 'NATProgrammed'))?.status === 'True', {
      what: 'web-3 NATProgrammed=True',
    });
  });

  it('in shared mode, programs every NIC outside the clash and rejects within it only', async () => {
    const backend = new MemoryBackend();
    const reconciler = new DataplaneReconciler(ds, store, backend, NODE);
    const before = (await dataplaneEvents()).length;
    const result = await reconciler.reconcile('start');
    const programmed = new Set((await backend.read()).map((r) => r.nicUid));
    // The rules carry no VNI in shared mode.
    expect((await backend.read()).every((r) => r.vni === undefined)).toBe(true);
    for (const nic of nics.filter((n) => !clash.has(n.uid)))
      expect(programmed.has(nic.uid)).toBe(true);
    const rejected = nics.filter((n) => !programmed.has(n.uid));
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected.every((n) => clash.has(n.uid))).toBe(true);
    expect(result.rejected).toBe(rejected.length);

    const events = (await dataplaneEvents()).slice(before);
    const rejectedEvents = events.filter((e) => e.type === 'NATRulesRejected');
    expect(rejectedEvents).toHaveLength(1);
    expect(rejectedEvents[0].data).toMatchObject({ node: NODE, count: rejected.length });
    const report = events.filter((e) => e.type === 'NATTableProgrammed').pop();
    expect(report?.data).toMatchObject({ node: NODE, rules: 4 - rejected.length });
    const listed = (report?.data as { rejected: Array<Record<string, string>> }).rejected;
    expect(listed.map((r) => r.nicUid).sort()).toEqual(rejected.map((n) => n.uid).sort());
    for (const entry of listed) {
      expect(entry).toMatchObject({ gatewayUid, family: 'IPv4', reason: 'AddressConflict' });
      expect(entry.message).toMatch(/10\.0\.0\.2/);
    }

    await resources.catchUp();
    for (const nic of nics) {
      const c = await condition(nic.name, 'NATProgrammed');
      if (programmed.has(nic.uid))
        expect(c).toMatchObject({ status: 'True', reason: 'Programmed' });
      else {
        expect(c).toMatchObject({ status: 'False', reason: 'AddressConflict' });
        expect(c?.message).toMatch(
          /node node-a rejected the IPv4 NAT rule of gateway gw: .*10\.0\.0\.2/,
        );
      }
    }
    const gateway = await condition('gw', 'DataplaneProgrammed');
    expect(gateway).toMatchObject({ status: 'False', reason: 'RulesRejected' });
    for (const nic of rejected)
      expect(gateway?.message).toContain(`${nic.name} on node node-a (AddressConflict)`);
    expect((await condition('gw', 'Ready'))?.status).toBe('False');

    // Steady passes: the rejected rules are retried, but nothing new is recorded.
    const count = (await dataplaneEvents()).length;
    for (let i = 0; i < 3; i++) {
      expect(await reconciler.reconcile('interval')).toMatchObject({
        drift: false,
        rejected: rejected.length,
      });
    }
    expect((await dataplaneEvents()).length).toBe(count);

    // The clash goes away: the rejected NIC is programmed on the next pass.
    const [kept] = rejected;
    const other = nics.find((n) => clash.has(n.uid) && n.uid !== kept.uid)!;
    await slotEvent('NATSlotReleased', other);
    const after = await reconciler.reconcile('event');
    expect(after).toMatchObject({ drift: false, rejected: 0 });
    expect((await backend.read()).map((r) => r.nicUid)).toContain(kept.uid);
    const cleared = (await dataplaneEvents()).slice(count);
    expect(cleared.map((e) => e.type)).toEqual(['NATTableProgrammed']);
    expect(cleared[0].data).toMatchObject({ rejected: [] });
    await eventually(async () => (await condition(kept.name, 'NATProgrammed'))?.status === 'True', {
      what: `${kept.name} NATProgrammed=True`,
    });
    expect(await condition(other.name, 'NATProgrammed')).toBeUndefined();
    expect(await condition('gw', 'DataplaneProgrammed')).toMatchObject({
      status: 'True',
      reason: 'Programmed',
    });
  });

  it('rebuilds the same status from the log', async () => {
    await resources.catchUp();
    const live = await readModel();
    await rebuildProjection(ds, store, new ResourceProjection());
    const rebuilt = await readModel();
    expect(live.length).toBe(1 + nics.length);
    expect(rebuilt).toEqual(live);
  });
});
