import { ResourceKind, ResourceObject } from '@natgw/contracts';
import { toJson } from '../http/preserialized-json';
import { IndexedChange, ObjectIndex } from './object-index';

function obj(
  kind: ResourceKind,
  namespace: string,
  name: string,
  rv: number,
  labels?: Record<string, string>,
): ResourceObject {
  return {
    apiVersion: 'networking.ironcore.dev/v1alpha1',
    kind,
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      resourceVersion: String(rv),
      generation: 1,
      creationTimestamp: '2026-12-07T00:00:00Z',
      ...(labels ? { labels } : {}),
    },
    spec: {},
    status: {},
  };
}

const change = (type: IndexedChange['type'], o: ResourceObject): IndexedChange => ({
  type,
  kind: o.kind as ResourceKind,
  namespace: o.metadata.namespace,
  name: o.metadata.name,
  object: o,
});

const all = { labelSelector: [], fieldSelector: [] };

describe('ObjectIndex', () => {
  it('holds the fold of its changes: ADDED and MODIFIED set, DELETED removes', () => {
    const index = new ObjectIndex();
    index.apply(change('ADDED', obj('NATGateway', 'a', 'x', 1)));
    index.apply(change('ADDED', obj('NATGateway', 'a', 'y', 2)));
    index.apply(change('MODIFIED', obj('NATGateway', 'a', 'x', 3)));
    index.apply(change('DELETED', obj('NATGateway', 'a', 'y', 4)));
    expect(index.size).toBe(1);
    expect(index.get('NATGateway', 'a', 'x')?.metadata.resourceVersion).toBe('3');
    expect(index.get('NATGateway', 'a', 'y')).toBeUndefined();
    // A deletion of an object it does not hold changes nothing.
    index.apply(change('DELETED', obj('NATGateway', 'b', 'z', 5)));
    expect(index.size).toBe(1);
  });

  it('keeps kinds apart', () => {
    const index = new ObjectIndex();
    index.apply(change('ADDED', obj('Network', 'a', 'x', 1)));
    expect(index.get('NATGateway', 'a', 'x')).toBeUndefined();
    expect(index.list({ kind: 'NATGateway', ...all }).items).toEqual([]);
  });

  it('lists in (namespace, name) byte order, also after names were added and removed', () => {
    const index = new ObjectIndex();
    for (const [ns, name] of [
      ['b', 'gw1'],
      ['a', 'gw-10'],
      ['a', 'gw1'],
      ['a', 'gw.2'],
      ['a', 'gw10'],
    ]) {
      index.apply(change('ADDED', obj('NATGateway', ns, name, 1)));
    }
    const names = () =>
      index
        .list({ kind: 'NATGateway', ...all })
        .items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(names()).toEqual(['a/gw-10', 'a/gw.2', 'a/gw1', 'a/gw10', 'b/gw1']);
    index.apply(change('ADDED', obj('NATGateway', 'a', 'gw0', 2)));
    index.apply(change('DELETED', obj('NATGateway', 'a', 'gw.2', 3)));
    index.apply(change('MODIFIED', obj('NATGateway', 'b', 'gw1', 4)));
    expect(names()).toEqual(['a/gw-10', 'a/gw0', 'a/gw1', 'a/gw10', 'b/gw1']);
    expect(
      index.list({ kind: 'NATGateway', namespace: 'b', ...all }).items[0].metadata.resourceVersion,
    ).toBe('4');
  });

  it('filters by labels and fields, and pages with the last key of a full page', () => {
    const index = new ObjectIndex();
    for (let i = 0; i < 6; i++) {
      index.apply(
        change('ADDED', obj('NATGateway', 'a', `gw${i}`, i, { even: String(i % 2 === 0) })),
      );
    }
    const evenButGw2 = (limit: number) =>
      index.list({
        kind: 'NATGateway',
        namespace: 'a',
        labelSelector: [{ key: 'even', op: 'eq', value: 'true' }],
        fieldSelector: [{ field: 'metadata.name', op: 'neq', value: 'gw2' }],
        limit,
      });
    const even = evenButGw2(1);
    expect(even.items.map((o) => o.metadata.name)).toEqual(['gw0']);
    expect(even.next).toEqual({ namespace: 'a', name: 'gw0' });
    const rest = evenButGw2(2);
    // Exactly `limit` matches: no next page.
    expect(rest.items.map((o) => o.metadata.name)).toEqual(['gw0', 'gw4']);
    expect(rest.next).toBeUndefined();
  });

  it('freezes what it holds and serves the JSON text JSON.stringify makes', () => {
    const index = new ObjectIndex();
    const o = obj('NATGateway', 'a', 'x', 1, { app: 'web' });
    const expected = JSON.stringify(o);
    index.apply(change('ADDED', o));
    const held = index.get('NATGateway', 'a', 'x')!;
    expect(Object.isFrozen(held.metadata.labels)).toBe(true);
    expect(() => {
      (held.metadata as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(toJson(held)).toBe(expected);
  });

  it('clear forgets everything', () => {
    const index = new ObjectIndex();
    index.apply(change('ADDED', obj('NATGateway', 'a', 'x', 1)));
    index.clear();
    expect(index.size).toBe(0);
    expect(index.get('NATGateway', 'a', 'x')).toBeUndefined();
  });
});
