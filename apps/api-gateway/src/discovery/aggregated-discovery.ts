import { MediaRange, parseAccept } from '../http/media-negotiation';
import { ServedGroupVersion, ServedResource, SERVED_GROUP_VERSIONS } from './served-resources';

/** The group of aggregated discovery's documents. */
export const APIDISCOVERY_GROUP = 'apidiscovery.k8s.io';

/** The versions of aggregated discovery natgw serves: v2 (Kubernetes 1.30+) and v2beta1 (1.26–1.32). */
export type AggregatedDiscoveryVersion = 'v2' | 'v2beta1';

const AGGREGATED_KIND = 'APIGroupDiscoveryList';
const PLAIN_JSON = new Set(['application/json', 'application/*', '*/*']);

/** `Content-Type` of an aggregated discovery answer, as client-go recognises it. */
export function aggregatedContentType(version: AggregatedDiscoveryVersion): string {
  return `application/json;g=${APIDISCOVERY_GROUP};v=${version};as=${AGGREGATED_KIND}`;
}

function aggregatedVersionOf(range: MediaRange): AggregatedDiscoveryVersion | undefined {
  if (range.type !== 'application/json') return undefined;
  if (range.params.get('g') !== APIDISCOVERY_GROUP) return undefined;
  if (range.params.get('as') !== AGGREGATED_KIND) return undefined;
  const v = range.params.get('v');
  return v === 'v2' || v === 'v2beta1' ? v : undefined;
}

/**
 * Which discovery document `/api` and `/apis` answer with: the aggregated one (in the
 * version asked for) when the client's most preferred range natgw serves asks for it,
 * else undefined (the classic APIVersions / APIGroupList, for which the caller negotiates).
 */
export function aggregatedDiscoveryAsked(
  accept: string | undefined,
): AggregatedDiscoveryVersion | undefined {
  if (accept === undefined) return undefined;
  for (const range of parseAccept(accept)) {
    const version = aggregatedVersionOf(range);
    if (version) return version;
    if (PLAIN_JSON.has(range.type) && !range.params.has('as')) return undefined;
  }
  return undefined;
}

const kindOf = (gv: ServedGroupVersion, kind: string) => ({
  group: gv.group,
  version: gv.version,
  kind,
});

function discoveredResource(gv: ServedGroupVersion, r: ServedResource): object {
  return {
    resource: r.plural,
    responseKind: kindOf(gv, r.kind),
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(r.subresources.length > 0
      ? {
          subresources: r.subresources.map((s) => ({
            subresource: s.name,
            responseKind: kindOf(gv, s.kind),
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

/**
 * The APIGroupDiscoveryList of `/apis` (every group natgw serves, each with its versions
 * and resources: what `/apis/<group>/<version>` lists, in one document), or of `/api`
 * (`legacy`: natgw serves no core group, so no items).
 */
export function apiGroupDiscoveryList(
  version: AggregatedDiscoveryVersion,
  legacy: boolean,
): object {
  const groups = legacy ? [] : [...new Set(SERVED_GROUP_VERSIONS.map((gv) => gv.group))];
  return {
    kind: AGGREGATED_KIND,
    apiVersion: `${APIDISCOVERY_GROUP}/${version}`,
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group },
      versions: SERVED_GROUP_VERSIONS.filter((gv) => gv.group === group).map((gv) => ({
        version: gv.version,
        resources: gv.resources.map((r) => discoveredResource(gv, r)),
        freshness: 'Current',
      })),
    })),
  };
}
