import { canonicalIp } from '../allocation/addresses';
import {
  foldAllocation,
  initialAllocationState,
  retiringSlotKey,
  type AllocationEvent,
  type AllocationState,
  type NatSlot,
} from '../allocation/allocation-state';
import { natTableOf, type GatewayNatTable } from '../allocation/nat-table';

/** An allocation event with the time the log recorded it. */
export interface TimedAllocationEvent {
  readonly event: AllocationEvent;
  readonly recordedAt: Date;
}

/** Who held a public address and port at an instant, and since when. */
export interface SlotHolder {
  readonly gatewayUid: string;
  readonly slot: NatSlot;
  /** When the holding slot was assigned (the NATSlotAssigned event's recorded time). */
  readonly assignedAt: Date;
  /** Set when the slot was retiring then (its IP drained): when it was to be released (RFC 3339). */
  readonly retiringUntil?: string;
}

/** A public address and source port, e.g. from an abuse report. */
export interface PublicEndpoint {
  readonly ip: string;
  readonly port: number;
}

function recordedBy(at: Date) {
  const limit = at.getTime();
  return (e: TimedAllocationEvent) => e.recordedAt.getTime() <= limit;
}

/**
 * The allocation state of every gateway at instant `at`: each gateway's events
 * recorded at or before `at`, folded in the order given (stream order). Events
 * recorded at exactly `at` count as applied.
 */
export function allocationStatesAt(
  events: Iterable<TimedAllocationEvent>,
  at: Date,
): Map<string, AllocationState> {
  const byGateway = new Map<string, AllocationEvent[]>();
  const applied = recordedBy(at);
  for (const e of events) {
    if (!applied(e)) continue;
    const uid = e.event.data.gatewayUid;
    const list = byGateway.get(uid);
    if (list) list.push(e.event);
    else byGateway.set(uid, [e.event]);
  }
  const states = new Map<string, AllocationState>();
  for (const [uid, list] of byGateway)
    states.set(uid, foldAllocation(initialAllocationState(), list));
  return states;
}

/** The NAT table of every gateway at instant `at` (gateways closed by then have empty tables). */
export function natTablesAt(
  events: Iterable<TimedAllocationEvent>,
  at: Date,
): Map<string, GatewayNatTable> {
  const tables = new Map<string, GatewayNatTable>();
  for (const [uid, state] of allocationStatesAt(events, at)) tables.set(uid, natTableOf(state));
  return tables;
}

/**
 * Which NIC held `endpoint` (public IP and source port) at instant `at`, or
 * undefined when the pair was free. `events` must contain, for every gateway and
 * NIC that ever had a slot on that IP, all of their slot events and the
 * gateway's AllocationClosed up to `at` (a whole allocation stream qualifies;
 * so does the narrower set the audit queries read). The IP may be spelled in
 * any valid form; it is compared canonically.
 */
export function slotHolderAt(
  events: Iterable<TimedAllocationEvent>,
  endpoint: PublicEndpoint,
  at: Date,
): SlotHolder | undefined {
  const ip = canonicalIp(endpoint.ip);
  const applied = recordedBy(at);
  // Per gateway and NIC, the slot in force and when it was assigned; retiring slots (a drained
  // IP's, still carrying the NIC's existing connections) by retiringSlotKey until released.
  const held = new Map<
    string,
    Map<string, { slot: NatSlot; assignedAt: Date; retiringUntil?: string }>
  >();
  const slotsOf = (gatewayUid: string) => {
    let slots = held.get(gatewayUid);
    if (!slots) {
      slots = new Map();
      held.set(gatewayUid, slots);
    }
    return slots;
  };
  for (const e of events) {
    if (!applied(e)) continue;
    const { event } = e;
    switch (event.type) {
      case 'NATSlotAssigned': {
        const { gatewayUid, ...slot } = event.data;
        slotsOf(gatewayUid).set(slot.nicUid, {
          slot: { ...slot, ip: canonicalIp(slot.ip) },
          assignedAt: e.recordedAt,
        });
        break;
      }
      case 'NATSlotReleased':
        slotsOf(event.data.gatewayUid).delete(event.data.nicUid);
        break;
      case 'NATSlotRetiring': {
        const slots = slotsOf(event.data.gatewayUid);
        const active = slots.get(event.data.nicUid);
        if (active === undefined) break;
        slots.delete(event.data.nicUid);
        slots.set(`retiring ${retiringSlotKey(event.data)}`, {
          ...active,
          retiringUntil: event.data.deadline,
        });
        break;
      }
      case 'NATRetiringSlotReleased':
        slotsOf(event.data.gatewayUid).delete(`retiring ${retiringSlotKey(event.data)}`);
        break;
      case 'AllocationClosed':
        held.delete(event.data.gatewayUid);
        break;
      default:
        break;
    }
  }
  for (const [gatewayUid, slots] of held) {
    for (const { slot, assignedAt, retiringUntil } of slots.values()) {
      if (slot.ip === ip && slot.port <= endpoint.port && endpoint.port <= slot.endPort) {
        return { gatewayUid, slot, assignedAt, ...(retiringUntil ? { retiringUntil } : {}) };
      }
    }
  }
  return undefined;
}
