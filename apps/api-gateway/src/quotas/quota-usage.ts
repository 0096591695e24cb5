import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ResourceKind, resourceEventType, resourceStreamId } from '@natgw/contracts';
import { QuotaAmounts, QuotaResource } from '@natgw/domain';
import { PostgresEventStore } from '@natgw/event-store';

/** The kinds whose objects a quota counts, by the quota resource that counts them. */
export const COUNTED_KINDS: Partial<Record<ResourceKind, QuotaResource>> = {
  NATGateway: 'natgateways',
  NetworkInterface: 'networkinterfaces',
};

/**
 * What a namespace uses, all of it a function of the log. Objects are counted from the log
 * itself (a stream whose last event is not `<Kind>Deleted` is a live object, one being deleted
 * included: it holds its resources until the allocator finalizes it), so a count inside the
 * create transaction sees every committed create. Public IPs are those the namespace's
 * gateways hold (status.ips in the resources read model, filled from allocation events).
 */
@Injectable()
export class QuotaUsage {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly dataSource: DataSource,
  ) {}

  /** Live objects of a kind in a namespace, counted from the log. */
  async liveObjects(kind: ResourceKind, namespace: string, manager?: EntityManager) {
    const prefix = resourceStreamId(kind, namespace, '');
    const deleted = resourceEventType(kind, 'Deleted');
    const streams = await this.store.streamsWithPrefix(prefix, manager);
    return streams.filter((s) => s.lastType !== deleted).length;
  }

  /** Public IPs held by the namespace's gateways, or by one of them. */
  async publicIPs(namespace: string, gateway?: string): Promise<number> {
    const rows: Array<{ ips: string }> = await this.dataSource.query(
      `SELECT COALESCE(SUM(jsonb_array_length(
                CASE WHEN jsonb_typeof(object->'status'->'ips') = 'array'
                     THEN object->'status'->'ips' ELSE '[]'::jsonb END)), 0)::text AS ips
         FROM natgw_resources
        WHERE kind = 'NATGateway' AND namespace = $1 AND ($2::text IS NULL OR name = $2)`,
      [namespace, gateway ?? null],
    );
    return Number(rows[0]?.ips ?? 0);
  }

  /** Everything a namespace uses. */
  async used(namespace: string): Promise<Required<QuotaAmounts>> {
    return {
      natgateways: await this.liveObjects('NATGateway', namespace),
      networkinterfaces: await this.liveObjects('NetworkInterface', namespace),
      publicIPs: await this.publicIPs(namespace),
    };
  }
}
