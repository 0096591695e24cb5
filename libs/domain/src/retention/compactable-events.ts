import { canonicalIp } from '../allocation/addresses';
import {
  foldAllocation,
  initialAllocationState,
  type AllocationEvent,
} from '../allocation/allocation-state';
import { foldPool, initialIpPoolState, type IpPoolEvent } from '../allocation/ip-pool';

/** One stored event of a stream, as far as compaction looks at it. */
export interface VersionedEvent {
  readonly version: number;
  readonly type: string;
  readonly data: unknown;
}

/** Which kind of write-side stream a run belongs to. */
export type CompactableStream = 'ippool' | 'allocation';

interface Touch {
  index: number;
  /** What the event does to its key: puts a value there, takes it away, or anything else. */
  effect: 'set' | 'delete' | 'other';
}

/**
 * The pairs (set at i, delete at j) of one key whose set found the key empty (nothing before
 * it, or a delete) and whose next event for the key is the delete: the key is empty before
 * and after the pair, so every fold that keys on it is the same without the two events.
 */
function emptyAgainPairs(touchesByKey: Map<string, Touch[]>): number[] {
  const drop: number[] = [];
  for (const touches of touchesByKey.values()) {
    for (let k = 0; k + 1 < touches.length; k++) {
      const [set, del] = [touches[k], touches[k + 1]];
      const before = k === 0 ? 'delete' : touches[k - 1].effect;
      if (set.effect === 'set' && del.effect === 'delete' && before === 'delete') {
        drop.push(set.index, del.index);
        k++;
      }
    }
  }
  return drop;
}

function touch(map: Map<string, Touch[]>, key: string, t: Touch): void {
  const list = map.get(key);
  if (list) list.push(t);
  else map.set(key, [t]);
}

function str(data: unknown, field: string): string {
  return String((data as Record<string, unknown>)[field]);
}

/** Allocation events whose effect is gone by the end of the run. */
function allocationDroppable(run: readonly VersionedEvent[]): number[] {
  const slots = new Map<string, Touch[]>();
  const ips = new Map<string, Touch[]>();
  const pendingIndexes: number[] = [];
  for (const [index, e] of run.entries()) {
    switch (e.type) {
      case 'NATSlotAssigned':
        touch(slots, str(e.data, 'nicUid'), { index, effect: 'set' });
        break;
      case 'NATSlotReleased':
        touch(slots, str(e.data, 'nicUid'), { index, effect: 'delete' });
        break;
      case 'NATSlotRetiring':
        touch(slots, str(e.data, 'nicUid'), { index, effect: 'other' });
        break;
      case 'NATGatewayIPAssigned':
        touch(ips, canonicalIp(str(e.data, 'ip')), { index, effect: 'set' });
        break;
      case 'NATGatewayIPReleased':
        touch(ips, canonicalIp(str(e.data, 'ip')), { index, effect: 'delete' });
        break;
      case 'NATIPDrainStarted':
      case 'NATIPDrainCancelled':
        touch(ips, canonicalIp(str(e.data, 'ip')), { index, effect: 'other' });
        break;
      case 'AllocationPending':
      case 'AllocationSatisfied':
        pendingIndexes.push(index);
        break;
      case 'NATRetiringSlotReleased':
        break;
      default:
        // AllocationClosed (a closed stream is pruned by its own rule) or a type this does not know.
        return [];
    }
  }
  // Only the last Pending/Satisfied decides state.pending.
  return [...emptyAgainPairs(slots), ...emptyAgainPairs(ips), ...pendingIndexes.slice(0, -1)];
}

/** Pool claims taken and given back within the run. */
function poolDroppable(run: readonly VersionedEvent[]): number[] {
  const claims = new Map<string, Touch[]>();
  for (const [index, e] of run.entries()) {
    if (e.type === 'PublicIPClaimed')
      touch(claims, canonicalIp(str(e.data, 'ip')), { index, effect: 'set' });
    else if (e.type === 'PublicIPReleased')
      touch(claims, canonicalIp(str(e.data, 'ip')), { index, effect: 'delete' });
    else if (e.type !== 'PublicPrefixAdded' && e.type !== 'PublicPrefixRemoved') return [];
  }
  return emptyAgainPairs(claims);
}

/** A state with its Maps as ordered entries and bigints as text: equal states give equal text. */
function stateText(state: unknown): string {
  return JSON.stringify(state, (_key, value: unknown) => {
    if (value instanceof Map) return { entries: [...value] };
    if (typeof value === 'bigint') return `${value}n`;
    return value;
  });
}

function folds(kind: CompactableStream, events: readonly VersionedEvent[]): string {
  return kind === 'ippool'
    ? stateText(foldPool(initialIpPoolState(), events as unknown as IpPoolEvent[]))
    : stateText(foldAllocation(initialAllocationState(), events as unknown as AllocationEvent[]));
}

/**
 * The versions of a write-side stream's first events (`run`: the stream's stored events from
 * its first, in version order, that a prune may remove) whose removal changes no fold of the
 * stream at the end of the run or later: an address claimed and released, a slot assigned and
 * released, an IP assigned and released, each from and back to "not there"; and every
 * AllocationPending/AllocationSatisfied but the run's last. The stream then folds, from its
 * first kept event, to the same state, and every audit lookup at an instant after the run
 * folds the same slots. Checked, not only argued: when the kept events do not fold to the
 * run's state (to the entry order of every map), nothing is droppable.
 */
export function compactableVersions(
  kind: CompactableStream,
  run: readonly VersionedEvent[],
): number[] {
  const indexes = kind === 'ippool' ? poolDroppable(run) : allocationDroppable(run);
  if (indexes.length === 0) return [];
  const dropped = new Set(indexes);
  const kept = run.filter((_e, i) => !dropped.has(i));
  if (folds(kind, kept) !== folds(kind, run)) return [];
  return indexes.map((i) => run[i].version).sort((a, b) => a - b);
}
