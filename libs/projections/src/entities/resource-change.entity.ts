import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ResourceKind, ResourceObject } from '@natgw/contracts';

/** What a change did to an object, as a watch reports it. */
export type ResourceChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One change of one object, numbered by its resourceVersion (`natgw_resource_changes`).
 * Watches replay it; paginated lists read older states from it. Compaction keeps
 * every change after the horizon and, before it, each object's newest change.
 */
@Entity({ name: 'natgw_resource_changes' })
@Index('natgw_resource_changes_kind_rv_idx', ['kind', 'resourceVersion'])
@Index('natgw_resource_changes_key_rv_idx', ['kind', 'namespace', 'name', 'resourceVersion'])
export class ResourceChangeRecord {
  @PrimaryColumn({ name: 'resource_version', type: 'bigint' })
  resourceVersion!: string;

  @Column({ type: 'text' })
  kind!: ResourceKind;

  @Column({ type: 'text' })
  namespace!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'uuid' })
  uid!: string;

  @Column({ type: 'text' })
  type!: ResourceChangeType;

  /** The object after the change (for DELETED: its last state, with this resourceVersion). */
  @Column({ type: 'jsonb' })
  object!: ResourceObject;

  /** The labels before the change (null for ADDED): a filtered watch turns label changes into ADDED/DELETED. */
  @Column({ name: 'old_labels', type: 'jsonb', nullable: true })
  oldLabels!: Record<string, string> | null;

  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt!: Date;
}
