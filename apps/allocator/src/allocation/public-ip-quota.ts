import { EntityManager } from 'typeorm';
import { quotaLimit } from '@natgw/domain';
import { PostgresEventStore } from '@natgw/event-store';
import { QuotaReader } from '@natgw/projections';
import { PoolBook } from '../pools/pool-book';
import { GatewayRecord } from '../state/resource-inputs';

/**
 * The publicIPs limit of a namespace's NATGatewayQuotas, for the allocator: the most public IPs
 * the namespace's gateways hold together. Reconciles of one namespace's gateways serialize on a
 * transaction-scoped advisory lock while a quota limits public IPs (replicas and networks
 * included), so the claims they count are every claim committed before.
 */
export class PublicIpQuota {
  private readonly quotas: QuotaReader;

  constructor(store: PostgresEventStore) {
    this.quotas = new QuotaReader(store);
  }

  /** The namespace's publicIPs limit, taking the namespace's lock; undefined (no lock) without one. */
  async lockLimit(namespace: string, manager: EntityManager): Promise<number | undefined> {
    const quotas = (await this.quotas.list(namespace, manager)).map((q) => ({
      name: q.name,
      hard: q.state.hard,
    }));
    const limit = quotaLimit(quotas, 'publicIPs');
    if (limit === undefined) return undefined;
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `natgw-quota:${namespace}:publicIPs`,
    ]);
    return limit;
  }

  /** How many public IPs the gateway may hold: what it holds plus what the others leave of `limit`. */
  async budget(
    limit: number,
    gateway: GatewayRecord,
    book: PoolBook,
    manager: EntityManager,
  ): Promise<number> {
    const rows: Array<{ uid: string }> = await manager.query(
      `SELECT uid::text AS uid FROM natgw_resources WHERE kind = 'NATGateway' AND namespace = $1`,
      [gateway.namespace],
    );
    const others = new Set(rows.map((r) => r.uid).filter((uid) => uid !== gateway.uid));
    let heldByOthers = 0;
    for (const pool of book.pools) {
      for (const owner of pool.state.claims.values()) if (others.has(owner)) heldByOthers++;
    }
    return Math.max(0, limit - heldByOthers);
  }
}
