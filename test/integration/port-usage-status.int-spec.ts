// Port usage in status (issue 17.3), through the real resource projection: a node's
// NATPortUsageReported sets each NIC's status.nat inUse/peak and its PortsExhausted condition,
// and the gateway's status.portUsage counts; a late report of a slot the NIC no longer holds
// changes nothing; a released slot leaves the counts; AllocationPending sets
// minExtraPublicIPsNeeded. Status is a pure function of the log: a rebuild equals the live model.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Condition } from '@natgw/contracts';
import {
  openDatabase,
  PostgresEventStore,
  ProjectionRunner,
  rebuildProjection,
} from '@natgw/event-store';
import {
  NAT_PORT_USAGE_REPORTED,
  PortUsageReportedData,
  PortUsageSlot,
  ResourceProjection,
} from '@natgw/projections';
import { createTestDatabase, dropTestDatabase, eventually } from '@natgw/testing';
import { NATGW_SCHEMA } from '@natgw/schema';
import { natGatewayCreated, networkInterfaceCreated } from './event-fixtures';

jest.setTimeout(120_000);

const NODE = 'node-a';

describe('port usage in status (real PostgreSQL)', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let resources: ProjectionRunner;
  const gatewayUid = randomUUID();
  const nics = [
    { name: 'web-1', uid: randomUUID(), ip: '10.0.0.1', port: 1024 },
    { name: 'web-2', uid: randomUUID(), ip: '10.0.0.2', port: 1088 },
    { name: 'web-3', uid: randomUUID(), ip: '10.0.0.3', port: 1152 },
  ];

  /**
   * Applies everything appended so far. A transaction open elsewhere on the server can hold new
   * events back from readers for a moment: wait until every appended event is visible.
   */
  async function settle(): Promise<void> {
    const [{ n }] = await ds.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM natgw_events',
    );
    await eventually(async () => (await store.readAll({ limit: 10_000 })).events.length === n, {
      what: 'every appended event visible',
    });
    await resources.catchUp();
  }

  async function allocation(type: string, data: Record<string, unknown>) {
    await store.append(`allocation:${gatewayUid}`, [{ type, data: { gatewayUid, ...data } }], {
      expectedVersion: 'any',
    });
  }

  function slotData(nic: (typeof nics)[number]) {
    return {
      nicUid: nic.uid,
      nicName: nic.name,
      namespace: 'default',
      privateIp: nic.ip,
      nodeName: NODE,
      ip: '203.0.113.1',
      port: nic.port,
      endPort: nic.port + 63,
    };
  }

  function usage(
    nic: (typeof nics)[number],
    inUse: number,
    peak: number,
    port = nic.port,
  ): PortUsageSlot {
    return {
      namespace: 'default',
      gateway: 'gw',
      networkInterface: nic.name,
      networkInterfaceUID: nic.uid,
      publicIP: '203.0.113.1',
      port,
      endPort: port + 63,
      inUse,
      peak,
      exhausted: inUse >= 64,
    };
  }

  async function report(slots: PortUsageSlot[], observedAt: string) {
    const data: PortUsageReportedData = { nodeName: NODE, observedAt, windowSeconds: 900, slots };
    await store.append(`dataplane:${NODE}`, [{ type: NAT_PORT_USAGE_REPORTED, data }], {
      expectedVersion: 'any',
    });
    await settle();
  }

  async function status(name: string): Promise<Record<string, unknown>> {
    const [row] = await ds.query(
      `SELECT object -> 'status' AS status FROM natgw_resources WHERE name = $1`,
      [name],
    );
    return row.status as Record<string, unknown>;
  }

  async function exhaustedCondition(name: string): Promise<Condition | undefined> {
    return ((await status(name)).conditions as Condition[] | undefined)?.find(
      (c) => c.type === 'PortsExhausted',
    );
  }

  beforeAll(async () => {
    url = await createTestDatabase('port_usage_status');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
    resources = new ProjectionRunner(ds, store, new ResourceProjection());
    await store.append('natgateway:default/gw', [natGatewayCreated(gatewayUid, 'gw', 64)], {
      expectedVersion: 'no-stream',
    });
    for (const nic of nics) {
      await store.append(
        `networkinterface:default/${nic.name}`,
        [networkInterfaceCreated(nic.uid, nic.name, nic.ip, NODE)],
        { expectedVersion: 'no-stream' },
      );
    }
    await allocation('NATGatewayIPAssigned', { ip: '203.0.113.1' });
    for (const nic of nics) await allocation('NATSlotAssigned', slotData(nic));
    await settle();
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  it('shows inUse and peak on the NIC slot, and counts the gateway NICs near and at exhaustion', async () => {
    await report(
      [usage(nics[0], 10, 20), usage(nics[1], 64, 64), usage(nics[2], 30, 60)],
      '2026-12-07T18:00:00Z',
    );
    const nat = (await status('web-1')).nat as Array<Record<string, unknown>>;
    expect(nat).toEqual([
      {
        ipFamily: 'IPv4',
        natGatewayRef: { name: 'gw' },
        ip: '203.0.113.1',
        port: 1024,
        endPort: 1087,
        inUse: 10,
        peak: 20,
        exhausted: false,
        observedAt: '2026-12-07T18:00:00Z',
      },
    ]);
    expect(await exhaustedCondition('web-1')).toMatchObject({
      status: 'False',
      reason: 'PortsAvailable',
    });
    expect(await exhaustedCondition('web-2')).toMatchObject({
      status: 'True',
      reason: 'PortsExhausted',
      message: expect.stringContaining('203.0.113.1:1088-1151'),
    });
    // web-3 peaked at 60 of 64 (>= 80%): near; web-2 is exhausted.
    expect((await status('gw')).portUsage).toEqual({
      nearExhaustion: 1,
      exhausted: 1,
      observedAt: '2026-12-07T18:00:00Z',
    });
  });

  it('keeps the condition transition time while it holds, and clears it when ports free up', async () => {
    const before = await exhaustedCondition('web-2');
    await report([usage(nics[1], 64, 64)], '2026-12-07T18:00:30Z');
    expect((await exhaustedCondition('web-2'))?.lastTransitionTime).toBe(
      before?.lastTransitionTime,
    );
    await report([usage(nics[1], 5, 64)], '2026-12-07T18:01:00Z');
    expect(await exhaustedCondition('web-2')).toMatchObject({ status: 'False' });
    expect((await status('gw')).portUsage).toMatchObject({ nearExhaustion: 2, exhausted: 0 });
  });

  it('ignores a report of a slot the NIC does not hold', async () => {
    const gw = await status('gw');
    await report([usage(nics[0], 64, 64, 4000)], '2026-12-07T18:02:00Z');
    expect(await status('gw')).toEqual(gw);
    expect(await exhaustedCondition('web-1')).toMatchObject({ status: 'False' });
  });

  it('drops a released slot from the counts and the NIC condition', async () => {
    await allocation('NATSlotReleased', {
      ...slotData(nics[2]),
      reason: 'NetworkInterfaceDeleted',
    });
    await settle();
    expect((await status('gw')).portUsage).toMatchObject({ nearExhaustion: 1, exhausted: 0 });
    expect((await status('web-3')).nat).toEqual([]);
    expect(await exhaustedCondition('web-3')).toBeUndefined();
  });

  it('sets minExtraPublicIPsNeeded while NICs wait, and removes it when none do', async () => {
    await allocation('AllocationPending', {
      waiting: 1500,
      reason: 'PublicIPPoolExhausted',
      missingIps: 1,
    });
    await settle();
    // 64 ports per NIC: 1,008 slots per IP, so 1,500 waiting NICs need 2 more IPs.
    expect((await status('gw')).minExtraPublicIPsNeeded).toBe(2);
    await allocation('AllocationSatisfied', {});
    await settle();
    expect((await status('gw')).minExtraPublicIPsNeeded).toBeUndefined();
  });

  it('is a function of the log: a rebuild gives the same read model', async () => {
    const model = async () =>
      ds.query(
        `SELECT kind, name, (object #- '{metadata,resourceVersion}') AS object, subresources
           FROM natgw_resources ORDER BY kind, name`,
      );
    const live = await model();
    await rebuildProjection(ds, store, new ResourceProjection());
    expect(await model()).toEqual(live);
  });
});
