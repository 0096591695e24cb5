import request from 'supertest';
import { ResourceObject, WatchEvent } from '@natgw/contracts';
import { API, openWatch, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

const WATCH_LIST =
  'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';
const meta = (e: WatchEvent) => (e.object as ResourceObject).metadata;
const isEnd = (e: WatchEvent) =>
  e.type === 'BOOKMARK' && meta(e).annotations?.['k8s.io/initial-events-end'] === 'true';

/** Watch-list (`sendInitialEvents`), as client-go's and client-node's informers stream a list. */
describe('api-gateway watch-list', () => {
  let api: TestApi;
  const http = () => request(api.url);
  const base = (ns: string) => `${API}/namespaces/${ns}/networks`;
  const create = async (ns: string, name: string, labels: Record<string, string> = {}) => {
    const res = await http().post(base(ns)).send({ metadata: { name, labels } });
    expect(res.status).toBe(201);
    return res.body as ResourceObject;
  };

  beforeAll(async () => {
    // Periodic bookmarks only every minute: the only BOOKMARK these tests see early is the end marker.
    api = await startTestApi('api_watch_list', { env: { WATCH_BOOKMARK_SECONDS: '60' } });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('sends the current objects as ADDED, then the initial-events-end BOOKMARK, then changes', async () => {
    await create('wl', 'a', { app: 'web' });
    await create('wl', 'b', { app: 'db' });
    await create('wl', 'c', { app: 'web' });
    const listed = (await http().get(base('wl'))).body.metadata.resourceVersion as string;
    const watch = await openWatch(api.url, `${base('wl')}?${WATCH_LIST}&labelSelector=app%3Dweb`);
    expect(watch.status).toBe(200);
    await watch.until((e) => e.some(isEnd), 'the initial-events-end bookmark');
    await create('wl', 'd', { app: 'web' });
    await create('wl', 'e', { app: 'db' });
    const events = await watch.until((e) => e.length >= 4, 'the change after the bookmark');
    watch.close();
    expect(events.map((e) => [e.type, meta(e).name])).toEqual([
      ['ADDED', 'a'],
      ['ADDED', 'c'],
      ['BOOKMARK', undefined],
      ['ADDED', 'd'],
    ]);
    const end = events[2];
    expect(end.object).toEqual({
      kind: 'Network',
      apiVersion: 'networking.ironcore.dev/v1alpha1',
      metadata: {
        resourceVersion: expect.stringMatching(/^[0-9]+$/),
        annotations: { 'k8s.io/initial-events-end': 'true' },
      },
    });
    // The bookmark's version is that of the state the initial events showed: not older than
    // what a list just before returned, older than the first change after it.
    expect(BigInt(meta(end).resourceVersion)).toBeGreaterThanOrEqual(BigInt(listed));
    expect(BigInt(meta(events[3]).resourceVersion)).toBeGreaterThan(
      BigInt(meta(end).resourceVersion),
    );
  });

  it('with a resourceVersion, the initial events are the state not older than it (later objects too)', async () => {
    const first = await create('wl-rv', 'first');
    const second = await create('wl-rv', 'second');
    await http().delete(`${base('wl-rv')}/first`);
    const watch = await openWatch(
      api.url,
      `${base('wl-rv')}?${WATCH_LIST}&resourceVersion=${first.metadata.resourceVersion}`,
    );
    const events = await watch.until((e) => e.some(isEnd), 'the initial-events-end bookmark');
    watch.close();
    expect(events.map((e) => [e.type, meta(e).name])).toEqual([
      ['ADDED', 'second'],
      ['BOOKMARK', undefined],
    ]);
    expect(meta(events[0]).resourceVersion).toBe(second.metadata.resourceVersion);
  });

  it('sendInitialEvents=false without a resourceVersion starts at the newest version: changes only', async () => {
    await create('wl-new', 'old');
    const watch = await openWatch(
      api.url,
      `${base('wl-new')}?watch=true&sendInitialEvents=false&resourceVersionMatch=NotOlderThan`,
    );
    expect(watch.status).toBe(200);
    await create('wl-new', 'new');
    const events = await watch.until((e) => e.length >= 1, 'the new object');
    watch.close();
    expect(events.map((e) => [e.type, meta(e).name])).toEqual([['ADDED', 'new']]);
  });

  it('answers 504 Timeout (ResourceVersionTooLarge) for initial events not older than a version not reached', async () => {
    const now = BigInt((await http().get(base('wl'))).body.metadata.resourceVersion);
    const res = await http().get(`${base('wl')}?${WATCH_LIST}&resourceVersion=${now + 1000n}`);
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({
      kind: 'Status',
      reason: 'Timeout',
      details: { causes: [{ reason: 'ResourceVersionTooLarge' }] },
    });
    expect(res.body.message).toContain(`Too large resource version: ${now + 1000n}`);
  });

  it.each([
    ['watch=1&sendInitialEvents=true&allowWatchBookmarks=true', 'resourceVersionMatch'],
    ['watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan', 'allowWatchBookmarks'],
    ['watch=1&resourceVersionMatch=NotOlderThan', 'resourceVersionMatch'],
  ])('answers 422 Invalid ListOptions for %s, naming %s', async (query, field) => {
    const res = await http().get(`${base('wl')}?${query}`);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      details: { kind: 'ListOptions', group: 'meta.k8s.io', causes: [{ field }] },
    });
  });
});
