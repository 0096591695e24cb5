import { ResourceObject } from '@natgw/contracts';
import { KeyedChange, ResourceReader } from '@natgw/projections';
import { ApiGatewayConfig } from '../api-gateway.config';
import { ReadCache } from './read-cache';

function network(name: string, rv: number): ResourceObject {
  return {
    apiVersion: 'networking.ironcore.dev/v1alpha1',
    kind: 'Network',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: String(rv),
      generation: 1,
      creationTimestamp: '2026-12-07T00:00:00Z',
    },
    spec: {},
    status: {},
  };
}

/**
 * A read model in memory: a change log and a counter. Each query sees the log as it is when
 * the query starts, and answers only when the test lets it (`finish`).
 */
class FakeReadModel {
  log: KeyedChange[] = [];
  counter = 0;
  compacted = 0n;
  queries = 0;
  private pending: Array<() => void> = [];

  write(type: KeyedChange['type'], name: string): string {
    const rv = String(++this.counter);
    this.log.push({
      resourceVersion: rv,
      type,
      kind: 'Network',
      namespace: 'ns',
      name,
      object: network(name, Number(rv)),
    });
    return rv;
  }

  /** Compaction as the read model does it: up to the newest version, each key keeps its newest change, unless a deletion. */
  compact(): void {
    const newest = new Map<string, KeyedChange>();
    for (const c of this.log) newest.set(c.name, c);
    this.log = [...newest.values()].filter((c) => c.type !== 'DELETED');
    this.compacted = BigInt(this.counter);
  }

  /** Lets every query started so far answer. */
  finish(): void {
    const p = this.pending;
    this.pending = [];
    p.forEach((f) => f());
  }

  reader(): ResourceReader {
    const snapshot = () => ({
      last: String(this.counter),
      compacted: String(this.compacted),
      log: [...this.log],
    });
    const later = <T>(value: T) =>
      new Promise<T>((resolve) => this.pending.push(() => resolve(value)));
    return {
      allObjects: () => {
        this.queries++;
        const s = snapshot();
        const objects = new Map<string, KeyedChange>();
        for (const c of s.log) {
          if (c.type === 'DELETED') objects.delete(c.name);
          else objects.set(c.name, c);
        }
        return later({
          lastResourceVersion: s.last,
          compactedResourceVersion: s.compacted,
          objects: [...objects.values()].map(({ kind, namespace, name, object }) => ({
            kind,
            namespace,
            name,
            object,
          })),
        });
      },
      changesOfAllKinds: (after: string, limit: number) => {
        this.queries++;
        const s = snapshot();
        return later({
          lastResourceVersion: s.last,
          compactedResourceVersion: s.compacted,
          changes: s.log.filter((c) => BigInt(c.resourceVersion) > BigInt(after)).slice(0, limit),
        });
      },
      sortsByteWise: () => Promise.resolve(true),
    } as unknown as ResourceReader;
  }
}

const config = Object.assign(new ApiGatewayConfig(), { API_READ_CACHE: 'true' });
const tick = () => new Promise((r) => setImmediate(r));

describe('ReadCache', () => {
  it('answers a read only from a query that started after the read: a write acknowledged before it shows', async () => {
    const model = new FakeReadModel();
    const cache = new ReadCache(model.reader(), config);
    const first = cache.get('Network', 'ns', 'a');
    await tick();
    // A write commits while the first query runs; a read that comes after it must see it.
    model.write('ADDED', 'a');
    const second = cache.get('Network', 'ns', 'a');
    model.finish();
    expect(await first).toBeUndefined();
    await tick();
    model.finish();
    expect((await second)?.metadata.name).toBe('a');
  });

  it('lets the reads that arrive during one query share the next one', async () => {
    const model = new FakeReadModel();
    const cache = new ReadCache(model.reader(), config);
    const loading = cache.fresh();
    await tick();
    const waiting = Array.from({ length: 20 }, () =>
      cache.list({ kind: 'Network', labelSelector: [], fieldSelector: [] }),
    );
    model.finish();
    await loading;
    await tick();
    expect(model.queries).toBe(2);
    model.finish();
    const pages = await Promise.all(waiting);
    expect(model.queries).toBe(2);
    expect(pages.every((p) => p?.resourceVersion === '0')).toBe(true);
  });

  it('follows the change log, and reloads when compaction passed its version', async () => {
    const model = new FakeReadModel();
    const cache = new ReadCache(model.reader(), config);
    model.write('ADDED', 'a');
    model.write('ADDED', 'b');
    const read = async () => {
      const p = cache.list({ kind: 'Network', labelSelector: [], fieldSelector: [] });
      for (let i = 0; i < 5; i++) {
        await tick();
        model.finish();
      }
      return p;
    };
    expect((await read())?.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    model.write('DELETED', 'a');
    model.write('MODIFIED', 'b');
    const page = await read();
    expect(page?.items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)).toEqual([
      'b@4',
    ]);
    expect(page?.resourceVersion).toBe('4');
    // b deleted, and that change compacted away before the copy read it: it must reload.
    model.write('DELETED', 'b');
    model.compact();
    const queriesBefore = model.queries;
    const after = await read();
    expect(after?.items).toEqual([]);
    expect(model.queries - queriesBefore).toBe(2);
  });
});
