import { canonicalIp, compareIps } from './addresses';
import type { DecidedEvent } from './decided-event';

/** One NIC's exclusive slot: a public IP and the inclusive source port range [port, endPort]. */
export interface NatSlot {
  readonly nicUid: string;
  readonly nicName: string;
  readonly namespace: string;
  /** The NIC's private address that is source-NATed into the slot. */
  readonly privateIp: string;
  /** The node the NIC runs on; the dataplane executor of that node programs the slot. */
  readonly nodeName?: string;
  /**
   * The VNI of the NIC's network when the slot was decided: the dataplane keys NAT by
   * (network, private IP), so two networks may reuse one private address on a node. Absent only
   * in slots decided before networks had VNIs; the allocator re-assigns those with the VNI.
   */
  readonly vni?: number;
  readonly ip: string;
  readonly port: number;
  readonly endPort: number;
}

/** Why a slot was taken away; every move of a NIC is explained by one of these. */
export type SlotReleaseReason =
  /** The NIC no longer exists (or is being deleted). */
  | 'NetworkInterfaceDeleted'
  /** The NIC exists but the gateway no longer serves it (virtual IP, other network, older gateway). */
  | 'NoLongerEligible'
  /** The NIC's private IP or node changed; the same slot is assigned again with the new details. */
  | 'NetworkInterfaceUpdated'
  /** The gateway's portsPerNetworkInterface changed, so every slot is recomputed. */
  | 'PortsPerNetworkInterfaceChanged'
  /** The slot's public IP left the gateway (maxPublicIPs lowered below the IPs in use). */
  | 'IPReleased'
  /** The gateway was deleted. */
  | 'GatewayDeleted'
  /** Repair only: two NICs held the same ports in the recorded state; never expected. */
  | 'SlotConflict';

/** Why eligible NICs wait for a slot. */
export type AllocationPendingReason =
  /** The pool has no free address of the gateway's family. */
  | 'PublicIPPoolExhausted'
  /** The gateway holds maxPublicIPs and every slot on them is taken. */
  | 'MaxPublicIPsReached'
  /** The namespace's NATGatewayQuota on publicIPs allows the gateway no more public IPs. */
  | 'QuotaExceeded';

/** An unsatisfied allocation: NICs without a slot, or fewer IPs than minPublicIPs. */
export interface AllocationPending {
  /** Eligible NICs that have no slot. */
  readonly waiting: number;
  readonly reason: AllocationPendingReason;
  /** Public IPs the gateway wanted (for NICs or for minPublicIPs) but the pool or the quota could not give. */
  readonly missingIps: number;
}

/** The gateway took a public IP (claimed in the pool beforehand). */
export type NATGatewayIPAssigned = DecidedEvent<
  'NATGatewayIPAssigned',
  { gatewayUid: string; ip: string }
>;
/** The gateway gave up a public IP (no slot is left on it); the pool claim is released after. */
export type NATGatewayIPReleased = DecidedEvent<
  'NATGatewayIPReleased',
  { gatewayUid: string; ip: string }
>;
/** A NIC got a slot. */
export type NATSlotAssigned = DecidedEvent<'NATSlotAssigned', NatSlot & { gatewayUid: string }>;
/** A NIC lost its slot; carries the whole slot so a node can remove exactly that rule. */
export type NATSlotReleased = DecidedEvent<
  'NATSlotReleased',
  NatSlot & { gatewayUid: string; reason: SlotReleaseReason }
>;
/** The number of waiting NICs, the reason, or the missing IPs changed. */
export type AllocationPendingRecorded = DecidedEvent<
  'AllocationPending',
  AllocationPending & { gatewayUid: string }
>;
/** Every eligible NIC has a slot again and the gateway holds at least minPublicIPs. */
export type AllocationSatisfied = DecidedEvent<'AllocationSatisfied', { gatewayUid: string }>;
/** The gateway was deleted and everything it held is released; the stream ends here. */
export type AllocationClosed = DecidedEvent<
  'AllocationClosed',
  { gatewayUid: string; reason: 'GatewayDeleted' }
>;

/** Every event of an `allocation:<gateway uid>` stream. */
export type AllocationEvent =
  | NATGatewayIPAssigned
  | NATGatewayIPReleased
  | NATSlotAssigned
  | NATSlotReleased
  | AllocationPendingRecorded
  | AllocationSatisfied
  | AllocationClosed;

/** The event types of an allocation stream, for consumers that filter by type. */
export const ALLOCATION_EVENT_TYPES: readonly AllocationEvent['type'][] = [
  'NATGatewayIPAssigned',
  'NATGatewayIPReleased',
  'NATSlotAssigned',
  'NATSlotReleased',
  'AllocationPending',
  'AllocationSatisfied',
  'AllocationClosed',
];

/** What a gateway holds, folded from its allocation stream. */
export interface AllocationState {
  /** `closed` once the gateway is deleted: nothing is held and nothing more is decided. */
  readonly status: 'open' | 'closed';
  /** Public IPs held, ascending. */
  readonly ips: readonly string[];
  /** Slot by NIC uid. */
  readonly slots: ReadonlyMap<string, NatSlot>;
  readonly pending?: AllocationPending;
}

/** The state of an allocation stream before its first event. */
export function initialAllocationState(): AllocationState {
  return { status: 'open', ips: [], slots: new Map() };
}

function slotOf(data: NatSlot): NatSlot {
  return {
    nicUid: data.nicUid,
    nicName: data.nicName,
    namespace: data.namespace,
    privateIp: data.privateIp,
    ...(data.nodeName !== undefined ? { nodeName: data.nodeName } : {}),
    ...(data.vni !== undefined ? { vni: data.vni } : {}),
    ip: canonicalIp(data.ip),
    port: data.port,
    endPort: data.endPort,
  };
}

/** Folds one allocation event into the state (pure; returns a new state). */
export function evolveAllocation(state: AllocationState, event: AllocationEvent): AllocationState {
  return foldAllocation(state, [event]);
}

/**
 * Folds many allocation events at once (pure; returns a new state). Copies the state once rather
 * than once per event, so replaying a stream is linear in its length.
 */
export function foldAllocation(
  state: AllocationState,
  events: Iterable<AllocationEvent>,
): AllocationState {
  const draft: AllocationDraft = {
    status: state.status,
    ips: [...state.ips],
    slots: new Map(state.slots),
    pending: state.pending,
  };
  for (const event of events) applyAllocationEvent(draft, event);
  const { pending, ...rest } = draft;
  return pending === undefined ? rest : { ...rest, pending };
}

/** Folds a whole stream from its start. */
export function replayAllocation(events: Iterable<AllocationEvent>): AllocationState {
  return foldAllocation(initialAllocationState(), events);
}

interface AllocationDraft {
  status: 'open' | 'closed';
  ips: string[];
  slots: Map<string, NatSlot>;
  pending: AllocationPending | undefined;
}

function applyAllocationEvent(draft: AllocationDraft, event: AllocationEvent): void {
  switch (event.type) {
    case 'NATGatewayIPAssigned': {
      const ip = canonicalIp(event.data.ip);
      if (!draft.ips.includes(ip)) draft.ips = [...draft.ips, ip].sort(compareIps);
      return;
    }
    case 'NATGatewayIPReleased': {
      const ip = canonicalIp(event.data.ip);
      draft.ips = draft.ips.filter((held) => held !== ip);
      return;
    }
    case 'NATSlotAssigned':
      draft.slots.set(event.data.nicUid, slotOf(event.data));
      return;
    case 'NATSlotReleased':
      draft.slots.delete(event.data.nicUid);
      return;
    case 'AllocationPending': {
      const { waiting, reason, missingIps } = event.data;
      draft.pending = { waiting, reason, missingIps };
      return;
    }
    case 'AllocationSatisfied':
      draft.pending = undefined;
      return;
    case 'AllocationClosed':
      draft.status = 'closed';
      draft.ips = [];
      draft.slots = new Map();
      draft.pending = undefined;
      return;
    default: {
      const unknown: never = event;
      throw new Error(`unknown allocation event ${JSON.stringify(unknown)}`);
    }
  }
}
