// Drain through the API and the allocator on a real database (issue 17.1): spec.drainIPs is
// validated against the gateway's IPs, the allocator's events move the NICs and retire their
// slots, status and audit lookups show both slots during the overlap, the allocator's own timer
// ends the drain at the deadline (nothing else triggers it), two allocators at the deadline
// append the release once, and a restarted allocator arms the same deadline from the log.
import request from 'supertest';
import type { RecordedEvent } from '@natgw/contracts';
import { eventually } from '@natgw/testing';
import {
  allocationStreamId,
  ReconcileNetwork,
} from '../../apps/allocator/src/allocation/reconcile-network';
import { DrainDeadlines } from '../../apps/allocator/src/drain/drain-deadlines';
import { createObject, objectUrl, seedTestPool, testAllocator } from './allocator-test-kit';
import { startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'drain';
const KEY = { namespace: NS, network: 'net' };
const LOOKUP = '/apis/natgw.ironcore.dev/v1alpha1/natlookup';
const DEADLINE_SECONDS = 3;

describe('drain through the API and the allocator', () => {
  let api: TestApi;
  let gwUid: string;

  const url = (plural: string, name = '') => objectUrl(NS, plural, name);
  const get = async (plural: string, name: string) =>
    (await request(api.url).get(url(plural, name))).body as Body;
  /** A merge patch of spec.drainIPs; a 503 (recorded, read model behind) reads back until it shows. */
  const patchDrain = async (drainIPs: unknown) => {
    const res = await request(api.url)
      .patch(url('natgateways', 'gw'))
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { drainIPs } });
    if (res.status !== 503) return res;
    const body = await eventually(
      async () => {
        const gw = await get('natgateways', 'gw');
        return JSON.stringify(gw.spec.drainIPs?.map((d: Body) => d.ip)) ===
          JSON.stringify((drainIPs as Body[]).map((d) => d.ip))
          ? gw
          : undefined;
      },
      { what: 'the patched spec.drainIPs' },
    );
    return { status: 200, body };
  };
  const stream = async () =>
    (await api.store.readStream(allocationStreamId(gwUid))) as RecordedEvent[];

  /** One allocator replica: its own caches, the real clock. */
  const allocator = (): ReconcileNetwork =>
    testAllocator(api, { minPublicIPs: 1, maxPublicIPs: 4 });

  beforeAll(async () => {
    api = await startTestApi('drain_allocator');
    await seedTestPool(api, ['198.51.100.0/29']);
    const post = (plural: string, body: Body) => createObject(api, NS, plural, body);
    expect((await post('networks', { kind: 'Network', metadata: { name: 'net' } })).status).toBe(
      201,
    );
    const gw = await post('natgateways', {
      kind: 'NATGateway',
      metadata: { name: 'gw' },
      spec: {
        type: 'Public',
        ipFamily: 'IPv4',
        portsPerNetworkInterface: 32768,
        networkRef: { name: 'net' },
      },
    });
    expect(gw.status).toBe(201);
    gwUid = gw.body.metadata.uid;
    for (const n of [1, 2]) {
      const nic = await post('networkinterfaces', {
        kind: 'NetworkInterface',
        metadata: { name: `vm-${n}` },
        spec: { networkRef: { name: 'net' }, ips: [`10.0.0.${n}`], nodeName: 'node-1' },
      });
      expect(nic.status).toBe(201);
    }
    await eventually(async () => (await get('networks', 'net')).status?.vni !== undefined, {
      what: 'the network VNI',
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('refuses a drain of an IP the gateway does not hold, naming the field; a create cannot drain', async () => {
    await allocator().run(KEY);
    const held = await eventually(
      async () => {
        const ips = (await get('natgateways', 'gw')).status?.ips as Body[] | undefined;
        return ips?.length === 2 ? ips : undefined;
      },
      { what: 'the IPs in status' },
    );
    // 32768 ports: one slot per IP, so the two NICs hold two IPs.
    expect(held[0]).toMatchObject({ name: 'ip1', state: 'Active' });
    const refused = await patchDrain([{ ip: '203.0.113.77', deadlineSeconds: 5 }]);
    expect(refused.status).toBe(422);
    expect(refused.body.details.causes).toEqual([
      expect.objectContaining({
        field: 'spec.drainIPs[0].ip',
        reason: 'FieldValueInvalid',
        message: expect.stringContaining("must be one of the gateway's public IPs (status.ips:"),
      }),
    ]);
    const bounds = await patchDrain([{ ip: held[0].ip, deadlineSeconds: 90_000 }]);
    expect(bounds.status).toBe(422);
    expect(bounds.body.details.causes[0].field).toBe('spec.drainIPs[0].deadlineSeconds');
    const created = await request(api.url)
      .post(url('natgateways'))
      .send({
        apiVersion: 'networking.ironcore.dev/v1alpha1',
        kind: 'NATGateway',
        metadata: { name: 'gw-new' },
        spec: {
          type: 'Public',
          ipFamily: 'IPv4',
          networkRef: { name: 'net' },
          drainIPs: [{ ip: held[0].ip }],
        },
      });
    expect(created.status).toBe(422);
    expect(created.body.details.causes[0].message).toContain('and it holds none');
  });

  it('moves the NICs, shows both slots while the drain lasts, and ends it by its own timer at the deadline', async () => {
    const before = (await get('natgateways', 'gw')).status.ips as Body[];
    const drained = before[0].ip as string;
    const slotBefore = (await get('networkinterfaces', 'vm-1')).status.nat as Body[];
    expect(slotBefore).toHaveLength(1);
    const ok = await patchDrain([{ ip: drained, deadlineSeconds: DEADLINE_SECONDS }]);
    expect(ok.status).toBe(200);
    expect(ok.body.spec.drainIPs).toEqual([{ ip: drained, deadlineSeconds: DEADLINE_SECONDS }]);

    // The allocator's timer: armed from the outcome of each reconcile, as the scheduler does.
    const first = allocator();
    const fired: string[] = [];
    const deadlines = new DrainDeadlines((key, uid) => {
      fired.push(uid);
      void first.run(key).then((o) => {
        for (const g of o.gateways) deadlines.set(key, g.uid, g.nextDrainDeadline);
      });
    });
    const outcome = await first.run(KEY);
    const mine = outcome.gateways.find((g) => g.uid === gwUid);
    expect(mine?.nextDrainDeadline).toBeDefined();
    deadlines.set(KEY, gwUid, mine?.nextDrainDeadline);

    const events = await stream();
    const drainEvents = events.filter((e) => e.type === 'NATIPDrainStarted');
    expect(drainEvents.map((e) => e.data)).toEqual([
      {
        gatewayUid: gwUid,
        ip: drained,
        deadline: new Date(mine?.nextDrainDeadline as number).toISOString(),
        deadlineSeconds: DEADLINE_SECONDS,
      },
    ]);
    const retiring = events.filter((e) => e.type === 'NATSlotRetiring');
    expect(retiring.map((e) => (e.data as Body).ip)).toEqual([drained]);
    const movedNic = (retiring[0]?.data as Body).nicName as string;

    // A restarted allocator (fresh caches) derives the same deadline from the log.
    const restarted = await allocator().run(KEY);
    expect(restarted.appended).toBe(0);
    expect(restarted.gateways.find((g) => g.uid === gwUid)?.nextDrainDeadline).toBe(
      mine?.nextDrainDeadline,
    );

    // Status: the IP drains (with its deadline), the NAT table and the NIC show both slots.
    const during = await eventually(
      async () => {
        const gw = await get('natgateways', 'gw');
        return gw.status.ips.some((ip: Body) => ip.state === 'Draining') ? gw : undefined;
      },
      { what: 'the draining IP in status.ips' },
    );
    expect(during.status.ips.find((ip: Body) => ip.ip === drained)).toMatchObject({
      state: 'Draining',
      drainDeadline: expect.any(String),
    });
    expect(during.status.retiringSlots).toBe(1);
    const nicNat = (await get('networkinterfaces', movedNic)).status.nat as Body[];
    expect(nicNat).toHaveLength(2);
    const old = nicNat.find((n) => n.retiringUntil !== undefined) as Body;
    const fresh = nicNat.find((n) => n.retiringUntil === undefined) as Body;
    expect(old.ip).toBe(drained);
    expect(fresh.ip).not.toBe(drained);
    const table = (await request(api.url).get(`${url('natgateways', 'gw')}/nattable`)).body;
    const onDrained = table.ips.find((x: Body) => x.ip === drained);
    expect(onDrained.sections).toEqual([
      expect.objectContaining({ retiringUntil: expect.any(String) }),
    ]);

    // natlookup answers for both slots during the overlap.
    const at = new Date().toISOString();
    for (const slot of [old, fresh]) {
      const found = await request(api.url).get(
        `${LOOKUP}?ip=${slot.ip}&port=${slot.port + 7}&at=${at}`,
      );
      expect([slot.ip, found.body.found, found.body.holder?.networkInterface?.name]).toEqual([
        slot.ip,
        true,
        movedNic,
      ]);
      expect(found.body.holder.slot.retiringUntil).toBe(slot.retiringUntil);
    }

    // Nothing else happens; the timer fires at the deadline and ends the drain.
    await eventually(
      async () =>
        (await stream()).some((e) => e.type === 'NATRetiringSlotReleased') ? true : undefined,
      { what: 'the release at the deadline', timeoutMs: (DEADLINE_SECONDS + 20) * 1000 },
    );
    expect(fired).toEqual([gwUid]);
    await eventually(
      async () =>
        (await stream()).some(
          (e) => e.type === 'NATGatewayIPReleased' && (e.data as Body).reason === 'Drained',
        ),
      { what: 'the drained IP released' },
    );
    deadlines.stop();
    const ended = (await stream()).filter(
      (e) => e.type === 'NATRetiringSlotReleased' || e.type === 'NATGatewayIPReleased',
    );
    expect(ended.map((e) => [e.type, (e.data as Body).reason])).toEqual([
      ['NATRetiringSlotReleased', 'Drained'],
      ['NATGatewayIPReleased', 'Drained'],
    ]);
    expect(Date.parse(String(ended[0]?.recordedAt.toISOString()))).toBeGreaterThanOrEqual(
      mine?.nextDrainDeadline as number,
    );

    // Status: Released while spec.drainIPs names it; the pool has the address back.
    await eventually(
      async () => {
        const gw = await get('natgateways', 'gw');
        const entry = gw.status.ips.find((ip: Body) => ip.ip === drained);
        return entry?.state === 'Released' && gw.status.retiringSlots === undefined
          ? entry
          : undefined;
      },
      { what: 'the IP shown Released' },
    );
    const pool = await api.store.readStream('ippool:default');
    expect(pool.at(-1)).toMatchObject({ type: 'PublicIPReleased', data: { ip: drained } });
    // After the lookup instant, the old port belongs to nobody.
    const after = await request(api.url).get(
      `${LOOKUP}?ip=${old.ip}&port=${old.port + 7}&at=${new Date().toISOString()}`,
    );
    expect(after.body.found).toBe(false);
  });

  it('documents spec.drainIPs and the IP states in the OpenAPI document (kubectl explain)', async () => {
    const doc = (await request(api.url).get('/openapi.json')).body;
    const schemas = doc.components.schemas;
    expect(schemas.NATGatewaySpec.properties.drainIPs.items.$ref).toBe(
      '#/components/schemas/NATGatewayDrainIP',
    );
    expect(schemas.NATGatewayDrainIP.properties.deadlineSeconds).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: 86400,
      default: 350,
    });
    expect(schemas.NATGatewayIP.properties.state.enum).toEqual(['Active', 'Draining', 'Released']);
  });

  it('two allocators at a deadline release each retiring slot once', async () => {
    const ips = ((await get('natgateways', 'gw')).status.ips as Body[]).filter(
      (ip) => ip.state === 'Active',
    );
    const listed = (await get('natgateways', 'gw')).spec.drainIPs as Body[];
    const ok = await patchDrain([...listed, { ip: ips[0]?.ip, deadlineSeconds: 1 }]);
    expect(ok.status).toBe(200);
    await allocator().run(KEY);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const [a, b] = [allocator(), allocator()];
    const outcomes = await Promise.all([a.run(KEY), b.run(KEY)]);
    const released = (await stream()).filter(
      (e) => e.type === 'NATRetiringSlotReleased' && (e.data as Body).ip === ips[0]?.ip,
    );
    expect(released).toHaveLength(1);
    expect(outcomes.map((o) => o.appended).sort((x, y) => x - y)[0]).toBe(0);
  });
});
