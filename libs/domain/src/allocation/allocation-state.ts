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
  | 'SlotConflict'
  /** The slot's public IP was drained (spec.drainIPs) and its deadline passed. */
  | 'Drained'
  // dynamic port allocation (issue 17.4): the same NIC's next slot follows at once
  /** DPA: the NIC's usage reached growAtPercent; its next slot is the aligned block of twice the size holding this one. */
  | 'PortsGrown'
  /** DPA: the NIC was idle for shrinkAfterSeconds; its next slot is the lower half of this one. */
  | 'PortsShrunk';

// --- drain (issue 17.1): draining IPs and retiring slots --------------------------------------

/** A public IP the gateway still holds but drains: no new slot goes there; released at the deadline. */
export interface DrainingIp {
  readonly ip: string;
  /** When the IP and the slots retiring on it are released (RFC 3339, from the decision's clock). */
  readonly deadline: string;
  /** The spec.drainIPs[].deadlineSeconds the deadline was computed from. */
  readonly deadlineSeconds: number;
}

/**
 * A slot a NIC no longer uses for new connections but that stays reserved (never handed to
 * another NIC) so that its existing connections keep their mapping until the deadline.
 */
export interface RetiringSlot extends NatSlot {
  readonly deadline: string;
  /** Drained: its IP drains. PortsGrown (dynamic port allocation): its NIC moved to a larger block. */
  readonly reason: 'Drained' | 'PortsGrown';
}

/** Why a retiring slot was released. */
export type RetiringSlotReleaseReason =
  'Drained' | 'NetworkInterfaceDeleted' | 'NoLongerEligible' | 'GatewayDeleted';

/** The identity of a retiring slot: a NIC may retire several (one per drained IP). */
export function retiringSlotKey(slot: Pick<NatSlot, 'nicUid' | 'ip' | 'port'>): string {
  return `${slot.nicUid}|${canonicalIp(slot.ip)}|${slot.port}`;
}

/** An IP the gateway holds started to drain. */
export type NATIPDrainStarted = DecidedEvent<
  'NATIPDrainStarted',
  DrainingIp & { gatewayUid: string }
>;
/** The IP left spec.drainIPs before its deadline: it takes new slots again. */
export type NATIPDrainCancelled = DecidedEvent<
  'NATIPDrainCancelled',
  { gatewayUid: string; ip: string }
>;
/** A NIC's active slot on a draining IP became retiring; its new slot follows (NATSlotAssigned). */
export type NATSlotRetiring = DecidedEvent<
  'NATSlotRetiring',
  RetiringSlot & { gatewayUid: string }
>;
/** A retiring slot was released: its ports are free and the node flushes its conntrack entries. */
export type NATRetiringSlotReleased = DecidedEvent<
  'NATRetiringSlotReleased',
  NatSlot & { gatewayUid: string; reason: RetiringSlotReleaseReason }
>;
// --- end drain ----------------------------------------------------------------------------------

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
  { gatewayUid: string; ip: string; reason?: 'Drained' }
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

/**
 * Dynamic port allocation: the NICs whose usage asked for more ports than could be granted (the
 * block of twice their size is taken and no other IP has one free), with the size asked for;
 * recorded when that set changes, an empty list once every grant went through or was withdrawn.
 */
export type NATPortGrantsRefused = DecidedEvent<
  'NATPortGrantsRefused',
  { gatewayUid: string; refused: Array<{ nicUid: string; ports: number }> }
>;

/** Every event of an `allocation:<gateway uid>` stream. */
export type AllocationEvent =
  | NATGatewayIPAssigned
  | NATGatewayIPReleased
  | NATSlotAssigned
  | NATSlotReleased
  | AllocationPendingRecorded
  | AllocationSatisfied
  | AllocationClosed
  | NATIPDrainStarted
  | NATIPDrainCancelled
  | NATSlotRetiring
  | NATRetiringSlotReleased
  | NATPortGrantsRefused;

/** The event types of an allocation stream, for consumers that filter by type. */
export const ALLOCATION_EVENT_TYPES: readonly AllocationEvent['type'][] = [
  'NATGatewayIPAssigned',
  'NATGatewayIPReleased',
  'NATSlotAssigned',
  'NATSlotReleased',
  'AllocationPending',
  'AllocationSatisfied',
  'AllocationClosed',
  'NATIPDrainStarted',
  'NATIPDrainCancelled',
  'NATSlotRetiring',
  'NATRetiringSlotReleased',
  'NATPortGrantsRefused',
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
  /** Held IPs that drain, by IP (absent: none). */
  readonly draining?: ReadonlyMap<string, DrainingIp>;
  /** Retiring slots by retiringSlotKey (absent: none). */
  readonly retiring?: ReadonlyMap<string, RetiringSlot>;
  /** DPA: the ports each NIC asked for and was refused, by NIC uid (absent: none). */
  readonly refusedGrants?: ReadonlyMap<string, number>;
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
    draining: new Map(state.draining ?? []),
    retiring: new Map(state.retiring ?? []),
    refusedGrants: new Map(state.refusedGrants ?? []),
  };
  for (const event of events) applyAllocationEvent(draft, event);
  const { pending, draining, retiring, refusedGrants, ...rest } = draft;
  return {
    ...rest,
    ...(pending === undefined ? {} : { pending }),
    ...(draining.size === 0 ? {} : { draining }),
    ...(retiring.size === 0 ? {} : { retiring }),
    ...(refusedGrants.size === 0 ? {} : { refusedGrants }),
  };
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
  draining: Map<string, DrainingIp>;
  retiring: Map<string, RetiringSlot>;
  refusedGrants: Map<string, number>;
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
      draft.draining.delete(ip);
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
      draft.draining = new Map();
      draft.retiring = new Map();
      draft.refusedGrants = new Map();
      return;
    case 'NATIPDrainStarted': {
      const { ip, deadline, deadlineSeconds } = event.data;
      draft.draining.set(canonicalIp(ip), { ip: canonicalIp(ip), deadline, deadlineSeconds });
      return;
    }
    case 'NATIPDrainCancelled':
      draft.draining.delete(canonicalIp(event.data.ip));
      return;
    case 'NATSlotRetiring': {
      const slot = slotOf(event.data);
      const active = draft.slots.get(slot.nicUid);
      if (active !== undefined && active.ip === slot.ip && active.port === slot.port)
        draft.slots.delete(slot.nicUid);
      draft.retiring.set(retiringSlotKey(slot), {
        ...slot,
        deadline: event.data.deadline,
        reason: event.data.reason,
      });
      return;
    }
    case 'NATRetiringSlotReleased':
      draft.retiring.delete(retiringSlotKey(event.data));
      return;
    case 'NATPortGrantsRefused':
      draft.refusedGrants = new Map(event.data.refused.map((r) => [r.nicUid, r.ports]));
      return;
    default: {
      const unknown: never = event;
      throw new Error(`unknown allocation event ${JSON.stringify(unknown)}`);
    }
  }
}
