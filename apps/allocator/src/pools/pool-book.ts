import { EntityManager } from 'typeorm';
import { PostgresEventStore } from '@natgw/event-store';
import {
  compareIps,
  foldPool,
  freeIps,
  hasFamily,
  initialIpPoolState,
  IpFamily,
  IpPoolEvent,
  IpPoolState,
  prefixOf,
} from '@natgw/domain';
import { Folded, FoldedStreamCache } from '../state/folded-stream';

/** The stream of a named IP pool. */
export function poolStreamId(name: string): string {
  return `ippool:${name}`;
}

/** True for the stream of an IP pool. */
export function isPoolStream(streamId: string): boolean {
  return streamId.startsWith(poolStreamId(''));
}

/** Every IP pool, folded: where free addresses come from and which pool owns an address. */
export class PoolBook {
  constructor(readonly pools: Folded<IpPoolState>[]) {}

  /** Loads every `ippool:*` stream, oldest name first. */
  static async load(
    store: PostgresEventStore,
    cache: FoldedStreamCache<IpPoolState, IpPoolEvent>,
    manager: EntityManager,
  ): Promise<PoolBook> {
    return PoolBook.loadRows(
      cache,
      manager,
      await manager.query(
        `SELECT stream_id, version FROM natgw_streams WHERE stream_id LIKE 'ippool:%' ORDER BY stream_id`,
      ),
    );
  }

  /** The pools of these stream rows; a pool whose cached state has the row's version is not read. */
  private static async loadRows(
    cache: FoldedStreamCache<IpPoolState, IpPoolEvent>,
    manager: EntityManager,
    rows: Array<{ stream_id: string; version: number }>,
  ): Promise<PoolBook> {
    const pools: Folded<IpPoolState>[] = [];
    for (const row of rows) pools.push(await cache.load(row.stream_id, manager, row.version));
    return new PoolBook(pools);
  }

  /**
   * Locks every `ippool:*` stream's row (in stream order, so two lockers cannot deadlock)
   * until the caller's transaction ends, then loads the pools: nobody else can append to
   * them meanwhile, so claims decided on this book cannot lose a race.
   */
  static async lockAndLoad(
    store: PostgresEventStore,
    cache: FoldedStreamCache<IpPoolState, IpPoolEvent>,
    manager: EntityManager,
  ): Promise<PoolBook> {
    // One round trip while the lock is held: the locked rows' versions tell which cached
    // pools are current.
    return PoolBook.loadRows(
      cache,
      manager,
      await manager.query(
        `SELECT stream_id, version FROM natgw_streams WHERE stream_id LIKE 'ippool:%'
          ORDER BY stream_id FOR UPDATE`,
      ),
    );
  }

  hasFamily(family: IpFamily): boolean {
    return this.pools.some((p) => hasFamily(p.state, family));
  }

  /** Free addresses of a family across all pools, lowest first, lazily merged. */
  *freeIps(family: IpFamily): Generator<string, void, undefined> {
    const iterators = this.pools.map((p) => freeIps(p.state, family));
    const heads = iterators.map((it) => it.next());
    let last: string | undefined;
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h.done) continue;
        if (best < 0 || compareIps(h.value, heads[best].value as string) < 0) best = i;
      }
      if (best < 0) return;
      const ip = heads[best].value as string;
      heads[best] = iterators[best].next();
      if (ip === last) continue;
      last = ip;
      yield ip;
    }
  }

  /** The pool whose prefixes contain an address. */
  ownerOf(ip: string): Folded<IpPoolState> | undefined {
    return this.pools.find((p) => prefixOf(p.state, ip) !== undefined);
  }

  /** The pools in which a gateway holds claims. */
  poolsClaimedBy(gatewayUid: string): Folded<IpPoolState>[] {
    return this.pools.filter((p) => [...p.state.claims.values()].includes(gatewayUid));
  }
}

/** Folds a pool stream's events (the cache's fold function). */
export function foldPoolEvents(state: IpPoolState, events: IpPoolEvent[]): IpPoolState {
  return foldPool(state, events);
}

export { initialIpPoolState };
