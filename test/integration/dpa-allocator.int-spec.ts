// Dynamic port allocation through the API and the allocator on a real database (issue 17.4):
// spec.dynamicPortAllocation is validated (422 naming the field and the rule, also through a
// merge patch), a NIC starts at the minimum, a usage report above the threshold (the event the
// executor records, folded into status.nat by the resources projection) makes the allocator grow
// its slot in place (NATSlotReleased PortsGrown + NATSlotAssigned, new range holding the old),
// natlookup stays exact across the grow, and an idle slot shrinks after shrinkAfterSeconds by
// the allocator's own timer.
import request from 'supertest';
import type { RecordedEvent } from '@natgw/contracts';
import { eventually } from '@natgw/testing';
import {
  allocationStreamId,
  ReconcileNetwork,
} from '../../apps/allocator/src/allocation/reconcile-network';
import { createObject, objectUrl, seedTestPool, testAllocator } from './allocator-test-kit';
import { startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'dpa';
const KEY = { namespace: NS, network: 'net' };
const LOOKUP = '/apis/natgw.ironcore.dev/v1alpha1/natlookup';
const DPA = {
  enabled: true,
  minPortsPerNetworkInterface: 32,
  maxPortsPerNetworkInterface: 128,
  growAtPercent: 50,
  shrinkAfterSeconds: 10,
};

describe('dynamic port allocation through the API and the allocator', () => {
  let api: TestApi;
  let gwUid: string;
  let nicUid: string;
  let clock = Date.now();

  const url = (plural: string, name = '') => objectUrl(NS, plural, name);
  const get = async (plural: string, name: string) =>
    (await request(api.url).get(url(plural, name))).body as Body;
  const stream = async () =>
    (await api.store.readStream(allocationStreamId(gwUid))) as RecordedEvent[];
  const post = (plural: string, body: Body) => createObject(api, NS, plural, body);

  /** One allocator replica, on the test's clock. */
  const allocator = (): ReconcileNetwork =>
    testAllocator(api, { minPublicIPs: 1, maxPublicIPs: 2 }, () => clock);

  /** Records what a node's executor measured of the NIC's slot, and waits for status.nat to show it. */
  async function report(slot: Body, inUse: number, peak: number, observedAt: number) {
    await api.store.append('dataplane:node-1', [
      {
        type: 'NATPortUsageReported',
        data: {
          nodeName: 'node-1',
          observedAt: new Date(observedAt).toISOString(),
          windowSeconds: 900,
          slots: [
            {
              namespace: NS,
              gateway: 'gw',
              networkInterface: 'vm-1',
              networkInterfaceUID: nicUid,
              publicIP: slot.ip,
              port: slot.port,
              endPort: slot.endPort,
              inUse,
              peak,
              exhausted: inUse > slot.endPort - slot.port,
            },
          ],
        },
        metadata: { source: '/natgw/dataplane-executor', correlationId: 'dpa-test' },
      },
    ]);
    await eventually(
      async () => {
        const nat = ((await get('networkinterfaces', 'vm-1')).status?.nat ?? []) as Body[];
        return nat.some((n) => n.port === slot.port && n.peak === peak && n.inUse === inUse)
          ? true
          : undefined;
      },
      { what: 'the reported usage in status.nat' },
    );
  }

  /** The stream ends with a resize for `reason`: a release, then the new slot (returned). */
  const lastResize = async (reason: string): Promise<Body> => {
    const resize = (await stream()).slice(-2);
    expect(resize.map((e) => [e.type, (e.data as Body).reason])).toEqual([
      ['NATSlotReleased', reason],
      ['NATSlotAssigned', undefined],
    ]);
    return resize[1]?.data as Body;
  };

  const natOf = async (size: number) =>
    eventually(
      async () => {
        const nat = ((await get('networkinterfaces', 'vm-1')).status?.nat ?? []) as Body[];
        return nat.length === 1 && nat[0].endPort - nat[0].port + 1 === size ? nat[0] : undefined;
      },
      { what: `a ${size}-port slot in status.nat` },
    );

  beforeAll(async () => {
    api = await startTestApi('dpa_allocator');
    await seedTestPool(api, ['198.51.100.0/29']);
    expect((await post('networks', { kind: 'Network', metadata: { name: 'net' } })).status).toBe(
      201,
    );
    const gw = await post('natgateways', {
      kind: 'NATGateway',
      metadata: { name: 'gw' },
      spec: {
        type: 'Public',
        ipFamily: 'IPv4',
        networkRef: { name: 'net' },
        dynamicPortAllocation: DPA,
      },
    });
    expect(gw.status).toBe(201);
    expect(gw.body.spec.dynamicPortAllocation).toEqual(DPA);
    gwUid = gw.body.metadata.uid;
    const nic = await post('networkinterfaces', {
      kind: 'NetworkInterface',
      metadata: { name: 'vm-1' },
      spec: { networkRef: { name: 'net' }, ips: ['10.0.0.1'], nodeName: 'node-1' },
    });
    expect(nic.status).toBe(201);
    nicUid = nic.body.metadata.uid;
    await eventually(async () => (await get('networks', 'net')).status?.vni !== undefined, {
      what: 'the network VNI',
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('refuses dynamicPortAllocation with an explicit portsPerNetworkInterface, on create and on a merge patch', async () => {
    const created = await request(api.url)
      .post(url('natgateways'))
      .send({
        apiVersion: 'networking.ironcore.dev/v1alpha1',
        kind: 'NATGateway',
        metadata: { name: 'gw-fixed' },
        spec: {
          type: 'Public',
          ipFamily: 'IPv4',
          networkRef: { name: 'other' },
          portsPerNetworkInterface: 1024,
          dynamicPortAllocation: { enabled: true },
        },
      });
    expect(created.status).toBe(422);
    expect(created.body.details.causes).toEqual([
      expect.objectContaining({
        field: 'spec.portsPerNetworkInterface',
        reason: 'FieldValueForbidden',
        message: expect.stringContaining('mutually exclusive'),
      }),
    ]);
    const fixed = await post('natgateways', {
      kind: 'NATGateway',
      metadata: { name: 'gw-fixed' },
      spec: {
        type: 'Public',
        ipFamily: 'IPv4',
        networkRef: { name: 'other' },
        portsPerNetworkInterface: 1024,
      },
    });
    expect(fixed.status).toBe(201);
    const patched = await request(api.url)
      .patch(url('natgateways', 'gw-fixed'))
      .set('Content-Type', 'application/merge-patch+json')
      .send({
        spec: { dynamicPortAllocation: { enabled: true, maxPortsPerNetworkInterface: 48 } },
      });
    expect(patched.status).toBe(422);
    expect(patched.body.details.causes).toEqual([
      expect.objectContaining({
        field: 'spec.dynamicPortAllocation.maxPortsPerNetworkInterface',
        message: 'Invalid value: 48: 48 is not a power of 2',
      }),
    ]);
    const conflict = await request(api.url)
      .patch(url('natgateways', 'gw-fixed'))
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { dynamicPortAllocation: { enabled: true } } });
    expect(conflict.status).toBe(422);
    expect(conflict.body.details.causes[0].field).toBe('spec.portsPerNetworkInterface');
  });

  it('starts at the minimum, grows in place on a report above the threshold, and natlookup stays exact', async () => {
    clock = Date.now();
    await allocator().run(KEY);
    const first = await natOf(32);
    const beforeGrow = new Date(Date.now() - 1).toISOString();

    // 15 of 32 in use: below 50%, nothing changes.
    await report(first, 15, 15, clock);
    expect((await allocator().run(KEY)).appended).toBe(0);

    // 16 of 32: the allocator grants 64 ports, in place.
    await report(first, 16, 16, clock);
    expect((await allocator().run(KEY)).appended).toBe(2);
    const grown = await lastResize('PortsGrown');
    expect(grown.endPort - grown.port + 1).toBe(64);
    expect(grown.port <= first.port && first.endPort <= grown.endPort).toBe(true);
    expect(grown.ip).toBe(first.ip);
    const now = await natOf(64);
    expect([now.port, now.endPort]).toEqual([grown.port, grown.endPort]);

    // The same (stale) report asks nothing more: it was measured on the 32-port slot.
    expect((await allocator().run(KEY)).appended).toBe(0);

    // natlookup: a port of the added half was nobody's before the grow, the NIC's after.
    const added = first.port === grown.port ? first.endPort + 1 : grown.port;
    const lookup = async (port: number, at: string) =>
      (await request(api.url).get(`${LOOKUP}?ip=${first.ip}&port=${port}&at=${at}`)).body as Body;
    expect((await lookup(added, beforeGrow)).found).toBe(false);
    expect((await lookup(first.port, beforeGrow)).holder?.networkInterface?.name).toBe('vm-1');
    const afterGrow = new Date().toISOString();
    expect((await lookup(added, afterGrow)).holder?.networkInterface?.name).toBe('vm-1');
    expect((await lookup(first.port, afterGrow)).holder?.networkInterface?.name).toBe('vm-1');

    // The gateway shows the DPA range in kubectl's table.
    const table = (
      await request(api.url)
        .get(url('natgateways'))
        .set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io')
    ).body as Body;
    const row = table.rows.find((r: Body) => r.cells[0] === 'gw');
    expect(row.cells[3]).toBe('32-128');
  });

  it('shrinks an idle slot after shrinkAfterSeconds, at the time the allocator armed', async () => {
    const slot = await natOf(64);
    clock = Date.now();
    await report(slot, 0, 0, clock);
    const early = await allocator().run(KEY);
    expect(early.appended).toBe(0);
    const due = early.gateways.find((g) => g.uid === gwUid)?.nextDrainDeadline;
    expect(due).toBe(clock + DPA.shrinkAfterSeconds * 1000);
    clock = due as number;
    expect((await allocator().run(KEY)).appended).toBe(2);
    await lastResize('PortsShrunk');
    const shrunk = await natOf(32);
    expect([shrunk.ip, shrunk.port]).toEqual([slot.ip, slot.port]);
  });
});
