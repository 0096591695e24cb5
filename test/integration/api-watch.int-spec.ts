import request from 'supertest';
import { ResourceObject, WatchEvent } from '@natgw/contracts';
import { compactResourceChanges } from '@natgw/projections';
import { API, openWatch, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

type Key = [string, string, string];
const keyOf = (e: WatchEvent): Key => {
  const o = e.object as ResourceObject;
  return [e.type, o.metadata.name, o.metadata.resourceVersion];
};
const rvOf = (e: WatchEvent) => BigInt((e.object as ResourceObject).metadata.resourceVersion);

describe('api-gateway watch', () => {
  let api: TestApi;
  const http = () => request(api.url);

  beforeAll(async () => {
    api = await startTestApi('api_watch', { env: { WATCH_BOOKMARK_SECONDS: '1' } });
  });

  afterAll(async () => {
    await api?.close();
  });

  /** Creates, relabels and deletes Networks in a namespace from several writers at once. */
  async function churn(namespace: string, writers: number, perWriter: number): Promise<void> {
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          const name = `n-${w}-${i % 5}`;
          const step = Math.floor(i / 5) % 3;
          const base = `${API}/namespaces/${namespace}/networks`;
          if (step === 0) await http().post(base).send({ metadata: { name } });
          else if (step === 1) {
            await http()
              .patch(`${base}/${name}`)
              .set('Content-Type', 'application/merge-patch+json')
              .send({ metadata: { labels: { step: `${i}` } } });
          } else await http().delete(`${base}/${name}`);
        }
      }),
    );
  }

  it('resumes after a disconnect at the last resourceVersion: no event lost, none repeated', async () => {
    // A real version to start from ("0" would mean "from now, after the current objects").
    const marker = await http()
      .post(`${API}/namespaces/resume/networks`)
      .send({ metadata: { name: 'marker' } });
    const start = marker.body.metadata.resourceVersion;
    const first = await openWatch(
      api.url,
      `${API}/namespaces/resume/networks?watch=true&resourceVersion=${start}`,
    );
    expect(first.status).toBe(200);
    const writing = churn('resume', 4, 45);
    await first.until((e) => e.length >= 40, 'the first 40 events');
    first.close();
    await first.ended;
    const seen = [...first.events];
    const resumeAt = (seen[seen.length - 1].object as ResourceObject).metadata.resourceVersion;
    const second = await openWatch(
      api.url,
      `${API}/namespaces/resume/networks?watch=true&resourceVersion=${resumeAt}`,
    );
    await writing;
    const finalRv = (await http().get(`${API}/namespaces/resume/networks`)).body.metadata
      .resourceVersion;
    // Every change, read back in one go from the start.
    const whole = await openWatch(
      api.url,
      `${API}/namespaces/resume/networks?watch=true&resourceVersion=${start}`,
    );
    const complete = (events: WatchEvent[]) =>
      events.length > 0 && rvOf(events[events.length - 1]) >= BigInt(finalRv);
    await whole.until(complete, 'every change');
    await second.until(
      (e) => seen.length + e.length >= whole.events.length,
      'the resumed watch to catch up',
    );
    second.close();
    whole.close();
    const resumed = [...seen, ...second.events].map(keyOf);
    expect(resumed).toEqual(whole.events.map(keyOf));
    expect(new Set(resumed.map((k) => k[2])).size).toBe(resumed.length);
    const rvs = whole.events.map(rvOf);
    expect(rvs).toEqual([...rvs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(whole.events.length).toBeGreaterThanOrEqual(150);
    expect(new Set(whole.events.map((e) => e.type))).toEqual(
      new Set(['ADDED', 'MODIFIED', 'DELETED']),
    );
  });

  it('without a resourceVersion starts with every current object as ADDED, then follows changes', async () => {
    await http()
      .post(`${API}/namespaces/initial/networks`)
      .send({ metadata: { name: 'one' } });
    await http()
      .post(`${API}/namespaces/initial/networks`)
      .send({ metadata: { name: 'two' } });
    const watch = await openWatch(api.url, `${API}/namespaces/initial/networks?watch=true`);
    await watch.until((e) => e.length >= 2, 'the initial objects');
    await http()
      .post(`${API}/namespaces/initial/networks`)
      .send({ metadata: { name: 'three' } });
    await http().delete(`${API}/namespaces/initial/networks/one`);
    const events = await watch.until((e) => e.length >= 4, 'the later changes');
    watch.close();
    expect(events.map((e) => [e.type, (e.object as ResourceObject).metadata.name])).toEqual(
      [
        ['ADDED', 'one'],
        ['ADDED', 'two'],
        ['ADDED', 'three'],
        ['DELETED', 'one'],
      ].slice(0, events.length),
    );
  });

  it('a label-selected watch sees objects enter (ADDED) and leave (DELETED) the selection', async () => {
    const rv = (await http().get(`${API}/namespaces/sel/networks`)).body.metadata.resourceVersion;
    const watch = await openWatch(
      api.url,
      `${API}/namespaces/sel/networks?watch=true&resourceVersion=${rv}&labelSelector=app%3Dweb`,
    );
    const base = `${API}/namespaces/sel/networks`;
    const relabel = (name: string, app: string) =>
      http()
        .patch(`${base}/${name}`)
        .set('Content-Type', 'application/merge-patch+json')
        .send({ metadata: { labels: { app } } });
    await http()
      .post(base)
      .send({ metadata: { name: 'a', labels: { app: 'db' } } });
    await relabel('a', 'web');
    await http()
      .patch(`${base}/a`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { annotations: { x: 'y' } } });
    await relabel('a', 'db');
    await http()
      .post(base)
      .send({ metadata: { name: 'b', labels: { app: 'web' } } });
    await http().delete(`${base}/b`);
    const events = await watch.until((e) => e.length >= 5, 'the selection changes');
    watch.close();
    expect(events.map((e) => [e.type, (e.object as ResourceObject).metadata.name])).toEqual([
      ['ADDED', 'a'],
      ['MODIFIED', 'a'],
      ['DELETED', 'a'],
      ['ADDED', 'b'],
      ['DELETED', 'b'],
    ]);
  });

  it('filters by metadata.name and sends BOOKMARKs when asked', async () => {
    const rv = (await http().get(`${API}/namespaces/bm/networks`)).body.metadata.resourceVersion;
    const watch = await openWatch(
      api.url,
      `${API}/namespaces/bm/networks?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dme`,
    );
    await http()
      .post(`${API}/namespaces/bm/networks`)
      .send({ metadata: { name: 'other' } });
    await http()
      .post(`${API}/namespaces/bm/networks`)
      .send({ metadata: { name: 'me' } });
    const events = await watch.until(
      (e) => e.some((x) => x.type === 'BOOKMARK') && e.some((x) => x.type === 'ADDED'),
      'an ADDED and a BOOKMARK',
    );
    watch.close();
    expect(
      events
        .filter((e) => e.type !== 'BOOKMARK')
        .map((e) => (e.object as ResourceObject).metadata.name),
    ).toEqual(['me']);
    const bookmark = events.find((e) => e.type === 'BOOKMARK')!;
    expect(bookmark.object).toEqual({
      kind: 'Network',
      apiVersion: 'networking.ironcore.dev/v1alpha1',
      metadata: { resourceVersion: expect.stringMatching(/^[0-9]+$/) },
    });
  });

  it('ends after timeoutSeconds', async () => {
    const watch = await openWatch(
      api.url,
      `${API}/namespaces/t/networks?watch=true&timeoutSeconds=1`,
    );
    await watch.ended;
    expect(watch.events).toEqual([]);
  });

  it('answers 410 Gone for a resourceVersion older than the compacted history, and for a continue token from before it', async () => {
    for (let i = 0; i < 3; i++)
      await http()
        .post(`${API}/namespaces/gone/networks`)
        .send({ metadata: { name: `g${i}` } });
    const page = (await http().get(`${API}/namespaces/gone/networks?limit=1`)).body;
    expect(page.metadata.continue).toBeDefined();
    const old = page.metadata.resourceVersion;
    await http()
      .post(`${API}/namespaces/gone/networks`)
      .send({ metadata: { name: 'later' } });
    const compacted = await compactResourceChanges(api.dataSource, new Date(Date.now() + 60_000));
    expect(BigInt(compacted.compactedResourceVersion)).toBeGreaterThan(BigInt(old));
    const gone = await request(api.url).get(
      `${API}/namespaces/gone/networks?watch=true&resourceVersion=${old}`,
    );
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    const next = await http().get(
      `${API}/namespaces/gone/networks?limit=1&continue=${page.metadata.continue}`,
    );
    expect([next.status, next.body.reason]).toEqual([410, 'Expired']);
    // From the horizon on, watching works, and the objects are all still listed.
    const fresh = await openWatch(
      api.url,
      `${API}/namespaces/gone/networks?watch=true&resourceVersion=${compacted.compactedResourceVersion}`,
    );
    expect(fresh.status).toBe(200);
    await http().delete(`${API}/namespaces/gone/networks/later`);
    const events = await fresh.until((e) => e.some((x) => x.type === 'DELETED'), 'the delete');
    fresh.close();
    expect(events.map((e) => e.type)).toEqual(['DELETED']);
    const listed = (await http().get(`${API}/namespaces/gone/networks`)).body.items.map(
      (o: ResourceObject) => o.metadata.name,
    );
    expect(listed).toEqual(['g0', 'g1', 'g2']);
  });
});
