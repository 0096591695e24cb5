import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ResourceKind, ResourceObject } from '@natgw/contracts';

/** The current state of one object, as the API serves it (`natgw_resources`). */
@Entity({ name: 'natgw_resources' })
@Index('natgw_resources_uid_key', ['uid'], { unique: true })
export class ResourceRecord {
  @PrimaryColumn({ type: 'text' })
  kind!: ResourceKind;

  @PrimaryColumn({ type: 'text' })
  namespace!: string;

  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ type: 'uuid' })
  uid!: string;

  /** The resourceVersion of the object's latest change (bigint: a decimal string). */
  @Column({ name: 'resource_version', type: 'bigint' })
  resourceVersion!: string;

  /** The version of the object's stream after the last event applied: the expected version of the next write. */
  @Column({ name: 'stream_version', type: 'integer' })
  streamVersion!: number;

  @Column({ type: 'jsonb' })
  labels!: Record<string, string>;

  /** The whole object as served, `metadata.resourceVersion` included. */
  @Column({ type: 'jsonb' })
  object!: ResourceObject;

  /** Documents served beside the object, e.g. a NATGateway's `nattable`. */
  @Column({ type: 'jsonb' })
  subresources!: Record<string, unknown>;
}
