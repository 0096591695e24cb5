import { apiResourceList } from './discovery-documents';
import {
  aggregatedContentType,
  aggregatedDiscoveryAsked,
  apiGroupDiscoveryList,
} from './aggregated-discovery';
import { SERVED_GROUP_VERSIONS } from './served-resources';

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

describe('aggregatedDiscoveryAsked', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['application/json', undefined],
    ['*/*', undefined],
    [V2, 'v2'],
    [V2BETA1, 'v2beta1'],
    // kubectl 1.31's header: v2 first, then v2beta1, then plain JSON.
    [`${V2},${V2BETA1},application/json`, 'v2'],
    [`${V2BETA1},application/json`, 'v2beta1'],
    [`application/json,${V2}`, undefined],
    [`${V2};q=0.5,application/json`, undefined],
    [`application/json;q=0.5,${V2}`, 'v2'],
    [
      'application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json',
      undefined,
    ],
    ['application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscovery', undefined],
    // A Table range natgw does not serve here is passed over, as negotiate() does.
    [`application/json;as=Table;v=v1;g=meta.k8s.io,${V2}`, 'v2'],
  ])('%j asks for %s', (accept, expected) => {
    expect(aggregatedDiscoveryAsked(accept)).toBe(expected);
  });
});

describe('apiGroupDiscoveryList', () => {
  type Doc = {
    kind: string;
    apiVersion: string;
    items: Array<{
      metadata: { name: string };
      versions: Array<{
        version: string;
        freshness: string;
        resources: Array<{
          resource: string;
          responseKind: { group: string; version: string; kind: string };
          scope: string;
          singularResource: string;
          verbs: string[];
          shortNames?: string[];
          subresources?: Array<{ subresource: string; verbs: string[] }>;
        }>;
      }>;
    }>;
  };

  it('lists for /apis exactly what the classic APIResourceLists list, per group and version', () => {
    const doc = apiGroupDiscoveryList('v2', false) as Doc;
    expect(doc.kind).toBe('APIGroupDiscoveryList');
    expect(doc.apiVersion).toBe('apidiscovery.k8s.io/v2');
    // The oracle: the classic per-version documents, flattened back.
    for (const gv of SERVED_GROUP_VERSIONS) {
      const classic = apiResourceList(gv) as {
        resources: Array<{
          name: string;
          singularName: string;
          namespaced: boolean;
          kind: string;
          verbs: string[];
          shortNames?: string[];
        }>;
      };
      const group = doc.items.find((i) => i.metadata.name === gv.group)!;
      const version = group.versions.find((v) => v.version === gv.version)!;
      expect(version.freshness).toBe('Current');
      const flattened = version.resources.flatMap((r) => [
        {
          name: r.resource,
          singularName: r.singularResource,
          namespaced: r.scope === 'Namespaced',
          kind: r.responseKind.kind,
          verbs: r.verbs,
          shortNames: r.shortNames ?? [],
        },
        ...(r.subresources ?? []).map((s) => ({
          name: `${r.resource}/${s.subresource}`,
          verbs: s.verbs,
        })),
      ]);
      expect(flattened).toEqual(
        classic.resources.map((c) =>
          c.name.includes('/')
            ? { name: c.name, verbs: c.verbs }
            : { ...c, shortNames: c.shortNames ?? [] },
        ),
      );
      for (const r of version.resources)
        expect(r.responseKind).toMatchObject({ group: gv.group, version: gv.version });
    }
    expect(doc.items.map((i) => i.metadata.name)).toEqual([
      'networking.ironcore.dev',
      'natgw.ironcore.dev',
    ]);
  });

  it('has no items for /api (no core group) and names the version asked for', () => {
    expect(apiGroupDiscoveryList('v2beta1', true)).toEqual({
      kind: 'APIGroupDiscoveryList',
      apiVersion: 'apidiscovery.k8s.io/v2beta1',
      metadata: {},
      items: [],
    });
    expect(aggregatedContentType('v2beta1')).toBe(V2BETA1);
  });
});
