import request from 'supertest';
import { ResourceObject } from '@natgw/contracts';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(300_000);

/** Runs `work` over the items, `parallel` at a time. */
async function inParallel<T>(
  items: T[],
  parallel: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

describe('api-gateway pagination', () => {
  let api: TestApi;
  const http = () => request(api.url);
  const base = `${API}/namespaces/paging/networks`;
  const name = (i: number) => `net-${String(i).padStart(4, '0')}`;

  beforeAll(async () => {
    api = await startTestApi('api_pagination');
    // 1,000 objects the selector matches, and 200 it does not.
    await inParallel(
      Array.from({ length: 1200 }, (_, i) => i),
      16,
      async (i) => {
        const res = await http()
          .post(base)
          .send({
            metadata: { name: name(i), labels: { sel: i < 1000 ? 'yes' : 'no', idx: String(i) } },
          });
        expect(res.status).toBe(201);
      },
    );
  });

  afterAll(async () => {
    await api?.close();
  });

  it('pages through 1,000 selected objects: each exactly once, as of the first page, despite concurrent writes', async () => {
    const whole = await http().get(`${base}?labelSelector=sel%3Dyes`);
    expect(whole.body.items).toHaveLength(1000);
    const expected: ResourceObject[] = whole.body.items;

    const first = await http().get(`${base}?labelSelector=sel%3Dyes&limit=37`);
    expect(first.body.metadata.resourceVersion).toBe(whole.body.metadata.resourceVersion);
    const pages: ResourceObject[][] = [first.body.items];
    let token: string | undefined = first.body.metadata.continue;

    // While paging: delete selected objects, add new selected ones, move objects in
    // and out of the selection, and change others. None of it may show in the pages.
    let round = 0;
    const write = async () => {
      const r = round++;
      await Promise.all([
        http().delete(`${base}/${name(500 + r * 11)}`),
        http()
          .post(base)
          .send({ metadata: { name: `new-${r}`, labels: { sel: 'yes' } } }),
        http()
          .patch(`${base}/${name(999 - r * 3)}`)
          .set('Content-Type', 'application/merge-patch+json')
          .send({ metadata: { labels: { sel: 'no' } } }),
        http()
          .patch(`${base}/${name(1000 + r)}`)
          .set('Content-Type', 'application/merge-patch+json')
          .send({ metadata: { labels: { sel: 'yes' } } }),
        http()
          .patch(`${base}/${name(r * 7 + 1)}`)
          .set('Content-Type', 'application/merge-patch+json')
          .send({ metadata: { annotations: { touched: String(r) } } }),
      ]);
    };
    while (token) {
      const [page] = await Promise.all([
        http().get(
          `${base}?labelSelector=sel%3Dyes&limit=37&continue=${encodeURIComponent(token)}`,
        ),
        write(),
      ]);
      expect(page.status).toBe(200);
      expect(page.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
      expect(page.body.items.length).toBeLessThanOrEqual(37);
      pages.push(page.body.items);
      token = page.body.metadata.continue;
    }
    expect(round).toBeGreaterThan(20);

    const served = pages.flat();
    expect(served.map((o) => o.metadata.name)).toEqual(expected.map((o) => o.metadata.name));
    expect(served).toEqual(expected);
    expect(pages.slice(0, -1).every((p) => p.length === 37)).toBe(true);

    // The writes did happen: a fresh list sees them.
    const now = await http().get(`${base}?labelSelector=sel%3Dyes`);
    const names = new Set(now.body.items.map((o: ResourceObject) => o.metadata.name));
    expect(names.has(name(500))).toBe(false);
    expect(names.has('new-0')).toBe(true);
    expect(names.has(name(1000))).toBe(true);
    expect(names.has(name(999))).toBe(false);
  });

  it('pages across all namespaces in (namespace, name) order', async () => {
    for (const ns of ['zz', 'aa']) {
      await http()
        .post(`${API}/namespaces/${ns}/networks`)
        .send({ metadata: { name: 'x', labels: { sel: 'yes' } } });
    }
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const res = await http().get(
        `${API}/networks?labelSelector=sel%3Dyes&limit=250${token ? `&continue=${token}` : ''}`,
      );
      seen.push(
        ...res.body.items.map((o: ResourceObject) => `${o.metadata.namespace}/${o.metadata.name}`),
      );
      token = res.body.metadata.continue;
    } while (token);
    expect(seen[0]).toBe('aa/x');
    expect(seen[seen.length - 1]).toBe('zz/x');
    expect(new Set(seen).size).toBe(seen.length);
  });
});
