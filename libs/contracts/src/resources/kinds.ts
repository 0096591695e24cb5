import { ALLOCATION_FINALIZER } from './api-group';

/** The resource kinds of `networking.ironcore.dev/v1alpha1` that natgw serves. */
export type ResourceKind = 'Network' | 'NetworkInterface' | 'NATGateway' | 'NATGatewayAutoscaler';

/** What natgw knows about a kind: its names on the wire and in the log. */
export interface ResourceKindInfo {
  kind: ResourceKind;
  /** The URL segment, e.g. `natgateways`. */
  plural: string;
  singular: string;
  shortNames: readonly string[];
  /** The stream category: streams are `<category>:<namespace>/<name>`. */
  streamCategory: string;
  /** Finalizers every new object gets; without any, a DELETE removes the object at once. */
  finalizers: readonly string[];
  /** DNS-1123 `label` (63 chars, no dots) or `subdomain` (253 chars, dots allowed). */
  nameRule: 'label' | 'subdomain';
}

/** Every kind, in a stable order. */
export const RESOURCE_KINDS: readonly ResourceKindInfo[] = [
  {
    kind: 'Network',
    plural: 'networks',
    singular: 'network',
    shortNames: ['nw'],
    streamCategory: 'network',
    finalizers: [],
    nameRule: 'subdomain',
  },
  {
    kind: 'NetworkInterface',
    plural: 'networkinterfaces',
    singular: 'networkinterface',
    shortNames: ['nic'],
    streamCategory: 'networkinterface',
    finalizers: [ALLOCATION_FINALIZER],
    nameRule: 'subdomain',
  },
  {
    kind: 'NATGateway',
    plural: 'natgateways',
    singular: 'natgateway',
    shortNames: ['natgw'],
    streamCategory: 'natgateway',
    finalizers: [ALLOCATION_FINALIZER],
    nameRule: 'label',
  },
  {
    kind: 'NATGatewayAutoscaler',
    plural: 'natgatewayautoscalers',
    singular: 'natgatewayautoscaler',
    shortNames: ['natgwas'],
    streamCategory: 'natgatewayautoscaler',
    finalizers: [],
    nameRule: 'subdomain',
  },
];

const BY_KIND = new Map(RESOURCE_KINDS.map((k) => [k.kind, k]));
const BY_PLURAL = new Map(RESOURCE_KINDS.map((k) => [k.plural, k]));
const BY_CATEGORY = new Map(RESOURCE_KINDS.map((k) => [k.streamCategory, k]));

/** The kind served under a URL segment such as `natgateways`, if any. */
export function kindByPlural(plural: string): ResourceKindInfo | undefined {
  return BY_PLURAL.get(plural);
}

/** The descriptor of a kind. */
export function kindInfo(kind: ResourceKind): ResourceKindInfo {
  const info = BY_KIND.get(kind);
  if (!info) throw new RangeError(`unknown resource kind ${String(kind)}`);
  return info;
}

/** True for a string that names one of natgw's kinds. */
export function isResourceKind(value: unknown): value is ResourceKind {
  return typeof value === 'string' && BY_KIND.has(value as ResourceKind);
}

/** The stream that holds every incarnation of one object: `natgateway:default/natgateway-sample`. */
export function resourceStreamId(kind: ResourceKind, namespace: string, name: string): string {
  return `${kindInfo(kind).streamCategory}:${namespace}/${name}`;
}

/** Splits a resource stream id back into kind, namespace and name (undefined for other streams). */
export function parseResourceStreamId(
  streamId: string,
): { kind: ResourceKind; namespace: string; name: string } | undefined {
  const colon = streamId.indexOf(':');
  const slash = streamId.indexOf('/', colon);
  if (colon < 0 || slash < 0) return undefined;
  const info = BY_CATEGORY.get(streamId.slice(0, colon));
  if (!info) return undefined;
  return {
    kind: info.kind,
    namespace: streamId.slice(colon + 1, slash),
    name: streamId.slice(slash + 1),
  };
}
