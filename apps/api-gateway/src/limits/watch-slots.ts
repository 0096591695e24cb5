/** A held watch slot: release it exactly once when the watch ends. */
export type ReleaseSlot = () => void;

/** Why a watch was refused: its client holds its share, or the server is full. */
export type SlotRefusal = 'client' | 'total';

/**
 * Counts open watches per client and in total, and refuses a watch beyond either cap.
 * Releasing twice is harmless, so a watch may release from every path that ends it.
 */
export class WatchSlots {
  private readonly perClient = new Map<string, number>();
  private total = 0;

  constructor(
    readonly maxPerClient: number,
    readonly maxTotal: number,
  ) {}

  acquire(client: string): ReleaseSlot | SlotRefusal {
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.maxPerClient) return 'client';
    if (this.total >= this.maxTotal) return 'total';
    this.perClient.set(client, held + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
    };
  }

  /** Open watches of one client, and in total. */
  open(client?: string): number {
    return client === undefined ? this.total : (this.perClient.get(client) ?? 0);
  }
}
