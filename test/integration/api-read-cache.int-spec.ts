import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { rebuildProjection } from '@natgw/event-store';
import { compactResourceChanges, ResourceProjection } from '@natgw/projections';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(300_000);

// Three api-gateways on one database: `a` and `b` serve reads from their read cache, `db`
// (API_READ_CACHE=false) reads PostgreSQL on every request and is the oracle.
describe('api-gateway read cache', () => {
  let a: TestApi;
  let b: TestApi;
  let db: TestApi;
  const ns = `${API}/namespaces/cache`;

  beforeAll(async () => {
    a = await startTestApi('api_read_cache');
    b = await startTestApi('api_read_cache_b', { shareDatabaseOf: a });
    db = await startTestApi('api_read_cache_db', {
      shareDatabaseOf: a,
      env: { API_READ_CACHE: 'false' },
    });
  });

  afterAll(async () => {
    await db?.close();
    await b?.close();
    await a?.close();
  });

  it('a read through another api-gateway shows every write acknowledged before it, at once', async () => {
    // Four writers at once, each reading its own writes back through `b` right after the answer.
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 10; i++) {
          const name = `ryw-${w}-${i}`;
          const created = await request(a.url)
            .post(`${ns}/networks`)
            .send({ metadata: { name, labels: { writer: String(w) } } });
          expect(created.status).toBe(201);
          const got = await request(b.url).get(`${ns}/networks/${name}`);
          expect(got.status).toBe(200);
          expect(got.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);

          const patched = await request(a.url)
            .patch(`${ns}/networks/${name}`)
            .set('content-type', 'application/merge-patch+json')
            .send({ metadata: { labels: { step: 'patched' } } });
          expect(patched.status).toBe(200);
          const listed = await request(b.url).get(
            `${ns}/networks?labelSelector=${encodeURIComponent(`writer=${w},step=patched`)}`,
          );
          expect(listed.status).toBe(200);
          const item = listed.body.items.find(
            (o: { metadata: { name: string } }) => o.metadata.name === name,
          );
          expect(item?.metadata.resourceVersion).toBe(patched.body.metadata.resourceVersion);
          // The list is as of a version no older than the write.
          expect(BigInt(listed.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(
            BigInt(patched.body.metadata.resourceVersion),
          );

          if (i % 2 === 0) {
            expect((await request(a.url).delete(`${ns}/networks/${name}`)).status).toBe(200);
            expect((await request(b.url).get(`${ns}/networks/${name}`)).status).toBe(404);
          }
        }
      }),
    );
  });

  it('answers what PostgreSQL answers, byte for byte: gets, lists, selectors, pages and tables', async () => {
    for (let i = 0; i < 30; i++) {
      const res = await request(a.url)
        .post(`${API}/namespaces/cache-${i % 3}/networks`)
        .send({ metadata: { name: `same-${i}`, labels: { mod: String(i % 4) } } });
      expect(res.status).toBe(201);
    }
    const paths = [
      `${API}/networks`,
      `${API}/namespaces/cache-1/networks`,
      `${API}/namespaces/cache-2/networks/same-2`,
      `${API}/namespaces/cache-2/networks/same-2/status`,
      `${API}/namespaces/cache-2/networks/missing`,
      `${API}/networks?labelSelector=mod%20in%20(1,3)`,
      `${API}/networks?labelSelector=mod!%3D0&fieldSelector=metadata.namespace!%3Dcache-0`,
      `${API}/networks?fieldSelector=metadata.name%3Dsame-7`,
      `${API}/natgateways`,
      `${API}/networks?limit=7`,
    ];
    for (const path of paths) {
      const [cached, oracle] = await Promise.all([
        request(b.url).get(path),
        request(db.url).get(path),
      ]);
      expect({ path, status: cached.status, text: cached.text }).toEqual({
        path,
        status: oracle.status,
        text: oracle.text,
      });
    }
    // kubectl's Table.
    const table = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    const [cachedTable, oracleTable] = await Promise.all([
      request(b.url).get(`${API}/networks`).set('accept', table),
      request(db.url).get(`${API}/networks`).set('accept', table),
    ]);
    // Rows carry each object's metadata (their Age cells depend on the clock).
    const objects = (rows: Array<{ object: unknown }>) => rows.map((r) => r.object);
    expect(cachedTable.status).toBe(200);
    expect(objects(cachedTable.body.rows)).toEqual(objects(oracleTable.body.rows));

    // A first page from memory, the rest from PostgreSQL as of its version: each object once.
    const seen: string[] = [];
    let next = `${API}/networks?limit=4`;
    for (;;) {
      const page = await request(b.url).get(next);
      expect(page.status).toBe(200);
      seen.push(
        ...page.body.items.map(
          (o: { metadata: { namespace: string; name: string } }) =>
            `${o.metadata.namespace}/${o.metadata.name}`,
        ),
      );
      // Writes between the pages do not show in them.
      await request(a.url)
        .post(`${API}/namespaces/cache-0/networks`)
        .send({ metadata: { name: `late-${seen.length}` } });
      const token = page.body.metadata.continue as string | undefined;
      if (!token) break;
      next = `${API}/networks?limit=4&continue=${encodeURIComponent(token)}`;
    }
    const whole = JSON.parse((await request(db.url).get(`${API}/networks`)).text) as {
      items: Array<{ metadata: { namespace: string; name: string } }>;
    };
    const lateOnes = whole.items.filter((o) => o.metadata.name.startsWith('late-'));
    expect(seen).toEqual(
      whole.items
        .filter((o) => !lateOnes.includes(o))
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    );
  });

  it('reloads when compaction removed changes it had not read: a deleted object does not linger', async () => {
    const name = 'compacted-away';
    expect((await request(a.url).post(`${ns}/networks`).send({ metadata: { name } })).status).toBe(
      201,
    );
    expect((await request(b.url).get(`${ns}/networks/${name}`)).status).toBe(200);
    // Deleted through `a`, and the deletion compacted away before `b` reads again.
    expect((await request(a.url).delete(`${ns}/networks/${name}`)).status).toBe(200);
    await compactResourceChanges(a.dataSource, new Date(Date.now() + 60_000));
    expect((await request(b.url).get(`${ns}/networks/${name}`)).status).toBe(404);
    const list = await request(b.url).get(`${ns}/networks`);
    expect(
      list.body.items.map((o: { metadata: { name: string } }) => o.metadata.name),
    ).not.toContain(name);
  });

  it('reloads after a rebuild of the read model, which drops objects without change-log rows', async () => {
    // A row the log does not explain (as a bug would leave): a rebuild removes it.
    const stray = { name: 'stray', uid: randomUUID() };
    const object = {
      apiVersion: 'networking.ironcore.dev/v1alpha1',
      kind: 'Network',
      metadata: { name: stray.name, namespace: 'cache', uid: stray.uid, resourceVersion: '1' },
      spec: {},
      status: {},
    };
    await a.dataSource.query(
      `INSERT INTO natgw_resources (kind, namespace, name, uid, resource_version, stream_version, object)
       VALUES ('Network', 'cache', $1, $2, 1, 1, $3)`,
      [stray.name, stray.uid, JSON.stringify(object)],
    );
    // `b` loads afresh (a compaction horizon it has not seen), and so holds the stray row.
    expect(
      (
        await request(a.url)
          .post(`${ns}/networks`)
          .send({ metadata: { name: 'after-stray' } })
      ).status,
    ).toBe(201);
    await compactResourceChanges(a.dataSource, new Date(Date.now() + 60_000));
    expect((await request(b.url).get(`${ns}/networks/${stray.name}`)).status).toBe(200);
    await rebuildProjection(a.dataSource, a.store, new ResourceProjection());
    expect((await request(b.url).get(`${ns}/networks/${stray.name}`)).status).toBe(404);
    const [cached, oracle] = await Promise.all([
      request(b.url).get(`${API}/networks`),
      request(db.url).get(`${API}/networks`),
    ]);
    expect(cached.text).toBe(oracle.text);
  });
});
