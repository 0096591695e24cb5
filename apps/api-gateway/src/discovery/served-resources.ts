import {
  API_GROUP,
  API_VERSION_NAME,
  NATGW_API_GROUP,
  RESOURCE_KINDS,
  ResourceKindInfo,
} from '@natgw/contracts';

/** A subresource as discovery lists it: `natgateways/status`. */
export interface ServedSubresource {
  name: string;
  kind: string;
  verbs: readonly string[];
}

/** One resource natgw serves, as discovery (APIResourceList) describes it. */
export interface ServedResource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: readonly string[];
  shortNames: readonly string[];
  subresources: readonly ServedSubresource[];
}

/** The resources of one group/version. */
export interface ServedGroupVersion {
  group: string;
  version: string;
  resources: readonly ServedResource[];
}

// deletecollection is not served (405), so it is not listed: kubectl then deletes one by one.
const RESOURCE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function networkingResource(info: ResourceKindInfo): ServedResource {
  const subresources: ServedSubresource[] = [{ name: 'status', kind: info.kind, verbs: ['get'] }];
  if (info.kind === 'NATGateway')
    subresources.push({ name: 'nattable', kind: 'NATTable', verbs: ['get'] });
  // An admin ends a deletion the allocator cannot finish (POST, like namespaces/finalize).
  if (info.finalizers.length > 0)
    subresources.push({ name: 'finalize', kind: info.kind, verbs: ['create'] });
  return {
    group: API_GROUP,
    version: API_VERSION_NAME,
    plural: info.plural,
    singular: info.singular,
    kind: info.kind,
    namespaced: true,
    verbs: RESOURCE_VERBS,
    shortNames: info.shortNames,
    subresources,
  };
}

/** The admin IPPool: cluster-scoped, without watch (its controller serves no watch). */
export const IP_POOL_RESOURCE: ServedResource = {
  group: NATGW_API_GROUP,
  version: 'v1alpha1',
  plural: 'ippools',
  singular: 'ippool',
  kind: 'IPPool',
  namespaced: false,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
  shortNames: ['ipp'],
  subresources: [],
};

/** The admin NATGatewayQuota: namespaced, without watch (its controller serves no watch). */
export const QUOTA_RESOURCE: ServedResource = {
  group: NATGW_API_GROUP,
  version: 'v1alpha1',
  plural: 'natgatewayquotas',
  singular: 'natgatewayquota',
  kind: 'NATGatewayQuota',
  namespaced: true,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
  shortNames: ['natgwquota'],
  subresources: [],
};

/**
 * Every group/version natgw serves, in the order discovery lists them: the
 * Ironcore kinds first (the preferred group for their short names), then the admin group.
 */
export const SERVED_GROUP_VERSIONS: readonly ServedGroupVersion[] = [
  {
    group: API_GROUP,
    version: API_VERSION_NAME,
    resources: RESOURCE_KINDS.map(networkingResource),
  },
  { group: NATGW_API_GROUP, version: 'v1alpha1', resources: [IP_POOL_RESOURCE, QUOTA_RESOURCE] },
];

/** The group/version of a URL, if natgw serves it. */
export function servedGroupVersion(group: string, version: string): ServedGroupVersion | undefined {
  return SERVED_GROUP_VERSIONS.find((gv) => gv.group === group && gv.version === version);
}
