import {
  API_VERSION,
  ObjectMeta,
  ResourceCreatedData,
  ResourceKind,
  ResourceObject,
  ResourceUpdatedData,
} from '@natgw/contracts';

/** The reason of a NATGateway's Ready condition until the allocator has acted on it. */
export const PENDING_REASON = 'Pending';

/**
 * The status of a new object, before natgw's services wrote any: a NATGateway is
 * `Ready=False` (Pending) with no IPs and zero usage; a NetworkInterface has no NAT;
 * a Network holds the VNI of its spec (the api-gateway claims it in the transaction of
 * `NetworkCreated`, so the object appears with it at once; the `NetworkVNIClaimed`
 * applier then changes nothing).
 */
export function initialStatus(
  kind: ResourceKind,
  creationTimestamp: string,
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  switch (kind) {
    case 'NATGateway':
      return {
        ips: [],
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: PENDING_REASON,
            message: 'waiting for the allocator to assign public IPs and NAT slots',
            observedGeneration: 1,
            lastTransitionTime: creationTimestamp,
          },
        ],
        requestedNICs: 0,
        usedSlots: 0,
        totalSlots: 0,
      };
    case 'NetworkInterface':
      return { nat: [] };
    case 'Network':
      return typeof spec.vni === 'number' ? { vni: spec.vni } : {};
    case 'NATGatewayAutoscaler':
      return {};
    default: {
      const never: never = kind;
      throw new RangeError(`unknown kind ${String(never)}`);
    }
  }
}

function withMaps(
  meta: ObjectMeta,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): ObjectMeta {
  const out: ObjectMeta = { ...meta };
  delete out.labels;
  delete out.annotations;
  if (Object.keys(labels).length > 0) out.labels = labels;
  if (Object.keys(annotations).length > 0) out.annotations = annotations;
  return out;
}

/**
 * The object a `<Kind>Created` event describes. Its resourceVersion is filled in
 * when the change is recorded ("" until then, as in a dry run).
 */
export function objectFromCreated(kind: ResourceKind, data: ResourceCreatedData): ResourceObject {
  const meta: ObjectMeta = {
    name: data.name,
    namespace: data.namespace,
    uid: data.uid,
    resourceVersion: '',
    generation: data.generation,
    creationTimestamp: data.creationTimestamp,
  };
  if (data.finalizers.length > 0) meta.finalizers = [...data.finalizers];
  if (data.managedFields) meta.managedFields = data.managedFields;
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: withMaps(meta, data.labels, data.annotations),
    spec: data.spec,
    status: initialStatus(kind, data.creationTimestamp, data.spec),
  };
}

/** The object after a `<Kind>Updated` event (only the parts present in the event change). */
export function objectAfterUpdate(
  object: ResourceObject,
  data: ResourceUpdatedData,
): ResourceObject {
  const meta = withMaps(
    {
      ...object.metadata,
      generation: data.generation,
      ...(data.managedFields ? { managedFields: data.managedFields } : {}),
    },
    data.labels ?? object.metadata.labels ?? {},
    data.annotations ?? object.metadata.annotations ?? {},
  );
  return { ...object, metadata: meta, spec: data.spec ?? object.spec };
}

/** The object once its deletion was requested. */
export function objectBeingDeleted(
  object: ResourceObject,
  deletionTimestamp: string,
): ResourceObject {
  return { ...object, metadata: { ...object.metadata, deletionTimestamp } };
}

const TOP_ORDER = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const META_ORDER = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'labels',
  'annotations',
  'finalizers',
  'managedFields',
];

function ordered<T extends object>(value: T, order: string[]): T {
  const out: Record<string, unknown> = {};
  for (const key of order) if (key in value) out[key] = (value as Record<string, unknown>)[key];
  for (const [key, v] of Object.entries(value)) if (!(key in out)) out[key] = v;
  return out as T;
}

// Fields in the order the API documents them; unknown keys keep their place after these.
const SPEC_ORDER: Record<string, string[]> = {
  NATGateway: ['type', 'ipFamily', 'portsPerNetworkInterface', 'networkRef', 'timeouts', 'logging'],
  NetworkInterface: ['networkRef', 'ips', 'virtualIP', 'nodeName'],
  NATGatewayAutoscaler: ['natGatewayRef', 'minPublicIPs', 'maxPublicIPs'],
};
const STATUS_ORDER: Record<string, string[]> = {
  NATGateway: [
    'ips',
    'conditions',
    'observedGeneration',
    'requestedNICs',
    'usedSlots',
    'totalSlots',
    'minExtraPublicIPsNeeded',
    'portUsage',
  ],
};
const CONDITION_ORDER = [
  'type',
  'status',
  'reason',
  'message',
  'observedGeneration',
  'lastTransitionTime',
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The object with its keys in Kubernetes' order (apiVersion, kind, metadata, spec,
 * status; name first in metadata; spec and status fields as documented): jsonb
 * stores keys sorted by length, which reads oddly in `kubectl get -o yaml`.
 */
export function presentObject(object: ResourceObject): ResourceObject {
  const o = ordered(object, TOP_ORDER);
  o.metadata = ordered(object.metadata, META_ORDER);
  if (isRecord(o.spec)) o.spec = ordered(o.spec, SPEC_ORDER[o.kind] ?? []);
  if (isRecord(o.status)) {
    const status = ordered(o.status, STATUS_ORDER[o.kind] ?? []);
    if (Array.isArray(status.conditions)) {
      status.conditions = status.conditions.map((c: unknown) =>
        isRecord(c) ? ordered(c, CONDITION_ORDER) : c,
      );
    }
    o.status = status;
  }
  return o;
}
