import request from 'supertest';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(120_000);

const gateway = (name: string) => ({
  metadata: { name },
  spec: { type: 'Public', ipFamily: 'IPv4', networkRef: { name: 'net' } },
});

describe('api-gateway optimistic concurrency', () => {
  let api: TestApi;
  const http = () => request(api.url);

  beforeAll(async () => {
    api = await startTestApi('api_concurrency');
  });

  afterAll(async () => {
    await api?.close();
  });

  it('two updates carrying the same resourceVersion: one succeeds, the other gets 409 Conflict', async () => {
    const created = (
      await http().post(`${API}/namespaces/default/natgateways`).send(gateway('race-gw'))
    ).body;
    const update = (ppni: number) =>
      http()
        .put(`${API}/namespaces/default/natgateways/race-gw`)
        .send({ ...created, spec: { ...created.spec, portsPerNetworkInterface: ppni } });
    const results = await Promise.all([update(64), update(128)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const [won] = results.filter((r) => r.status === 200);
    const [lost] = results.filter((r) => r.status === 409);
    expect(lost.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(lost.body.message).toContain('the object has been modified');
    const stored = (await http().get(`${API}/namespaces/default/natgateways/race-gw`)).body;
    expect(stored.spec.portsPerNetworkInterface).toBe(won.body.spec.portsPerNetworkInterface);
    expect(stored.metadata.generation).toBe(2);
    const stream = await api.store.readStream('natgateway:default/race-gw');
    expect(stream.map((e) => e.type)).toEqual(['NATGatewayCreated', 'NATGatewayUpdated']);
  });

  it('many racing conditional patches: exactly one wins, every other gets 409', async () => {
    const created = (
      await http().post(`${API}/namespaces/default/natgateways`).send(gateway('race-many'))
    ).body;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        http()
          .patch(`${API}/namespaces/default/natgateways/race-many`)
          .set('Content-Type', 'application/merge-patch+json')
          .send({
            metadata: {
              resourceVersion: created.metadata.resourceVersion,
              labels: { winner: `w${i}` },
            },
          }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
  });

  it('concurrent creates of one name: one 201, the rest 409 AlreadyExists', async () => {
    for (const name of ['same-1', 'same-2', 'same-3']) {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          http().post(`${API}/namespaces/default/natgateways`).send(gateway(name)),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
      for (const r of results.filter((x) => x.status === 409))
        expect(r.body.reason).toBe('AlreadyExists');
      const [winner] = results.filter((r) => r.status === 201);
      const stored = (await http().get(`${API}/namespaces/default/natgateways/${name}`)).body;
      expect(stored.metadata.uid).toBe(winner.body.metadata.uid);
      expect(await api.store.streamVersion(`natgateway:default/${name}`)).toBe(1);
    }
  });

  it('unconditional patches that race are retried on the winner: no change is lost', async () => {
    await http()
      .post(`${API}/namespaces/default/networks`)
      .send({ metadata: { name: 'many-labels' } });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        http()
          .patch(`${API}/namespaces/default/networks/many-labels`)
          .set('Content-Type', 'application/merge-patch+json')
          .send({ metadata: { labels: { [`l${i}`]: 'x' } } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    const stored = (await http().get(`${API}/namespaces/default/networks/many-labels`)).body;
    expect(Object.keys(stored.metadata.labels).sort()).toEqual([
      'l0',
      'l1',
      'l2',
      'l3',
      'l4',
      'l5',
    ]);
  });

  it('a delete carrying a stale resourceVersion precondition is refused', async () => {
    const created = (
      await http()
        .post(`${API}/namespaces/default/networks`)
        .send({ metadata: { name: 'pre' } })
    ).body;
    await http()
      .patch(`${API}/namespaces/default/networks/pre`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { a: 'b' } } });
    const stale = await http()
      .delete(`${API}/namespaces/default/networks/pre`)
      .send({
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        preconditions: { resourceVersion: created.metadata.resourceVersion },
      });
    expect([stale.status, stale.body.reason]).toEqual([409, 'Conflict']);
    const ok = await http()
      .delete(`${API}/namespaces/default/networks/pre`)
      .send({
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background',
        preconditions: { uid: created.metadata.uid },
      });
    expect(ok.status).toBe(200);
  });
});
