import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The one row that numbers changes (`natgw_resource_versions`). Every writer of
 * changes increments `last_rv` first; the row lock it takes until commit makes
 * resourceVersions monotonic in commit order.
 */
@Entity({ name: 'natgw_resource_versions' })
export class ResourceVersionState {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  /** The newest resourceVersion handed out. */
  @Column({ name: 'last_rv', type: 'bigint' })
  lastResourceVersion!: string;

  /** Changes at or below this version were compacted: watching or paging from before it gives 410. */
  @Column({ name: 'compacted_rv', type: 'bigint' })
  compactedResourceVersion!: string;
}
