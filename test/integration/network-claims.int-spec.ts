// Per-network VNIs and per-network private addresses, against the real api-gateway (in process,
// twice on one database where two replicas race), the allocator's reconcile on the same
// database, and the inbound NATS subject. Every uniqueness rule is checked against an oracle
// written from the rules: distinct VNIs among live Networks, one holder per address per network.
import { headers as natsHeaders, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import request from 'supertest';
import { MAX_VNI, MIN_VNI, RecordedEvent, Status } from '@natgw/contracts';
import { ConcurrencyError, rebuildProjection } from '@natgw/event-store';
import { ResourceProjection } from '@natgw/projections';
import { eventually, testNatsNames } from '@natgw/testing';
import {
  allocationStreamId,
  ReconcileNetwork,
} from '../../apps/allocator/src/allocation/reconcile-network';
import { InboundListener } from '../../apps/api-gateway/src/inbound/inbound-listener';
import { seedTestPool, testAllocator } from './allocator-test-kit';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const network = (name: string, spec: Body = {}): Body => ({
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'Network',
  metadata: { name },
  spec,
});

const nic = (name: string, net: string, ips: string[], nodeName = 'node-1'): Body => ({
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NetworkInterface',
  metadata: { name },
  spec: { networkRef: { name: net }, ips, nodeName },
});

const gateway = (name: string, net: string): Body => ({
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NATGateway',
  metadata: { name },
  spec: {
    type: 'Public',
    ipFamily: 'IPv4',
    portsPerNetworkInterface: 1024,
    networkRef: { name: net },
  },
});

const causesOf = (body: Body) =>
  (body.details?.causes ?? []).map((c: { field: string; reason: string }) => [c.field, c.reason]);

describe('per-network VNIs and addresses', () => {
  const names = testNatsNames('claims');
  let api: TestApi;
  let replica: TestApi;
  let nc: NatsConnection;

  beforeAll(async () => {
    api = await startTestApi('network_claims', {
      env: { NATS_SUBJECT_PREFIX: names.prefix, NATS_STREAM: names.stream },
    });
    replica = await startTestApi('network_claims_replica', { shareDatabaseOf: api });
    const listener = api.app.get(InboundListener);
    await eventually(() => listener.listening, { what: 'the inbound subscriptions' });
    nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  });

  afterAll(async () => {
    await nc?.close();
    await replica?.close();
    await api?.close();
  });

  const url = (ns: string, plural: string, name = '') =>
    `${API}/namespaces/${ns}/${plural}${name ? `/${name}` : ''}`;
  const post = (base: string, ns: string, plural: string, body: Body) =>
    request(base).post(url(ns, plural)).send(body);

  /** The oracle: the VNI of every live Network, read from the API, must be distinct. */
  async function liveVnis(): Promise<Map<number, string>> {
    const list = await request(api.url).get(`${API}/networks`);
    const seen = new Map<number, string>();
    for (const item of list.body.items as Body[]) {
      const vni = item.status.vni as number;
      const who = `${item.metadata.namespace}/${item.metadata.name}`;
      expect([who, Number.isInteger(vni) && vni >= MIN_VNI && vni <= MAX_VNI]).toEqual([who, true]);
      expect([who, item.spec.vni]).toEqual([who, vni]);
      if (seen.has(vni)) throw new Error(`VNI ${vni} held by ${seen.get(vni)} and ${who}`);
      seen.set(vni, who);
    }
    return seen;
  }

  /** What the allocator appends once a NIC being deleted holds nothing: one reconcile of its network. */
  function allocator(): ReconcileNetwork {
    return testAllocator(api, { minPublicIPs: 1, maxPublicIPs: 4 });
  }

  describe('VNIs', () => {
    it('gives every Network a VNI in range, in spec and status, shown in the table', async () => {
      const res = await post(api.url, 'vni-a', 'networks', network('net'));
      expect(res.status).toBe(201);
      const vni = res.body.status.vni;
      expect(Number.isInteger(vni) && vni >= MIN_VNI && vni <= MAX_VNI).toBe(true);
      expect(res.body.spec).toEqual({ vni });
      const events = await api.store.readStream(`vni:${vni}`);
      expect(events.map((e) => [e.type, e.data])).toEqual([
        [
          'NetworkVNIClaimed',
          { vni, networkUid: res.body.metadata.uid, namespace: 'vni-a', name: 'net' },
        ],
      ]);
      const [created] = await api.store.readStream('network:vni-a/net');
      expect(events[0].transactionId).toBe(created.transactionId);

      const table = await request(api.url).get(url('vni-a', 'networks')).set('Accept', TABLE);
      expect(table.status).toBe(200);
      const names = table.body.columnDefinitions.map((c: Body) => c.name);
      expect(names).toEqual(['Name', 'VNI', 'Age']);
      expect(table.body.rows[0].cells.slice(0, 2)).toEqual(['net', vni]);
    });

    it('keeps the VNI: PUT without spec.vni keeps it, a changed spec.vni is 422 field is immutable', async () => {
      const created = await post(api.url, 'vni-b', 'networks', network('net'));
      const vni = created.body.status.vni as number;
      const put = await request(api.url)
        .put(url('vni-b', 'networks', 'net'))
        .send({ ...network('net'), metadata: { name: 'net', labels: { a: 'b' } } });
      expect(put.status).toBe(200);
      expect([put.body.spec.vni, put.body.status.vni]).toEqual([vni, vni]);
      const other = vni === MAX_VNI ? vni - 1 : vni + 1;
      for (const res of [
        await request(api.url)
          .put(url('vni-b', 'networks', 'net'))
          .send(network('net', { vni: other })),
        await request(api.url)
          .patch(url('vni-b', 'networks', 'net'))
          .set('Content-Type', 'application/merge-patch+json')
          .send({ spec: { vni: other } }),
      ]) {
        expect(res.status).toBe(422);
        expect(res.body.details.causes).toEqual([
          {
            field: 'spec.vni',
            reason: 'FieldValueForbidden',
            message: 'Forbidden: field is immutable',
          },
        ]);
      }
      expect((await request(api.url).get(url('vni-b', 'networks', 'net'))).body.status.vni).toBe(
        vni,
      );
    });

    it('takes a pinned VNI, and refuses one another live Network holds (422 naming spec.vni)', async () => {
      const pinned = await post(api.url, 'vni-c', 'networks', network('pinned', { vni: 4242 }));
      expect(pinned.status).toBe(201);
      expect(pinned.body.status.vni).toBe(4242);
      // Another namespace, the other api-gateway: the VNI is unique among all live Networks.
      const taken = await post(replica.url, 'vni-c2', 'networks', network('again', { vni: 4242 }));
      expect(taken.status).toBe(422);
      expect(causesOf(taken.body)).toEqual([['spec.vni', 'FieldValueDuplicate']]);
      expect(taken.body.message).not.toContain('vni-c/'); // does not reveal the other namespace
      expect((await request(api.url).get(url('vni-c2', 'networks', 'again'))).status).toBe(404);
      // Free again once the holder is deleted (it has no referrers).
      expect((await request(api.url).delete(url('vni-c', 'networks', 'pinned'))).status).toBe(200);
      const reused = await post(replica.url, 'vni-c2', 'networks', network('again', { vni: 4242 }));
      expect(reused.status).toBe(201);
      expect((await api.store.readStream('vni:4242')).map((e) => e.type)).toEqual([
        'NetworkVNIClaimed',
        'NetworkVNIReleased',
        'NetworkVNIClaimed',
      ]);
    });

    it('gives 30 Networks created at once through two api-gateways distinct VNIs', async () => {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          post(i % 2 === 0 ? api.url : replica.url, 'vni-burst', 'networks', network(`n-${i}`)),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
      const vnis = new Set(results.map((r) => r.body.status.vni as number));
      expect(vnis.size).toBe(30);
      await liveVnis();
    });

    it('of two api-gateways racing for one pinned VNI, exactly one wins, every time', async () => {
      for (let round = 0; round < 8; round++) {
        const vni = 9000 + round;
        const [a, b] = await Promise.all([
          post(api.url, 'vni-race', 'networks', network(`a-${round}`, { vni })),
          post(replica.url, 'vni-race', 'networks', network(`b-${round}`, { vni })),
        ]);
        expect([a.status, b.status].sort()).toEqual([201, 422]);
        const loser = a.status === 422 ? a : b;
        expect(causesOf(loser.body)).toEqual([['spec.vni', 'FieldValueDuplicate']]);
      }
      await liveVnis();
    });

    it('two allocators repairing one Network older than VNIs give it exactly one VNI', async () => {
      for (let round = 0; round < 5; round++) {
        const name = `old-${round}`;
        await api.store.append(
          `network:legacy-race/${name}`,
          [
            {
              type: 'NetworkCreated',
              data: {
                uid: `c1b2c3d4-0000-4000-8000-00000000000${round}`,
                namespace: 'legacy-race',
                name,
                labels: {},
                annotations: {},
                finalizers: [],
                spec: {},
                generation: 1,
                creationTimestamp: '2026-01-01T00:00:00Z',
              },
            },
          ],
          { expectedVersion: 'no-stream' },
        );
        await eventually(
          async () =>
            (await request(api.url).get(url('legacy-race', 'networks', name))).status === 200,
          { what: `${name} in the read model` },
        );
        // The loser retries on the winner's state, or gives up to a later trigger: either way
        // the Network ends with one VNI, claimed once.
        await Promise.allSettled([
          allocator().run({ namespace: 'legacy-race', network: name }),
          allocator().run({ namespace: 'legacy-race', network: name }),
        ]);
        const events = await api.store.readStream(`network:legacy-race/${name}`);
        expect(events.map((e) => e.type)).toEqual(['NetworkCreated', 'NetworkUpdated']);
        const vni = (events[1].data as Body).spec.vni as number;
        const claims = await api.store.readStream(`vni:${vni}`);
        expect(claims.map((e) => [e.type, (e.data as Body).name])).toEqual([
          ['NetworkVNIClaimed', name],
        ]);
        expect(claims[0].transactionId).toBe(events[1].transactionId);
      }
      await eventually(async () => (await liveVnis()).size > 0, { what: 'distinct VNIs' });
    });

    it('a gateway whose Network does not exist gives no NIC a slot, until the Network (and its VNI) exists', async () => {
      const gw = await post(api.url, 'novni', 'natgateways', gateway('gw', 'net'));
      await post(api.url, 'novni', 'networkinterfaces', nic('vm-1', 'net', ['10.0.0.5']));
      await seedTestPool(api, ['198.51.100.0/30']);
      const reconciler = allocator();
      await reconciler.run({ namespace: 'novni', network: 'net' });
      const slotsOf = async () =>
        (await api.store.readStream(allocationStreamId(gw.body.metadata.uid))).filter(
          (e) => e.type === 'NATSlotAssigned',
        );
      expect(await slotsOf()).toEqual([]);
      const net = await post(api.url, 'novni', 'networks', network('net'));
      await reconciler.run({ namespace: 'novni', network: 'net' });
      expect((await slotsOf()).map((e) => (e.data as Body).vni)).toEqual([net.body.status.vni]);
    });

    it('a Network older than VNIs gets one from the allocator; its gateway slots carry it', async () => {
      // A Network, gateway and NIC as they were stored before Networks had VNIs.
      const uid = 'a1b2c3d4-0000-4000-8000-000000000001';
      await api.store.append(
        'network:legacy/net',
        [
          {
            type: 'NetworkCreated',
            data: {
              uid,
              namespace: 'legacy',
              name: 'net',
              labels: {},
              annotations: {},
              finalizers: [],
              spec: {},
              generation: 1,
              creationTimestamp: '2026-01-01T00:00:00Z',
            },
          },
        ],
        { expectedVersion: 'no-stream' },
      );
      const gw = await post(api.url, 'legacy', 'natgateways', gateway('gw', 'net'));
      const n1 = await post(
        api.url,
        'legacy',
        'networkinterfaces',
        nic('vm-1', 'net', ['10.0.0.5']),
      );
      expect([gw.status, n1.status]).toEqual([201, 201]);
      const gwUid = gw.body.metadata.uid as string;
      // A slot recorded before VNIs: no vni.
      await api.store.append(allocationStreamId(gwUid), [
        { type: 'NATGatewayIPAssigned', data: { gatewayUid: gwUid, ip: '198.51.100.1' } },
        {
          type: 'NATSlotAssigned',
          data: {
            gatewayUid: gwUid,
            nicUid: n1.body.metadata.uid,
            nicName: 'vm-1',
            namespace: 'legacy',
            privateIp: '10.0.0.5',
            nodeName: 'node-1',
            ip: '198.51.100.1',
            port: 1024,
            endPort: 2047,
          },
        },
      ]);
      const reconciler = allocator();
      await seedTestPool(api, ['198.51.100.0/30']);
      await eventually(
        async () =>
          (await request(api.url).get(url('legacy', 'natgateways', 'gw'))).status === 200 &&
          (await request(api.url).get(url('legacy', 'networks', 'net'))).status === 200,
        { what: 'the legacy objects in the read model' },
      );
      await reconciler.run({ namespace: 'legacy', network: 'net' });
      const repaired = await eventually(
        async () => {
          const res = await request(api.url).get(url('legacy', 'networks', 'net'));
          return typeof res.body.status?.vni === 'number' ? res.body : undefined;
        },
        { what: 'the legacy Network to get a VNI' },
      );
      const vni = repaired.status.vni as number;
      expect(repaired.spec.vni).toBe(vni);
      await liveVnis();
      // The slot without a VNI was re-assigned, same ports, with the VNI.
      const slots = (await api.store.readStream(allocationStreamId(gwUid))).filter((e) =>
        e.type.startsWith('NATSlot'),
      );
      expect(slots.map((e) => [e.type, (e.data as Body).port, (e.data as Body).vni])).toEqual([
        ['NATSlotAssigned', 1024, undefined],
        ['NATSlotReleased', 1024, undefined],
        ['NATSlotAssigned', 1024, vni],
      ]);
      expect((slots[1].data as Body).reason).toBe('NetworkInterfaceUpdated');
      // Every slot of a new NIC carries the VNI too.
      await post(api.url, 'legacy', 'networkinterfaces', nic('vm-2', 'net', ['10.0.0.6']));
      await eventually(
        async () =>
          (await request(api.url).get(url('legacy', 'networkinterfaces', 'vm-2'))).status === 200,
        { what: 'vm-2 in the read model' },
      );
      await reconciler.run({ namespace: 'legacy', network: 'net' });
      const all = (await api.store.readStream(allocationStreamId(gwUid))).filter(
        (e: RecordedEvent) => e.type === 'NATSlotAssigned',
      );
      expect(all.slice(1).map((e) => [(e.data as Body).nicName, (e.data as Body).vni])).toEqual([
        ['vm-1', vni],
        ['vm-2', vni],
      ]);
      // A second run changes nothing: the VNI is stable.
      expect((await reconciler.run({ namespace: 'legacy', network: 'net' })).appended).toBe(0);
    });
  });

  it('documents spec.vni in the OpenAPI document (bounds, for kubectl explain)', async () => {
    const doc = (await request(api.url).get('/openapi.json')).body;
    expect(doc.components.schemas.NetworkSpec.properties.vni).toMatchObject({
      type: 'integer',
      minimum: MIN_VNI,
      maximum: MAX_VNI,
    });
    expect(doc.components.schemas.NetworkStatus.properties.vni).toMatchObject({ type: 'integer' });
  });

  it('status.vni is a function of the log: a projection rebuild gives every Network the same VNI', async () => {
    const before = await liveVnis();
    expect(before.size).toBeGreaterThan(30);
    await rebuildProjection(api.dataSource, api.store, new ResourceProjection());
    await eventually(
      async () => {
        const after = await liveVnis();
        return [...after].sort().join() === [...before].sort().join() ? after : undefined;
      },
      { what: 'the same VNIs after the rebuild' },
    );
  });

  describe('private addresses are unique per network', () => {
    it('refuses a duplicate in one network (422 naming spec.ips[i]) and accepts it in another', async () => {
      expect(
        (
          await post(
            api.url,
            'addr',
            'networkinterfaces',
            nic('a', 'net-1', ['10.0.0.5', 'fd00::5']),
          )
        ).status,
      ).toBe(201);
      const dup = await post(
        replica.url,
        'addr',
        'networkinterfaces',
        nic('b', 'net-1', ['10.0.0.9', 'fd00:0000::0005']),
      );
      expect(dup.status).toBe(422);
      expect(causesOf(dup.body)).toEqual([['spec.ips[1]', 'FieldValueDuplicate']]);
      expect(dup.body.details.causes[0].message).toContain('NetworkInterface "a"');
      // Nothing of the refused create is stored, not even its free address.
      expect(await api.store.readStream('networkaddress:addr/net-1/10.0.0.9')).toEqual([]);
      const other = await post(
        api.url,
        'addr',
        'networkinterfaces',
        nic('c', 'net-2', ['10.0.0.5', 'fd00::5']),
      );
      expect(other.status).toBe(201);
    });

    it('a create repeated after it committed (its answer lost) is 409 AlreadyExists, not a clash with itself', async () => {
      const body = nic('again', 'net-1', ['10.0.0.77']);
      expect((await post(api.url, 'retry', 'networkinterfaces', body)).status).toBe(201);
      const repeated = await post(replica.url, 'retry', 'networkinterfaces', body);
      expect(repeated.status).toBe(409);
      expect(repeated.body.reason).toBe('AlreadyExists');
      // Another name with the same address is still the clash it is.
      const other = await post(api.url, 'retry', 'networkinterfaces', {
        ...body,
        metadata: { name: 'other' },
      });
      expect(other.status).toBe(422);
    });

    it('of 12 concurrent creates of one address in one network, exactly one wins', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          post(
            i % 2 ? api.url : replica.url,
            'race',
            'networkinterfaces',
            nic(`n-${i}`, 'net', ['10.1.0.7']),
          ),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 422)).toHaveLength(11);
      for (const r of results.filter((x) => x.status === 422))
        expect(causesOf(r.body)).toEqual([['spec.ips[0]', 'FieldValueDuplicate']]);
      const list = await request(api.url).get(url('race', 'networkinterfaces'));
      expect(list.body.items).toHaveLength(1);
    });

    it('an update claims the new address and frees the old one, atomically', async () => {
      await post(api.url, 'upd', 'networkinterfaces', nic('a', 'net', ['10.2.0.1']));
      await post(api.url, 'upd', 'networkinterfaces', nic('b', 'net', ['10.2.0.2']));
      const clash = await request(api.url)
        .patch(url('upd', 'networkinterfaces', 'b'))
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { ips: ['10.2.0.1'] } });
      expect(clash.status).toBe(422);
      expect(causesOf(clash.body)).toEqual([['spec.ips[0]', 'FieldValueDuplicate']]);
      const moved = await request(api.url)
        .put(url('upd', 'networkinterfaces', 'a'))
        .send(nic('a', 'net', ['10.2.0.3']));
      expect(moved.status).toBe(200);
      const taken = await request(api.url)
        .patch(url('upd', 'networkinterfaces', 'b'))
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { ips: ['10.2.0.1'] } });
      expect(taken.status).toBe(200);
      const update = (await api.store.readStream('networkinterface:upd/a'))[1];
      const released = (await api.store.readStream('networkaddress:upd/net/10.2.0.1'))[1];
      const claimed = (await api.store.readStream('networkaddress:upd/net/10.2.0.3'))[0];
      expect([released.type, claimed.type]).toEqual([
        'NetworkInterfaceAddressReleased',
        'NetworkInterfaceAddressClaimed',
      ]);
      expect([released.transactionId, claimed.transactionId]).toEqual([
        update.transactionId,
        update.transactionId,
      ]);
    });

    it('keeps the address while the NIC is being deleted, frees it at the final delete', async () => {
      const first = await post(api.url, 'del', 'networkinterfaces', nic('a', 'net', ['10.3.0.1']));
      expect((await request(api.url).delete(url('del', 'networkinterfaces', 'a'))).status).toBe(
        200,
      );
      const early = await post(api.url, 'del', 'networkinterfaces', nic('b', 'net', ['10.3.0.1']));
      expect(early.status).toBe(422);
      await allocator().run({ namespace: 'del', network: 'net' });
      await eventually(
        async () =>
          (await request(api.url).get(url('del', 'networkinterfaces', 'a'))).status === 404,
        { what: 'the NIC to be finalized' },
      );
      const finalEvents = await api.store.readStream('networkinterface:del/a');
      const release = (await api.store.readStream('networkaddress:del/net/10.3.0.1'))[1];
      expect(release.type).toBe('NetworkInterfaceAddressReleased');
      expect(release.data).toMatchObject({ nicUid: first.body.metadata.uid });
      expect(release.transactionId).toBe(finalEvents[finalEvents.length - 1].transactionId);
      const again = await post(api.url, 'del', 'networkinterfaces', nic('a', 'net', ['10.3.0.1']));
      expect(again.status).toBe(201);
    });

    it('NICs from before address claims get theirs with their next spec change; old duplicates are left alone', async () => {
      // Two NICs stored before address claims existed, with one address in one network.
      for (const [n, name] of [
        [1, 'old-1'],
        [2, 'old-2'],
      ] as const) {
        await api.store.append(
          `networkinterface:legacy-addr/${name}`,
          [
            {
              type: 'NetworkInterfaceCreated',
              data: {
                uid: `b1b2c3d4-0000-4000-8000-00000000000${n}`,
                namespace: 'legacy-addr',
                name,
                labels: {},
                annotations: {},
                finalizers: ['natgw.ironcore.dev/allocation'],
                spec: { networkRef: { name: 'net' }, ips: ['10.6.0.1'], nodeName: 'node-1' },
                generation: 1,
                creationTimestamp: '2026-01-01T00:00:00Z',
              },
            },
          ],
          { expectedVersion: 'no-stream' },
        );
      }
      await eventually(
        async () =>
          (await request(api.url).get(url('legacy-addr', 'networkinterfaces', 'old-2'))).status ===
          200,
        { what: 'the old NICs in the read model' },
      );
      const move = (name: string) =>
        request(api.url)
          .patch(url('legacy-addr', 'networkinterfaces', name))
          .set('Content-Type', 'application/merge-patch+json')
          .send({ spec: { nodeName: 'node-2' } });
      expect((await move('old-1')).status).toBe(200);
      expect((await move('old-2')).status).toBe(200); // the old duplicate does not block it
      const claims = await api.store.readStream('networkaddress:legacy-addr/net/10.6.0.1');
      expect(claims.map((e) => [e.type, (e.data as Body).nicName])).toEqual([
        ['NetworkInterfaceAddressClaimed', 'old-1'],
      ]);
      const fresh = await post(
        api.url,
        'legacy-addr',
        'networkinterfaces',
        nic('new', 'net', ['10.6.0.1']),
      );
      expect(fresh.status).toBe(422);
    });

    it('spec.networkRef of a NetworkInterface is immutable (422 FieldValueForbidden)', async () => {
      await post(api.url, 'ref', 'networkinterfaces', nic('a', 'net', ['10.4.0.1']));
      const put = await request(api.url)
        .put(url('ref', 'networkinterfaces', 'a'))
        .send(nic('a', 'other', ['10.4.0.1']));
      const patch = await request(api.url)
        .patch(url('ref', 'networkinterfaces', 'a'))
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { networkRef: { name: 'other' } } });
      for (const res of [put, patch]) {
        expect(res.status).toBe(422);
        expect(res.body.details.causes).toEqual([
          {
            field: 'spec.networkRef',
            reason: 'FieldValueForbidden',
            message: 'Forbidden: field is immutable',
          },
        ]);
      }
    });

    describe('over the inbound NATS subject', () => {
      async function upsert(object: Body, messageId?: string) {
        const h = natsHeaders();
        if (messageId) h.set('Nats-Msg-Id', messageId);
        const msg = await nc.request(
          `${names.prefix}.inbound.networkinterfaces.upsert`,
          JSON.stringify({
            object: { ...object, metadata: { ...object.metadata, namespace: 'nats' } },
          }),
          { timeout: 20_000, headers: h },
        );
        return { code: Number(msg.headers?.get('Natgw-Status-Code')), body: msg.json<Body>() };
      }

      it('refuses a duplicate address in one network and a networkRef change, naming the field', async () => {
        expect((await upsert(nic('a', 'net', ['10.5.0.1']), 'claims-1')).code).toBe(200);
        const dup = await upsert(nic('b', 'net', ['10.5.0.1']), 'claims-2');
        expect(dup.code).toBe(422);
        expect(causesOf(dup.body as Status as Body)).toEqual([
          ['spec.ips[0]', 'FieldValueDuplicate'],
        ]);
        expect((await upsert(nic('c', 'net-2', ['10.5.0.1']), 'claims-3')).code).toBe(200);
        const moved = await upsert(nic('a', 'net-2', ['10.5.0.9']), 'claims-4');
        expect(moved.code).toBe(422);
        expect(causesOf(moved.body)).toEqual([['spec.networkRef', 'FieldValueForbidden']]);
        // An update that changes the address releases the old one, idempotently by message id.
        expect((await upsert(nic('a', 'net', ['10.5.0.2']), 'claims-5')).code).toBe(200);
        expect((await upsert(nic('a', 'net', ['10.5.0.2']), 'claims-5')).code).toBe(200);
        expect((await upsert(nic('b', 'net', ['10.5.0.1']), 'claims-6')).code).toBe(200);
        const claims = await api.store.readStream('networkaddress:nats/net/10.5.0.1');
        expect(claims.map((e) => [e.type, (e.data as Body).nicName])).toEqual([
          ['NetworkInterfaceAddressClaimed', 'a'],
          ['NetworkInterfaceAddressReleased', 'a'],
          ['NetworkInterfaceAddressClaimed', 'b'],
        ]);
      });
    });
  });

  describe('pool claims', () => {
    it('new gateways reconciled at once by one allocator wait their turn for the pool instead of losing races, and each holds its own claimed IP', async () => {
      const ns = 'pool-turns';
      const count = 10;
      const uids: string[] = [];
      for (let i = 0; i < count; i++) {
        expect((await post(api.url, ns, 'networks', network(`net-${i}`))).status).toBe(201);
        const vm = nic(`vm-${i}`, `net-${i}`, ['10.0.0.5']);
        expect((await post(api.url, ns, 'networkinterfaces', vm)).status).toBe(201);
        const gw = await post(api.url, ns, 'natgateways', gateway(`gw-${i}`, `net-${i}`));
        expect(gw.status).toBe(201);
        uids.push(gw.body.metadata.uid as string);
      }
      await seedTestPool(api, ['198.51.100.64/28']);
      const reconciler = allocator();
      let poolRaces = 0;
      const append = api.store.append.bind(api.store);
      const spy = jest.spyOn(api.store, 'append').mockImplementation(async (...args) => {
        try {
          return await append(...args);
        } catch (err) {
          if (err instanceof ConcurrencyError && err.streamId.startsWith('ippool:')) poolRaces++;
          throw err;
        }
      });
      try {
        await Promise.all(
          uids.map((_, i) => reconciler.run({ namespace: ns, network: `net-${i}` })),
        );
      } finally {
        spy.mockRestore();
      }
      expect(poolRaces).toBe(0);
      // The oracle, from the log: one claim per gateway, distinct addresses, and each
      // gateway's slot is on the address it claimed.
      const claims = (await api.store.readStream('ippool:default'))
        .filter((e) => e.type === 'PublicIPClaimed')
        .map((e) => e.data as { ip: string; gatewayUid: string })
        .filter((c) => uids.includes(c.gatewayUid));
      expect(claims).toHaveLength(count);
      expect(new Set(claims.map((c) => c.ip)).size).toBe(count);
      for (const uid of uids) {
        const slots = (await api.store.readStream(allocationStreamId(uid))).filter(
          (e) => e.type === 'NATSlotAssigned',
        );
        const claimed = claims.find((c) => c.gatewayUid === uid)?.ip;
        expect([uid, slots.map((e) => (e.data as Body).ip)]).toEqual([uid, [claimed]]);
      }
    });
  });
});
