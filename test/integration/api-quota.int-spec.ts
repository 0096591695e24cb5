import request from 'supertest';
import { toCloudEvent } from '@natgw/contracts';
import { API, startTestApi, TestApi } from './api-test-app';
import { contractProblems, loadEventContract } from './events-contract-support';

jest.setTimeout(180_000);

const ADMIN_API = '/apis/natgw.ironcore.dev/v1alpha1';
const TOKENS = `
tokens:
  - token: admin-token-0123456789
    user: admin
    namespaces: "*"
    verbs: [read, write]
  - token: alice-token-0123456789
    user: alice
    namespaces: [team-a, team-c, team-n]
    verbs: [read, write]
  - token: viewer-token-0123456789
    user: viewer
    namespaces: [team-a]
    verbs: [read]
`;
const ADMIN = 'admin-token-0123456789';
const ALICE = 'alice-token-0123456789';

const quota = (name: string, hard: Record<string, unknown>) => ({
  apiVersion: 'natgw.ironcore.dev/v1alpha1',
  kind: 'NATGatewayQuota',
  metadata: { name },
  spec: { hard },
});
const gateway = (name: string) => ({
  metadata: { name },
  spec: {
    type: 'Public',
    ipFamily: 'IPv4',
    portsPerNetworkInterface: 64,
    networkRef: { name: 'net' },
  },
});
const nic = (name: string, ip: string) => ({
  metadata: { name },
  spec: { networkRef: { name: 'net' }, ips: [ip] },
});

describe('NATGatewayQuota: per-namespace quotas', () => {
  let api: TestApi;
  const as = (token: string) => {
    const agent = request(api.url);
    const auth = (r: request.Test) => r.set('Authorization', `Bearer ${token}`);
    return {
      get: (path: string) => auth(agent.get(path)),
      post: (path: string, body: object) => auth(agent.post(path)).send(body),
      put: (path: string, body: object) => auth(agent.put(path)).send(body),
      patch: (path: string, body: object) =>
        auth(agent.patch(path)).set('Content-Type', 'application/merge-patch+json').send(body),
      delete: (path: string) => auth(agent.delete(path)),
    };
  };
  const quotas = (ns: string) => `${ADMIN_API}/namespaces/${ns}/natgatewayquotas`;

  beforeAll(async () => {
    api = await startTestApi('api_quota', { tokensYaml: TOKENS });
    for (const ns of ['team-a', 'team-b', 'team-c', 'team-n']) {
      expect(
        (await as(ADMIN).post(`${API}/namespaces/${ns}/networks`, { metadata: { name: 'net' } }))
          .status,
      ).toBe(201);
    }
  });

  afterAll(async () => {
    await api?.close();
  });

  it('is served like a Kubernetes resource: create, get, list, table, discovery, OpenAPI', async () => {
    const created = await as(ADMIN).post(
      quotas('team-a'),
      quota('team-a-quota', { natgateways: 3, networkinterfaces: 4, publicIPs: 4 }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      apiVersion: 'natgw.ironcore.dev/v1alpha1',
      kind: 'NATGatewayQuota',
      metadata: { name: 'team-a-quota', namespace: 'team-a', resourceVersion: '1', generation: 1 },
      spec: { hard: { natgateways: 3, networkinterfaces: 4, publicIPs: 4 } },
      status: {
        hard: { natgateways: 3, networkinterfaces: 4, publicIPs: 4 },
        used: { natgateways: 0, networkinterfaces: 0, publicIPs: 0 },
      },
    });
    expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    // The namespace's tokens read it, even read-only ones.
    const got = await as('viewer-token-0123456789').get(`${quotas('team-a')}/team-a-quota`);
    expect(got.status).toBe(200);
    expect(got.body.metadata.uid).toBe(created.body.metadata.uid);
    const list = await as(ALICE).get(quotas('team-a'));
    expect(list.body).toMatchObject({
      kind: 'NATGatewayQuotaList',
      items: [{ metadata: { name: 'team-a-quota' } }],
    });
    const all = await as(ADMIN).get(`${ADMIN_API}/natgatewayquotas`);
    expect(
      all.body.items.map((q: { metadata: { namespace: string } }) => q.metadata.namespace),
    ).toEqual(['team-a']);
    const table = await as(ALICE)
      .get(quotas('team-a'))
      .set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(table.body.kind).toBe('Table');
    expect(table.body.rows[0].cells.slice(0, 2)).toEqual([
      'team-a-quota',
      'natgateways: 0/3,networkinterfaces: 0/4,publicIPs: 0/4',
    ]);
    const discovery = await as(ALICE).get(ADMIN_API);
    expect(discovery.body.resources).toContainEqual(
      expect.objectContaining({
        name: 'natgatewayquotas',
        kind: 'NATGatewayQuota',
        namespaced: true,
      }),
    );
    const openapi = await as(ALICE).get('/openapi/v3/apis/natgw.ironcore.dev/v1alpha1');
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths)).toContain(
      '/apis/natgw.ironcore.dev/v1alpha1/namespaces/{namespace}/natgatewayquotas/{name}',
    );
  });

  it('lets only a token granted every namespace write quotas; tenants cannot raise their own', async () => {
    const path = `${quotas('team-a')}/team-a-quota`;
    const writes = [
      await as(ALICE).post(quotas('team-a'), quota('mine', { natgateways: 100 })),
      await as(ALICE).put(path, quota('team-a-quota', { natgateways: 100 })),
      await as(ALICE).patch(path, { spec: { hard: { natgateways: 100 } } }),
      await as(ALICE).delete(path),
    ];
    for (const res of writes) {
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/writing one needs a token granted every namespace/);
    }
    expect((await as(ALICE).get(`${ADMIN_API}/natgatewayquotas`)).status).toBe(403);
    expect((await as(ADMIN).get(path)).body.spec.hard.natgateways).toBe(3);
  });

  it.each([
    [{ cpu: 1 }, 'spec.hard.cpu', 'FieldValueNotSupported'],
    [{ natgateways: -1 }, 'spec.hard.natgateways', 'FieldValueInvalid'],
    [{ publicIPs: 1.5 }, 'spec.hard.publicIPs', 'FieldValueTypeInvalid'],
    [{ networkinterfaces: 1_000_001 }, 'spec.hard.networkinterfaces', 'FieldValueInvalid'],
  ])('refuses spec.hard %j with 422 naming %s', async (hard, field, reason) => {
    const res = await as(ADMIN).post(quotas('team-b'), quota('bad', hard));
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toContainEqual(expect.objectContaining({ field, reason }));
  });

  it('refuses the create past a limit with 403 "exceeded quota", as Kubernetes does, and counts it in status', async () => {
    const gateways = `${API}/namespaces/team-a/natgateways`;
    for (const name of ['gw-1', 'gw-2', 'gw-3']) {
      expect((await as(ALICE).post(gateways, gateway(name))).status).toBe(201);
    }
    const refused = await as(ALICE).post(gateways, gateway('gw-4'));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message:
        'natgateways.networking.ironcore.dev "gw-4" is forbidden: exceeded quota: team-a-quota, requested: natgateways=1, used: natgateways=3, limited: natgateways=3',
      details: { name: 'gw-4', kind: 'natgateways' },
    });
    expect((await as(ALICE).get(`${gateways}/gw-4`)).status).toBe(404);
    // A dry run is refused the same way, and another namespace is not limited.
    expect((await as(ALICE).post(`${gateways}?dryRun=All`, gateway('gw-4'))).status).toBe(403);
    expect(
      (await as(ADMIN).post(`${API}/namespaces/team-b/natgateways`, gateway('gw-4'))).status,
    ).toBe(201);
    const q = await as(ALICE).get(`${quotas('team-a')}/team-a-quota`);
    expect(q.body.status.used).toEqual({ natgateways: 3, networkinterfaces: 0, publicIPs: 0 });
    // A gateway being deleted still holds what it holds: it counts until it is finalized.
    expect((await as(ALICE).delete(`${gateways}/gw-3`)).status).toBe(200);
    expect((await as(ALICE).post(gateways, gateway('gw-4'))).status).toBe(403);
    // Raising the limit (merge patch) admits one more.
    const raised = await as(ADMIN).patch(`${quotas('team-a')}/team-a-quota`, {
      spec: { hard: { natgateways: 4 } },
    });
    expect(raised.status).toBe(200);
    expect(raised.body.metadata).toMatchObject({ resourceVersion: '2', generation: 2 });
    expect(raised.body.spec.hard).toEqual({ natgateways: 4, networkinterfaces: 4, publicIPs: 4 });
    expect((await as(ALICE).post(gateways, gateway('gw-4'))).status).toBe(201);
    expect((await as(ALICE).post(gateways, gateway('gw-5'))).status).toBe(403);
  });

  it('admits exactly the limit under concurrent creates (gateways and NICs)', async () => {
    expect(
      (await as(ADMIN).post(quotas('team-c'), quota('q', { natgateways: 5, networkinterfaces: 7 })))
        .status,
    ).toBe(201);
    const [gws, nics] = await Promise.all([
      Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          as(ALICE).post(`${API}/namespaces/team-c/natgateways`, gateway(`gw-${i}`)),
        ),
      ),
      Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          as(ALICE).post(
            `${API}/namespaces/team-c/networkinterfaces`,
            nic(`vm-${i}`, `10.0.0.${i + 1}`),
          ),
        ),
      ),
    ]);
    const count = (rs: request.Response[], code: number) =>
      rs.filter((r) => r.status === code).length;
    expect([count(gws, 201), count(gws, 403)]).toEqual([5, 19]);
    expect([count(nics, 201), count(nics, 403)]).toEqual([7, 17]);
    for (const r of [...gws, ...nics].filter((r) => r.status === 403)) {
      expect(r.body.message).toMatch(
        /exceeded quota: q, requested: (natgateways|networkinterfaces)=1/,
      );
    }
    // The oracle: what the API lists, and the log's streams, hold exactly the limit.
    const listed = await as(ALICE).get(`${API}/namespaces/team-c/natgateways`);
    expect(listed.body.items).toHaveLength(5);
    const streams = await api.store.streamsWithPrefix('natgateway:team-c/');
    expect(streams).toHaveLength(5);
    expect(
      (await as(ALICE).get(`${API}/namespaces/team-c/networkinterfaces`)).body.items,
    ).toHaveLength(7);
    const q = await as(ALICE).get(`${quotas('team-c')}/q`);
    expect(q.body.status.used).toEqual({ natgateways: 5, networkinterfaces: 7 });
  });

  it('refuses a NATGatewayAutoscaler whose minPublicIPs exceeds what the publicIPs quota leaves', async () => {
    const autoscalers = `${API}/namespaces/team-a/natgatewayautoscalers`;
    const scaler = (name: string, min: number) => ({
      metadata: { name },
      spec: { natGatewayRef: { name: 'gw-1' }, minPublicIPs: min, maxPublicIPs: 8 },
    });
    const refused = await as(ALICE).post(autoscalers, scaler('too-many', 5));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'natgatewayautoscalers.networking.ironcore.dev "too-many" is forbidden: exceeded quota: team-a-quota, requested: publicIPs=5, used: publicIPs=0, limited: publicIPs=4',
    );
    expect((await as(ALICE).post(autoscalers, scaler('fits', 4))).status).toBe(201);
    const patched = await as(ALICE).patch(`${autoscalers}/fits`, { spec: { minPublicIPs: 5 } });
    expect(patched.status).toBe(403);
    // Without a publicIPs limit the cap alone applies.
    expect(
      (
        await as(ALICE).post(`${API}/namespaces/team-n/natgatewayautoscalers`, {
          metadata: { name: 'free' },
          spec: { natGatewayRef: { name: 'gw' }, minPublicIPs: 60, maxPublicIPs: 64 },
        })
      ).status,
    ).toBe(201);
  });

  it('deleting a quota lifts its limits; the name is free again, and stale writes are 409', async () => {
    const path = `${quotas('team-c')}/q`;
    const current = await as(ADMIN).get(path);
    const stale = await as(ADMIN).put(path, {
      ...quota('q', { natgateways: 1 }),
      metadata: { name: 'q', resourceVersion: '999' },
    });
    expect(stale.status).toBe(409);
    expect((await as(ADMIN).delete(path)).status).toBe(200);
    expect((await as(ADMIN).get(path)).status).toBe(404);
    expect(
      (await as(ALICE).post(`${API}/namespaces/team-c/natgateways`, gateway('gw-after'))).status,
    ).toBe(201);
    const again = await as(ADMIN).post(quotas('team-c'), quota('q', { natgateways: 100 }));
    expect(again.status).toBe(201);
    expect(again.body.metadata.uid).not.toBe(current.body.metadata.uid);
    expect(again.body.status.used.natgateways).toBe(6);
    expect((await as(ADMIN).post(quotas('team-c'), quota('q', {}))).status).toBe(409);
  });

  it('records quota events that match docs/asyncapi.yaml', async () => {
    const contract = await loadEventContract();
    const events = await api.store.readStream('natgatewayquota:team-c/q');
    expect(events.map((e) => e.type)).toEqual([
      'NATGatewayQuotaSet',
      'NATGatewayQuotaDeleted',
      'NATGatewayQuotaSet',
    ]);
    const problems = events.flatMap((e) =>
      contractProblems(
        contract,
        {
          subject: `natgw.events.natgatewayquota.${e.type}`,
          msgId: e.id,
          cloudEvent: toCloudEvent(e, '/natgw/api-gateway') as unknown as Record<string, unknown>,
        },
        'natgw',
      ),
    );
    expect(problems).toEqual([]);
  });
});
