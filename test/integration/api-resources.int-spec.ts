import request from 'supertest';
import { RecordedEvent } from '@natgw/contracts';
import {
  NAT_TABLE_SUBRESOURCE,
  StatusApplierRegistration,
  StoredResource,
} from '@natgw/projections';
import { eventually } from '@natgw/testing';
import { API, openWatch, SEED_YAML, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(120_000);

/**
 * A stand-in for the allocator's status applier: an `allocation:<gateway uid>`
 * event that carries the status to show, written through the projection's
 * extension point exactly as the real appliers do.
 */
const FAKE_ALLOCATION: StatusApplierRegistration = {
  name: 'fake-allocation',
  eventTypes: ['FakeAllocationRecorded'],
  apply: async (event: RecordedEvent, ctx) => {
    const data = event.data as {
      gatewayUid: string;
      ips: string[];
      slots: Array<{ nicUid: string; ip: string; port: number; endPort: number }>;
    };
    const gateway = await ctx.findByUid(data.gatewayUid);
    if (!gateway) return;
    // One transaction, one connection: the context's calls run one after the other.
    const nics: Array<StoredResource | undefined> = [];
    for (const slot of data.slots) nics.push(await ctx.findByUid(slot.nicUid));
    await ctx.updateStatus(gateway, (status, object) => ({
      ...status,
      ips: data.ips.map((ip, i) => ({ name: `ip-${i}`, ip })),
      observedGeneration: object.metadata.generation,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Allocated',
          message: 'every eligible NIC has a slot',
          observedGeneration: object.metadata.generation,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
      requestedNICs: data.slots.length,
      usedSlots: data.slots.length,
      totalSlots: data.ips.length * 1008,
    }));
    for (const [i, slot] of data.slots.entries()) {
      const nic = nics[i];
      if (!nic) continue;
      await ctx.updateStatus(nic, () => ({
        nat: [
          {
            ipFamily: 'IPv4',
            natGatewayRef: { name: gateway.name },
            ip: slot.ip,
            port: slot.port,
            endPort: slot.endPort,
          },
        ],
      }));
    }
    // Deliberately unsorted: the API sorts IPs by address and sections by port.
    await ctx.setSubresource(gateway, NAT_TABLE_SUBRESOURCE, {
      ips: [...data.ips].reverse().map((ip) => ({
        ip,
        sections: data.slots
          .map((s, i) => ({ s, nic: nics[i] }))
          .filter(({ s }) => s.ip === ip)
          .reverse()
          .map(({ s, nic }) => ({
            ip: (nic?.object.spec as { ips: string[] }).ips[0],
            port: s.port,
            endPort: s.endPort,
            targetRef: { name: nic?.name, uid: nic?.uid, nodeName: 'node-1' },
          })),
      })),
    });
  },
};

const gateway = (name: string, network = 'net') => ({
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NATGateway',
  metadata: { name },
  spec: {
    type: 'Public',
    ipFamily: 'IPv4',
    portsPerNetworkInterface: 64,
    networkRef: { name: network },
  },
});
const nic = (name: string, ip: string, network = 'net') => ({
  metadata: { name },
  spec: { networkRef: { name: network }, ips: [ip], nodeName: 'node-1' },
});

describe('api-gateway resources', () => {
  let api: TestApi;
  const http = () => request(api.url);

  beforeAll(async () => {
    api = await startTestApi('api_resources', { statusAppliers: [FAKE_ALLOCATION] });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('takes the seed manifest verbatim as YAML and gives it back with defaults and metadata', async () => {
    const created = await http()
      .post(`${API}/namespaces/default/natgateways`)
      .set('Content-Type', 'application/yaml')
      .set('X-Correlation-Id', 'seed-round-trip')
      .send(SEED_YAML);
    expect(created.status).toBe(201);
    const got = await http().get(`${API}/namespaces/default/natgateways/natgateway-sample`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    expect(Object.keys(got.body)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(got.body).toEqual({
      apiVersion: 'networking.ironcore.dev/v1alpha1',
      kind: 'NATGateway',
      metadata: {
        name: 'natgateway-sample',
        namespace: 'default',
        uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        resourceVersion: expect.stringMatching(/^[1-9][0-9]*$/),
        generation: 1,
        creationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        finalizers: ['natgw.ironcore.dev/allocation'],
        // The creating request owns what it set (server-side apply's field ownership).
        managedFields: [
          {
            manager: 'unknown',
            operation: 'Update',
            apiVersion: 'networking.ironcore.dev/v1alpha1',
            time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            fieldsType: 'FieldsV1',
            fieldsV1: {
              'f:spec': {
                'f:ipFamily': {},
                'f:networkRef': { 'f:name': {} },
                'f:portsPerNetworkInterface': {},
                'f:type': {},
              },
            },
          },
        ],
      },
      spec: {
        type: 'Public',
        ipFamily: 'IPv4',
        portsPerNetworkInterface: 64,
        networkRef: { name: 'network-sample' },
      },
      status: {
        ips: [],
        conditions: [
          expect.objectContaining({
            type: 'Ready',
            status: 'False',
            reason: 'Pending',
            observedGeneration: 1,
          }),
        ],
        requestedNICs: 0,
        usedSlots: 0,
        totalSlots: 0,
      },
    });
    const events = await api.store.readStream('natgateway:default/natgateway-sample');
    expect(events.map((e) => e.type)).toEqual(['NATGatewayCreated']);
    expect(events[0].data).toMatchObject({
      uid: got.body.metadata.uid,
      generation: 1,
      spec: got.body.spec,
    });
    expect(events[0].metadata).toEqual({
      correlationId: 'seed-round-trip',
      actor: 'system:anonymous',
      source: '/natgw/api-gateway',
    });
    const again = await http()
      .post(`${API}/namespaces/default/natgateways`)
      .set('Content-Type', 'application/yaml')
      .send(SEED_YAML);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409 });
  });

  it('PUT bumps generation on spec changes only, ignores status, and stores nothing for a no-op', async () => {
    const created = (
      await http().post(`${API}/namespaces/default/natgateways`).send(gateway('put-gw'))
    ).body;
    const relabeled = await http()
      .put(`${API}/namespaces/default/natgateways/put-gw`)
      .send({
        ...created,
        metadata: { ...created.metadata, labels: { tier: 'edge' } },
        status: { ips: [{ name: 'x', ip: '1.2.3.4' }] },
      });
    expect(relabeled.status).toBe(200);
    expect(relabeled.body.metadata.labels).toEqual({ tier: 'edge' });
    expect(relabeled.body.metadata.generation).toBe(1);
    expect(relabeled.body.status.ips).toEqual([]);
    expect(BigInt(relabeled.body.metadata.resourceVersion)).toBeGreaterThan(
      BigInt(created.metadata.resourceVersion),
    );
    const resized = await http()
      .put(`${API}/namespaces/default/natgateways/put-gw`)
      .send({ ...relabeled.body, spec: { ...relabeled.body.spec, portsPerNetworkInterface: 128 } });
    expect(resized.body.metadata.generation).toBe(2);
    expect(resized.body.spec.portsPerNetworkInterface).toBe(128);
    const noop = await http()
      .put(`${API}/namespaces/default/natgateways/put-gw`)
      .send(resized.body);
    expect(noop.status).toBe(200);
    expect(noop.body.metadata.resourceVersion).toBe(resized.body.metadata.resourceVersion);
    const events = await api.store.readStream('natgateway:default/put-gw');
    // managedFields come along when the writer's entry changed (its time is in seconds).
    const withoutManaged = ({ managedFields: _m, ...rest }: Record<string, unknown>) => rest;
    expect(events.map((e) => [e.type, withoutManaged(e.data as Record<string, unknown>)])).toEqual([
      ['NATGatewayCreated', expect.anything()],
      ['NATGatewayUpdated', { uid: created.metadata.uid, generation: 1, labels: { tier: 'edge' } }],
      ['NATGatewayUpdated', { uid: created.metadata.uid, generation: 2, spec: resized.body.spec }],
    ]);
    const missing = await http()
      .put(`${API}/namespaces/default/natgateways/nope`)
      .send(gateway('nope'));
    expect(missing.status).toBe(404);
  });

  it('PATCH takes JSON merge patches and JSON patches', async () => {
    await http().post(`${API}/namespaces/default/natgateways`).send(gateway('patch-gw'));
    const merged = await http()
      .patch(`${API}/namespaces/default/natgateways/patch-gw`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({
        metadata: { labels: { a: '1', hasOwnProperty: 'x' } },
        spec: { portsPerNetworkInterface: 256 },
      });
    expect(merged.status).toBe(200);
    expect(merged.body.metadata.labels).toEqual({ a: '1', hasOwnProperty: 'x' });
    expect(merged.body.spec.portsPerNetworkInterface).toBe(256);
    const unlabeled = await http()
      .patch(`${API}/namespaces/default/natgateways/patch-gw`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { hasOwnProperty: null } } });
    expect(unlabeled.body.metadata.labels).toEqual({ a: '1' });
    const jsonPatched = await http()
      .patch(`${API}/namespaces/default/natgateways/patch-gw`)
      .set('Content-Type', 'application/json-patch+json')
      .send([
        { op: 'test', path: '/spec/portsPerNetworkInterface', value: 256 },
        { op: 'replace', path: '/spec/portsPerNetworkInterface', value: 512 },
        { op: 'add', path: '/metadata/annotations', value: { note: 'hi' } },
      ]);
    expect(jsonPatched.status).toBe(200);
    expect(jsonPatched.body.spec.portsPerNetworkInterface).toBe(512);
    expect(jsonPatched.body.metadata.annotations).toEqual({ note: 'hi' });
    const failedTest = await http()
      .patch(`${API}/namespaces/default/natgateways/patch-gw`)
      .set('Content-Type', 'application/json-patch+json')
      .send([{ op: 'test', path: '/spec/portsPerNetworkInterface', value: 1 }]);
    expect([failedTest.status, failedTest.body.reason]).toEqual([422, 'Invalid']);
    const malformed = await http()
      .patch(`${API}/namespaces/default/natgateways/patch-gw`)
      .set('Content-Type', 'application/json-patch+json')
      .send([{ op: 'explode', path: '/spec' }]);
    expect([malformed.status, malformed.body.reason]).toEqual([400, 'BadRequest']);
    const invalid = await http()
      .patch(`${API}/namespaces/default/natgateways/patch-gw`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { portsPerNetworkInterface: 3 } });
    expect(invalid.status).toBe(422);
    const serverSide = await http()
      .patch(`${API}/namespaces/default/natgateways/patch-gw`)
      .set('Content-Type', 'application/apply-patch+yaml')
      .send('spec: {}');
    expect(serverSide.status).toBe(400);
    expect(serverSide.body.message).toBe('fieldManager is required for apply requests');
    const cbor = await http()
      .patch(`${API}/namespaces/default/natgateways/patch-gw?fieldManager=x`)
      .set('Content-Type', 'application/apply-patch+cbor')
      .send('x');
    expect(cbor.status).toBe(415);
    const stale = await http()
      .patch(`${API}/namespaces/default/natgateways/patch-gw`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { resourceVersion: '1', labels: { b: '2' } } });
    expect([stale.status, stale.body.reason]).toEqual([409, 'Conflict']);
  });

  it('dryRun=All validates and defaults without storing anything', async () => {
    const body = gateway('dry-gw');
    delete (body.spec as Record<string, unknown>).portsPerNetworkInterface;
    const dry = await http().post(`${API}/namespaces/default/natgateways?dryRun=All`).send(body);
    expect(dry.status).toBe(201);
    expect(dry.body.spec.portsPerNetworkInterface).toBe(2048);
    expect((await http().get(`${API}/namespaces/default/natgateways/dry-gw`)).status).toBe(404);
    expect(await api.store.streamVersion('natgateway:default/dry-gw')).toBe(0);
    await http().post(`${API}/namespaces/default/natgateways`).send(body);
    const before = await api.store.streamVersion('natgateway:default/dry-gw');
    const dryPatch = await http()
      .patch(`${API}/namespaces/default/natgateways/dry-gw?dryRun=All`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { portsPerNetworkInterface: 64 } });
    expect(dryPatch.body.spec.portsPerNetworkInterface).toBe(64);
    const dryDelete = await http().delete(
      `${API}/namespaces/default/natgateways/dry-gw?dryRun=All`,
    );
    expect(dryDelete.body.metadata.deletionTimestamp).toBeDefined();
    const after = await http().get(`${API}/namespaces/default/natgateways/dry-gw`);
    expect(after.body.spec.portsPerNetworkInterface).toBe(2048);
    expect(after.body.metadata.deletionTimestamp).toBeUndefined();
    expect(await api.store.streamVersion('natgateway:default/dry-gw')).toBe(before);
    expect(
      (await http().post(`${API}/namespaces/default/natgateways?dryRun=Some`).send(body)).status,
    ).toBe(400);
  });

  it('deletes with the allocation finalizer: deletionTimestamp until the allocator appends Deleted, then 404; the name can be reused', async () => {
    const created = (await http().post(`${API}/namespaces/fin/natgateways`).send(gateway('fin-gw')))
      .body;
    const watch = await openWatch(
      api.url,
      `${API}/namespaces/fin/natgateways?watch=true&resourceVersion=${created.metadata.resourceVersion}`,
    );
    const deleting = await http().delete(`${API}/namespaces/fin/natgateways/fin-gw`);
    expect(deleting.status).toBe(200);
    expect(deleting.body.metadata.deletionTimestamp).toMatch(/Z$/);
    expect(deleting.body.metadata.finalizers).toEqual(['natgw.ironcore.dev/allocation']);
    const still = await http().get(`${API}/namespaces/fin/natgateways/fin-gw`);
    expect(still.body.metadata.deletionTimestamp).toBe(deleting.body.metadata.deletionTimestamp);
    const twice = await http().delete(`${API}/namespaces/fin/natgateways/fin-gw`);
    expect(twice.body).toEqual(still.body);
    const taken = await http().post(`${API}/namespaces/fin/natgateways`).send(gateway('fin-gw'));
    expect(taken.status).toBe(409);
    // The allocator, once it released the gateway's IPs and slots:
    const stream = 'natgateway:fin/fin-gw';
    await api.store.append(
      stream,
      [{ type: 'NATGatewayDeleted', data: { uid: created.metadata.uid } }],
      {
        expectedVersion: await api.store.streamVersion(stream),
      },
    );
    await eventually(
      async () => (await http().get(`${API}/namespaces/fin/natgateways/fin-gw`)).status === 404,
      {
        what: 'the gateway to be gone',
      },
    );
    const events = await watch.until((e) => e.some((x) => x.type === 'DELETED'), 'DELETED');
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    watch.close();
    const again = await http().post(`${API}/namespaces/fin/natgateways`).send(gateway('fin-gw'));
    expect(again.status).toBe(201);
    expect(again.body.metadata.uid).not.toBe(created.metadata.uid);
    expect((await api.store.readStream(stream)).map((e) => e.type)).toEqual([
      'NATGatewayCreated',
      'NATGatewayDeletionRequested',
      'NATGatewayDeleted',
      'NATGatewayCreated',
    ]);
  });

  it('refuses to delete a Network while any NATGateway or NetworkInterface references it, even one being deleted (409 naming them)', async () => {
    const net = await http()
      .post(`${API}/namespaces/nets/networks`)
      .send({ metadata: { name: 'net' } });
    const vni = net.body.spec.vni as number;
    const gw = await http().post(`${API}/namespaces/nets/natgateways`).send(gateway('gw-a'));
    const nicA = await http()
      .post(`${API}/namespaces/nets/networkinterfaces`)
      .send(nic('nic-a', '10.0.0.1'));
    const refused = await http().delete(`${API}/namespaces/nets/networks/net`);
    expect(refused.status).toBe(409);
    expect(refused.body.reason).toBe('Conflict');
    expect(refused.body.message).toContain('NATGateway "gw-a"');
    expect(refused.body.message).toContain('NetworkInterface "nic-a"');
    await http().delete(`${API}/namespaces/nets/natgateways/gw-a`);
    await http().delete(`${API}/namespaces/nets/networkinterfaces/nic-a`);
    // Being deleted, they may still hold slots programmed with the network's VNI.
    const terminating = await http().delete(`${API}/namespaces/nets/networks/net`);
    expect(terminating.status).toBe(409);
    expect(terminating.body.message).toContain('NATGateway "gw-a" (being deleted)');
    expect(terminating.body.message).toContain('NetworkInterface "nic-a" (being deleted)');
    // What the allocator appends once it released what they held (no allocator runs here).
    for (const [stream, type, uid] of [
      ['natgateway:nets/gw-a', 'NATGatewayDeleted', gw.body.metadata.uid],
      ['networkinterface:nets/nic-a', 'NetworkInterfaceDeleted', nicA.body.metadata.uid],
    ]) {
      await api.store.append(stream, [{ type, data: { uid } }], { expectedVersion: 2 });
    }
    await eventually(
      async () =>
        (await http().get(`${API}/namespaces/nets/networkinterfaces/nic-a`)).status === 404,
      { what: 'the finalized NIC to be gone from the read model' },
    );
    const deleted = await http().delete(`${API}/namespaces/nets/networks/net`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'net', kind: 'networks' },
    });
    expect((await http().get(`${API}/namespaces/nets/networks/net`)).status).toBe(404);
    expect((await api.store.readStream('network:nets/net')).map((e) => e.type)).toEqual([
      'NetworkCreated',
      'NetworkDeletionRequested',
      'NetworkDeleted',
    ]);
    // The VNI was given back in the same transaction as NetworkDeleted.
    const claims = await api.store.readStream(`vni:${vni}`);
    expect(claims.map((e) => e.type)).toEqual(['NetworkVNIClaimed', 'NetworkVNIReleased']);
    expect(claims[1].transactionId).toBe(
      (await api.store.readStream('network:nets/net'))[2].transactionId,
    );
  });

  it('shows status written through the status-applier extension point: GET, watch MODIFIED and the nattable', async () => {
    const gw = (await http().post(`${API}/namespaces/st/natgateways`).send(gateway('st-gw'))).body;
    const n1 = (
      await http().post(`${API}/namespaces/st/networkinterfaces`).send(nic('nic-1', '10.0.0.1'))
    ).body;
    const n2 = (
      await http().post(`${API}/namespaces/st/networkinterfaces`).send(nic('nic-2', '10.0.0.2'))
    ).body;
    const n3 = (
      await http().post(`${API}/namespaces/st/networkinterfaces`).send(nic('nic-3', '10.0.0.3'))
    ).body;
    const empty = await http().get(`${API}/namespaces/st/natgateways/st-gw/nattable`);
    expect(empty.body).toMatchObject({ kind: 'NATTable', ips: [] });
    const watch = await openWatch(
      api.url,
      `${API}/namespaces/st/natgateways?watch=true&resourceVersion=${n3.metadata.resourceVersion}`,
    );
    await api.store.append(`allocation:${gw.metadata.uid}`, [
      {
        type: 'FakeAllocationRecorded',
        data: {
          gatewayUid: gw.metadata.uid,
          ips: ['203.0.113.9', '203.0.113.10'],
          slots: [
            { nicUid: n1.metadata.uid, ip: '203.0.113.9', port: 1024, endPort: 1087 },
            { nicUid: n2.metadata.uid, ip: '203.0.113.9', port: 1088, endPort: 1151 },
            { nicUid: n3.metadata.uid, ip: '203.0.113.10', port: 1024, endPort: 1087 },
          ],
        },
      },
    ]);
    const [modified] = await watch.until((e) => e.length > 0, 'the status change');
    watch.close();
    expect(modified.type).toBe('MODIFIED');
    const got = await http().get(`${API}/namespaces/st/natgateways/st-gw`);
    expect(modified.object).toEqual(got.body);
    expect(got.body.metadata.generation).toBe(1);
    expect(BigInt(got.body.metadata.resourceVersion)).toBeGreaterThan(
      BigInt(n3.metadata.resourceVersion),
    );
    expect(got.body.status).toMatchObject({
      ips: [
        { name: 'ip-0', ip: '203.0.113.9' },
        { name: 'ip-1', ip: '203.0.113.10' },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'Allocated', observedGeneration: 1 }],
      observedGeneration: 1,
      requestedNICs: 3,
      usedSlots: 3,
      totalSlots: 2016,
    });
    expect(
      (await http().get(`${API}/namespaces/st/networkinterfaces/nic-2/status`)).body.status,
    ).toEqual({
      nat: [
        {
          ipFamily: 'IPv4',
          natGatewayRef: { name: 'st-gw' },
          ip: '203.0.113.9',
          port: 1088,
          endPort: 1151,
        },
      ],
    });
    const table = await http().get(`${API}/namespaces/st/natgateways/st-gw/nattable`);
    expect(table.status).toBe(200);
    expect(table.body.ips.map((i: { ip: string }) => i.ip)).toEqual([
      '203.0.113.9',
      '203.0.113.10',
    ]);
    expect(table.body.ips[0].sections).toEqual([
      {
        ip: '10.0.0.1',
        port: 1024,
        endPort: 1087,
        targetRef: { name: 'nic-1', uid: n1.metadata.uid, nodeName: 'node-1' },
      },
      {
        ip: '10.0.0.2',
        port: 1088,
        endPort: 1151,
        targetRef: { name: 'nic-2', uid: n2.metadata.uid, nodeName: 'node-1' },
      },
    ]);
    // Users cannot write status.
    const statusPath = `${API}/namespaces/st/natgateways/st-gw/status`;
    for (const res of [
      await http().put(statusPath).send(got.body),
      await http().patch(statusPath).send({}),
    ]) {
      expect([res.status, res.body.reason]).toEqual([405, 'MethodNotAllowed']);
      expect(res.body.message).toContain('status is written only by natgw');
    }
    expect((await http().get(`${API}/namespaces/st/networks/x/nattable`)).status).toBe(404);
  });

  it('lists with label selectors, in one namespace and across all', async () => {
    for (const [ns, name, labels] of [
      ['l1', 'a', { app: 'web', tier: 'front' }],
      ['l1', 'b', { app: 'db' }],
      ['l2', 'c', { app: 'web' }],
      ['l2', 'd', {}],
    ] as const) {
      await http().post(`${API}/namespaces/${ns}/networks`).send({ metadata: { name, labels } });
    }
    const names = async (path: string) => {
      const res = await http().get(path);
      expect(res.status).toBe(200);
      return res.body.items.map(
        (o: { metadata: { namespace: string; name: string } }) =>
          `${o.metadata.namespace}/${o.metadata.name}`,
      );
    };
    expect(await names(`${API}/namespaces/l1/networks`)).toEqual(['l1/a', 'l1/b']);
    expect(await names(`${API}/networks?labelSelector=app%3Dweb`)).toEqual(['l1/a', 'l2/c']);
    expect(await names(`${API}/networks?labelSelector=app!%3Dweb`)).toEqual(
      expect.arrayContaining(['l1/b', 'l2/d']),
    );
    expect(await names(`${API}/networks?labelSelector=app in (db,web),!tier`)).toEqual([
      'l1/b',
      'l2/c',
    ]);
    expect(await names(`${API}/networks?labelSelector=app notin (web),app`)).toEqual(['l1/b']);
    expect(await names(`${API}/networks?fieldSelector=metadata.name%3Dc`)).toEqual(['l2/c']);
    const list = await http().get(`${API}/namespaces/l2/networks`);
    expect(list.body).toMatchObject({
      apiVersion: 'networking.ironcore.dev/v1alpha1',
      kind: 'NetworkList',
    });
    expect(list.body.metadata.resourceVersion).toMatch(/^[0-9]+$/);
    expect((await http().get(`${API}/networks?labelSelector=a%20b`)).status).toBe(400);
  });

  it('answers malformed, oversized and unsupported requests with Status objects', async () => {
    const post = () => http().post(`${API}/namespaces/default/natgateways`);
    const cases: Array<[string, Promise<request.Response>, number, string]> = [
      [
        'bad JSON',
        post().set('Content-Type', 'application/json').send('{"metadata":'),
        400,
        'BadRequest',
      ],
      [
        'bad YAML',
        post().set('Content-Type', 'application/yaml').send('a: [b\n  c: :'),
        400,
        'BadRequest',
      ],
      [
        'two YAML documents',
        post().set('Content-Type', 'application/yaml').send('a: 1\n---\nb: 2\n'),
        400,
        'BadRequest',
      ],
      [
        'a JSON array',
        post().set('Content-Type', 'application/json').send('[1]'),
        400,
        'BadRequest',
      ],
      ['empty', post().set('Content-Type', 'application/json').send(''), 400, 'BadRequest'],
      [
        'text/plain',
        post().set('Content-Type', 'text/plain').send('hello'),
        415,
        'UnsupportedMediaType',
      ],
      [
        'gzip',
        post().set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('{}'),
        415,
        'UnsupportedMediaType',
      ],
      [
        'over 1 MiB',
        post()
          .set('Content-Type', 'application/json')
          .send(`{"a":"${'x'.repeat(1024 * 1024)}"}`),
        413,
        'RequestEntityTooLarge',
      ],
      ['unknown kind', http().get(`${API}/namespaces/default/widgets`), 404, 'NotFound'],
      ['unknown object', http().get(`${API}/namespaces/default/natgateways/nope`), 404, 'NotFound'],
      ['unknown path', http().get('/apis/other'), 404, 'NotFound'],
      [
        'POST to an object',
        http().post(`${API}/namespaces/default/natgateways/x`).send({}),
        405,
        'MethodNotAllowed',
      ],
      [
        'DELETE a collection',
        http().delete(`${API}/namespaces/default/natgateways`),
        405,
        'MethodNotAllowed',
      ],
      [
        'PATCH as JSON',
        http().patch(`${API}/namespaces/default/natgateways/x`).send({}),
        415,
        'UnsupportedMediaType',
      ],
      ['bad limit', http().get(`${API}/natgateways?limit=-1`), 400, 'BadRequest'],
      ['bad continue', http().get(`${API}/natgateways?limit=1&continue=zzz`), 400, 'BadRequest'],
      [
        'bad resourceVersion',
        http().get(`${API}/natgateways?watch=true&resourceVersion=abc`),
        400,
        'BadRequest',
      ],
    ];
    for (const [what, pending, code, reason] of cases) {
      const res = await pending;
      expect([what, res.status, res.body.kind, res.body.reason]).toEqual([
        what,
        code,
        'Status',
        reason,
      ]);
    }
  });

  it('serves the OpenAPI 3 document, generated from the DTOs, without authentication', async () => {
    for (const path of ['/openapi.json']) {
      const res = await http().get(path);
      expect(res.status).toBe(200);
      expect(res.body.openapi).toMatch(/^3\./);
      const spec = res.body.components.schemas.NATGatewaySpec;
      expect(spec.properties.portsPerNetworkInterface.description).toContain('power of 2');
      expect(spec.properties.type.enum).toEqual(['Public']);
      expect(
        res.body.paths[`${API}/namespaces/{namespace}/natgateways/{name}/nattable`],
      ).toBeDefined();
      expect(
        res.body.paths[`${API}/namespaces/{namespace}/networkinterfaces`].post.operationId,
      ).toBe('createNetworkInterface');
    }
  });
});
