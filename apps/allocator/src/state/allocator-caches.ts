import {
  AllocationEvent,
  AllocationState,
  foldAllocation,
  initialAllocationState,
  IpPoolEvent,
  IpPoolState,
} from '@natgw/domain';
import { PostgresEventStore, StreamSnapshotStore } from '@natgw/event-store';
import { POOL_SNAPSHOT_CODEC } from '../pools/pool-snapshot-codec';
import { foldPoolEvents, initialIpPoolState } from '../pools/pool-book';
import { ALLOCATION_SNAPSHOT_CODEC } from './allocation-snapshot-codec';
import { FoldedStreamCache } from './folded-stream';

/** The allocator's folded streams: every `ippool:*` and every `allocation:*`. */
export interface AllocatorCaches {
  pools: FoldedStreamCache<IpPoolState, IpPoolEvent>;
  allocations: FoldedStreamCache<AllocationState, AllocationEvent>;
}

/** Where the caches' snapshots go: the table, how often (ALLOCATOR_SNAPSHOT_EVERY), who hears warnings. */
export interface CacheSnapshotSettings {
  store: StreamSnapshotStore;
  every: number;
  warn?: (message: string) => void;
}

/** The pool and allocation caches, snapshotting their streams when settings are given. */
export function allocatorCaches(
  store: PostgresEventStore,
  snapshots?: CacheSnapshotSettings,
): AllocatorCaches {
  return {
    pools: new FoldedStreamCache<IpPoolState, IpPoolEvent>(
      store,
      initialIpPoolState,
      foldPoolEvents,
      undefined,
      snapshots && { ...snapshots, codec: POOL_SNAPSHOT_CODEC },
    ),
    allocations: new FoldedStreamCache<AllocationState, AllocationEvent>(
      store,
      initialAllocationState,
      foldAllocation,
      undefined,
      snapshots && { ...snapshots, codec: ALLOCATION_SNAPSHOT_CODEC },
    ),
  };
}
