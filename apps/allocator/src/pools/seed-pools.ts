import { DataSource } from 'typeorm';
import { decidePool, parsePrefix, prefixesOverlap } from '@natgw/domain';
import { ConcurrencyError, PostgresEventStore } from '@natgw/event-store';
import { ALLOCATOR_SOURCE } from '../allocation/reconcile-network';
import { FoldedStreamCache } from '../state/folded-stream';
import { PoolBook, poolStreamId } from './pool-book';
import type { IpPoolEvent, IpPoolState } from '@natgw/domain';

/** The pool that PUBLIC_PREFIXES fill. */
export const DEFAULT_POOL = 'default';

/**
 * Adds each configured prefix to the `default` pool unless some pool already
 * holds it (or an overlapping prefix). Safe when several allocators start at once.
 */
export async function seedDefaultPool(
  dataSource: DataSource,
  store: PostgresEventStore,
  cache: FoldedStreamCache<IpPoolState, IpPoolEvent>,
  prefixes: string[],
): Promise<string[]> {
  const added: string[] = [];
  for (const text of prefixes) {
    const prefix = parsePrefix(text);
    for (let attempt = 1; ; attempt++) {
      const book = await PoolBook.load(store, cache, dataSource.manager);
      if (book.pools.some((p) => p.state.prefixes.some((q) => prefixesOverlap(q, prefix)))) break;
      const target = book.pools.find((p) => p.streamId === poolStreamId(DEFAULT_POOL)) ?? {
        streamId: poolStreamId(DEFAULT_POOL),
        version: 0,
        state: (await cache.load(poolStreamId(DEFAULT_POOL))).state,
      };
      const events = decidePool({ type: 'AddPrefix', prefix: prefix.cidr }, target.state);
      try {
        await store.append(
          target.streamId,
          events.map((e) => ({
            ...e,
            metadata: { source: ALLOCATOR_SOURCE, actor: 'PUBLIC_PREFIXES' },
          })),
          { expectedVersion: target.version === 0 ? 'no-stream' : target.version },
        );
        added.push(prefix.cidr);
        break;
      } catch (err) {
        cache.forget(target.streamId);
        if (!(err instanceof ConcurrencyError) || attempt >= 10) throw err;
      }
    }
  }
  return added;
}
