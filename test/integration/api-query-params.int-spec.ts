import request from 'supertest';
import { ResourceObject } from '@natgw/contracts';
import { API, openWatch, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

/** Query parameters as the apiserver parses them (Go's strconv), as official clients send them. */
describe('api-gateway query parameters', () => {
  let api: TestApi;
  const http = () => request(api.url);
  const base = `${API}/namespaces/params/networks`;

  beforeAll(async () => {
    api = await startTestApi('api_query_params', { env: { WATCH_BOOKMARK_SECONDS: '1' } });
    for (const name of ['a', 'b', 'c'])
      expect((await http().post(base).send({ metadata: { name } })).status).toBe(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  it.each(['True', 'TRUE', 't', 'T', '1', 'true'])(
    'watch=%s opens a watch (the Python client sends watch=True)',
    async (value) => {
      const watch = await openWatch(api.url, `${base}?watch=${value}&timeoutSeconds=%2B1`);
      expect(watch.status).toBe(200);
      await watch.ended;
      expect(watch.events.map((e) => (e.object as ResourceObject).metadata.name)).toEqual([
        'a',
        'b',
        'c',
      ]);
    },
  );

  it.each(['False', 'FALSE', 'f', 'F', '0', 'false', ''])('watch=%j lists', async (value) => {
    const res = await http().get(`${base}?watch=${value}`);
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('NetworkList');
  });

  it('allowWatchBookmarks=True sends bookmarks', async () => {
    const watch = await openWatch(api.url, `${base}?watch=True&allowWatchBookmarks=True`);
    const events = await watch.until((e) => e.some((x) => x.type === 'BOOKMARK'), 'a BOOKMARK');
    watch.close();
    expect(events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.type)).toEqual([
      'ADDED',
      'ADDED',
      'ADDED',
    ]);
  });

  it('reads limit as Go does (+2, 002) and ignores pretty=True and unknown parameters', async () => {
    for (const limit of ['%2B2', '002']) {
      const res = await http().get(`${base}?limit=${limit}&pretty=True&color=blue&x-unknown=1`);
      expect(res.status).toBe(200);
      expect(res.body.items.map((o: ResourceObject) => o.metadata.name)).toEqual(['a', 'b']);
      expect(res.body.metadata.continue).toEqual(expect.any(String));
    }
    const all = await http().get(`${base}?limit=0`);
    expect(all.body.items).toHaveLength(3);
    expect(all.body.metadata.continue).toBeUndefined();
  });

  it('serves a timeoutSeconds above a day (up to int64) as a bounded watch', async () => {
    const watch = await openWatch(api.url, `${base}?watch=1&timeoutSeconds=9223372036854775807`);
    expect(watch.status).toBe(200);
    await watch.until((e) => e.length === 3, 'the initial objects');
    watch.close();
  });

  it.each([
    ['watch=yes', '"watch" must be a boolean'],
    ['watch=tRUE', '"watch" must be a boolean'],
    ['allowWatchBookmarks=on&watch=1', '"allowWatchBookmarks" must be a boolean'],
    ['limit=-1', '"limit" must be greater than or equal to 0'],
    ['limit=1.5', '"limit" must be an integer: invalid syntax'],
    ['limit=9223372036854775808', '"limit" must be an integer: value out of range'],
    ['watch=1&timeoutSeconds=0x10', '"timeoutSeconds" must be an integer: invalid syntax'],
  ])('answers 400 BadRequest for %s', async (query, message) => {
    const res = await http().get(`${base}?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect(res.body.message).toContain(message);
  });
});
