import type { NetworkKey } from '../allocation/reconcile-network';

/**
 * The allocator's clock for drains: when a gateway's allocation has a deadline (a draining IP,
 * a retiring slot), its network is reconciled at that instant even if nothing else happens.
 * The deadlines come from the folded allocation stream after every reconcile, so a restarted
 * allocator (whose start resync reconciles every network) arms the same timers, and two
 * allocators may both fire: the second finds the work done (the stream's expected version
 * makes the race safe) and appends nothing.
 */
export class DrainDeadlines {
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private stopped = false;

  constructor(
    private readonly fire: (key: NetworkKey, gatewayUid: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Arms (or moves, or clears with undefined) the timer of one gateway. */
  set(key: NetworkKey, gatewayUid: string, deadline: number | undefined): void {
    const armed = this.timers.get(gatewayUid);
    if (armed !== undefined && armed.at === deadline) return;
    if (armed !== undefined) clearTimeout(armed.timer);
    this.timers.delete(gatewayUid);
    if (deadline === undefined || this.stopped) return;
    // setTimeout takes at most 2^31-1 ms; a later deadline re-arms when this one fires.
    const delay = Math.min(Math.max(0, deadline - this.now()), 2_147_483_647);
    const timer = setTimeout(() => {
      this.timers.delete(gatewayUid);
      this.fire(key, gatewayUid);
    }, delay);
    timer.unref();
    this.timers.set(gatewayUid, { at: deadline, timer });
  }

  /** The deadline armed for a gateway, if any. */
  armed(gatewayUid: string): number | undefined {
    return this.timers.get(gatewayUid)?.at;
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
