import { EntityManager } from 'typeorm';
import type { RecordedEvent, ResourceObject } from '@natgw/contracts';
import { setResourceSubresource } from '../resource-change-log';
import { findResource, findResourceByUid, ResourceKey, StoredResource } from '../stored-resource';
import { StatusMutation, updateResourceStatus } from './update-resource-status';

/**
 * What a status applier may do, inside the projection's transaction. The calls
 * share that transaction's one connection: await each before the next.
 */
export interface StatusApplierContext {
  readonly manager: EntityManager;
  find(key: ResourceKey): Promise<StoredResource | undefined>;
  /** Finds an object by uid (allocation streams name gateways and NICs by uid). */
  findByUid(uid: string): Promise<StoredResource | undefined>;
  /** See updateResourceStatus: a changed status gets a new resourceVersion and a MODIFIED watch event. */
  updateStatus(key: ResourceKey, mutate: StatusMutation): Promise<ResourceObject | undefined>;
  /** Replaces a document served beside the object, e.g. a NATGateway's `nattable`. */
  setSubresource(key: ResourceKey, subresource: string, value: unknown): Promise<boolean>;
}

/**
 * The subresource a NATGateway's NAT table is stored under, served at
 * `natgateways/{name}/nattable`. Shape: `{ips: [{ip, sections: [{ip, port,
 * endPort, targetRef: {name, uid, nodeName}}]}]}` (the API sorts it on read).
 */
export const NAT_TABLE_SUBRESOURCE = 'nattable';

/** Writes status from one event of another service (allocator, dataplane-executor). */
export type StatusApplier = (event: RecordedEvent, ctx: StatusApplierContext) => Promise<void>;

/** A status applier and the event types it handles. */
export interface StatusApplierRegistration {
  /** For logs and errors, e.g. `allocation-status`. */
  name: string;
  eventTypes: readonly string[];
  apply: StatusApplier;
}

/** The context handed to appliers for one event. */
export function statusApplierContext(manager: EntityManager): StatusApplierContext {
  return {
    manager,
    find: (key) => findResource(manager, key),
    findByUid: (uid) => findResourceByUid(manager, uid),
    updateStatus: (key, mutate) => updateResourceStatus(manager, key, mutate),
    setSubresource: (key, subresource, value) =>
      setResourceSubresource(manager, key, subresource, value),
  };
}
