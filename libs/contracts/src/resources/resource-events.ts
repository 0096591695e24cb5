import { RecordedEvent } from '../events';
import { isResourceKind, ResourceKind } from './kinds';
import { ManagedFieldsEntry } from './object-meta';

/** The life-cycle steps every resource stream records. */
export type ResourceAction = 'Created' | 'Updated' | 'DeletionRequested' | 'Deleted';

export const RESOURCE_ACTIONS: readonly ResourceAction[] = [
  'Created',
  'Updated',
  'DeletionRequested',
  'Deleted',
];

/** E.g. `NATGatewayCreated`, `NetworkInterfaceDeletionRequested`. */
export type ResourceEventType<K extends ResourceKind = ResourceKind> = `${K}${ResourceAction}`;

/**
 * `<Kind>Created`: a new incarnation (fresh uid) of the object named by the stream.
 * The spec has its defaults applied.
 */
export interface ResourceCreatedData<Spec = Record<string, unknown>> {
  uid: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  finalizers: string[];
  spec: Spec;
  generation: 1;
  creationTimestamp: string;
  /** metadata.managedFields of the new object (absent in events recorded before server-side apply). */
  managedFields?: ManagedFieldsEntry[];
}

/**
 * `<Kind>Updated`: only what changed is present, each as its complete new value.
 * `generation` is the object's generation after the update (bumped when `spec` is present).
 */
export interface ResourceUpdatedData<Spec = Record<string, unknown>> {
  uid: string;
  generation: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: Spec;
  /** The new metadata.managedFields, when they changed. */
  managedFields?: ManagedFieldsEntry[];
}

/** `<Kind>DeletionRequested`: the object shows `deletionTimestamp` until `<Kind>Deleted`. */
export interface ResourceDeletionRequestedData {
  uid: string;
  deletionTimestamp: string;
}

/**
 * `<Kind>Deleted`: the incarnation is gone. For kinds with finalizers (NATGateway,
 * NetworkInterface) the allocator appends it once it released what the object held;
 * for the others the API appends it together with DeletionRequested.
 */
export interface ResourceDeletedData {
  uid: string;
  /**
   * Set when an admin forced the finalization (`POST .../finalize`) because the
   * allocator could not finish it: who, and the reason they gave.
   */
  forced?: { by: string; reason?: string };
}

/** The data of each resource action. */
export interface ResourceEventDataMap<Spec = Record<string, unknown>> {
  Created: ResourceCreatedData<Spec>;
  Updated: ResourceUpdatedData<Spec>;
  DeletionRequested: ResourceDeletionRequestedData;
  Deleted: ResourceDeletedData;
}

/** A resource event, decoded from its type name. */
export type ResourceEvent = {
  [A in ResourceAction]: {
    kind: ResourceKind;
    action: A;
    data: ResourceEventDataMap[A];
    event: RecordedEvent;
  };
}[ResourceAction];

/** The event type name for a kind and action, e.g. `NATGatewayDeleted`. */
export function resourceEventType<K extends ResourceKind>(
  kind: K,
  action: ResourceAction,
): ResourceEventType<K> {
  return `${kind}${action}`;
}

const DECODE = new Map<string, { kind: ResourceKind; action: ResourceAction }>();
for (const kind of ['Network', 'NetworkInterface', 'NATGateway', 'NATGatewayAutoscaler'] as const) {
  for (const action of RESOURCE_ACTIONS)
    DECODE.set(resourceEventType(kind, action), { kind, action });
}

/** Decodes an event type such as `NATGatewayAutoscalerUpdated` (undefined for other types). */
export function parseResourceEventType(
  type: string,
): { kind: ResourceKind; action: ResourceAction } | undefined {
  const found = DECODE.get(type);
  return found && isResourceKind(found.kind) ? found : undefined;
}

/** Decodes a recorded event as a resource event (undefined for other events). */
export function asResourceEvent(event: RecordedEvent): ResourceEvent | undefined {
  const parsed = parseResourceEventType(event.type);
  if (!parsed) return undefined;
  return { ...parsed, data: event.data, event } as ResourceEvent;
}

/** The `source` of every event the api-gateway appends. */
export const API_GATEWAY_SOURCE = '/natgw/api-gateway';
