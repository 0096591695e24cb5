import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { foldPool, initialIpPoolState, IpPoolEvent, IpPoolState } from '@natgw/domain';
import { PostgresEventStore } from '@natgw/event-store';

/** One pool as folded from its stream. */
export interface StoredPool {
  name: string;
  streamId: string;
  version: number;
  state: IpPoolState;
  createdAt?: string;
}

/** The `ippool:<name>` stream of a pool. */
export function ipPoolStreamId(name: string): string {
  return `ippool:${name}`;
}

/** Reads IP pools by folding their streams from the log (the source of truth, never stale). */
@Injectable()
export class IpPoolBook {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
  ) {}

  /** One pool; with `manager`, read inside the caller's transaction. */
  async get(name: string, manager?: EntityManager): Promise<StoredPool | undefined> {
    const events = await this.store.readStream(ipPoolStreamId(name), manager ? { manager } : {});
    if (events.length === 0) return undefined;
    return {
      name,
      streamId: ipPoolStreamId(name),
      version: events[events.length - 1].version,
      state: foldPool(initialIpPoolState(), events as unknown as IpPoolEvent[]),
      createdAt: events[0].recordedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  /** Every pool that ever had an event, by name. */
  async all(manager?: EntityManager): Promise<StoredPool[]> {
    const rows: Array<{ stream_id: string }> = await (manager ?? this.dataSource.manager).query(
      `SELECT stream_id FROM natgw_streams WHERE stream_id LIKE 'ippool:%' ORDER BY stream_id`,
    );
    const pools: StoredPool[] = [];
    for (const r of rows) {
      const p = await this.get(r.stream_id.slice('ippool:'.length), manager);
      if (p) pools.push(p);
    }
    return pools;
  }
}
