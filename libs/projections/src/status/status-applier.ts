import { EntityManager } from 'typeorm';
import type { RecordedEvent, ResourceObject } from '@natgw/contracts';
import { ResourceBatch, StatusMutation } from '../resource-batch';
import { ResourceKey, StoredResource } from '../stored-resource';

/**
 * What a status applier may do, inside the projection's transaction. Reads and
 * writes go through the batch the event is applied in (see ResourceBatch): the
 * table shows the batch's changes only after it is flushed. The calls share that
 * transaction's one connection: await each before the next.
 */
export interface StatusApplierContext {
  /** For set queries over the table; it does not show this batch's changes (see `changedInBatch`). */
  readonly manager: EntityManager;
  /**
   * True when the batch holds the whole read model (a rebuild folding the log in
   * memory): the table is the old read model then, so do not ask it; `find` and
   * `findByUid` know every object.
   */
  readonly complete: boolean;
  find(key: ResourceKey): Promise<StoredResource | undefined>;
  /** Finds an object by uid (allocation streams name gateways and NICs by uid). */
  findByUid(uid: string): Promise<StoredResource | undefined>;
  /** True when this batch changed the object with this uid, so the table's row is older. */
  changedInBatch(uid: string): boolean;
  /** See ResourceBatch.updateStatus: a changed status gets a new resourceVersion and a MODIFIED watch event. */
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

/** The context handed to appliers for the events of one batch. */
export function statusApplierContext(batch: ResourceBatch): StatusApplierContext {
  return {
    manager: batch.manager,
    complete: batch.fold,
    find: (key) => batch.find(key),
    findByUid: (uid) => batch.findByUid(uid),
    changedInBatch: (uid) => batch.changed(uid),
    updateStatus: (key, mutate) => batch.updateStatus(key, mutate),
    setSubresource: (key, subresource, value) => batch.setSubresource(key, subresource, value),
  };
}
