import type { ReplyTuple } from '../conntrack';
import type { SlotIndex, UsageSlot } from './slot-index';

/** What one count found for one slot. */
export interface SlotCount {
  /** Conntrack entries translated into the slot (every destination). */
  connections: number;
  /**
   * The ports in use toward the busiest destination: the most entries of the slot that share
   * one protocol, destination address and destination port (ICMP: protocol and address). The
   * kernel needs a free port per destination, so this is what runs out: it is comparable to the
   * slot's size (GCP's `port_usage`).
   */
  inUse: number;
  /** inUse >= size: a new connection to that destination finds no free port. */
  exhausted: boolean;
  /** The busiest destination (the one inUse counts): protocol number, address, port (not ICMP). */
  destination?: { protocolNumber: number; ip: string; port?: number };
}

/** The result of counting a node's conntrack table against its slots. */
export interface UsageCount {
  readonly bySlot: Map<UsageSlot, SlotCount>;
  /** Entries seen in total, and those that belong to no natgw slot (the node's own traffic). */
  readonly entries: number;
  readonly foreign: number;
}

/**
 * Counts conntrack entries per slot. An entry belongs to a slot when its reply destination is
 * the slot's NAT IP and its reply destination port (ICMP: echo id) is inside the slot. Its
 * destination class is (protocol, reply source address, reply source port).
 */
export async function countSlotUsage(
  entries: AsyncIterable<ReplyTuple | undefined> | Iterable<ReplyTuple | undefined>,
  index: SlotIndex,
): Promise<UsageCount> {
  const perClass = new Map<UsageSlot, Map<string, number>>();
  const bySlot = new Map<UsageSlot, SlotCount>();
  let total = 0;
  let foreign = 0;
  for await (const reply of entries) {
    if (!reply) continue;
    total += 1;
    const port = reply.port;
    const slot = port === undefined ? undefined : index.find(reply.dst, port);
    if (!slot) {
      foreign += 1;
      continue;
    }
    const key = `${reply.protocolNumber} ${reply.src} ${reply.sport ?? ''}`;
    let classes = perClass.get(slot);
    let count = bySlot.get(slot);
    if (!classes || !count) {
      classes = new Map();
      perClass.set(slot, classes);
      count = { connections: 0, inUse: 0, exhausted: false };
      bySlot.set(slot, count);
    }
    const n = (classes.get(key) ?? 0) + 1;
    classes.set(key, n);
    count.connections += 1;
    if (n > count.inUse) {
      count.inUse = n;
      count.exhausted = n >= slot.size;
      count.destination = {
        protocolNumber: reply.protocolNumber,
        ip: reply.src,
        ...(reply.sport !== undefined ? { port: reply.sport } : {}),
      };
    }
  }
  return { bySlot, entries: total, foreign };
}
