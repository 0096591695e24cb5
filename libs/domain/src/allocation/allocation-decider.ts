import { canonicalIp, compareNumericIps, parseIp } from './addresses';
import {
  retiringSlotKey,
  type AllocationEvent,
  type AllocationPending,
  type AllocationState,
  type NatSlot,
  type SlotReleaseReason,
} from './allocation-state';
import { AllocationClosedError, InvalidAllocationPlanError } from './errors';
import type { AllocationPlan } from './plan-allocation';
import { dynamicSlotUnits } from './dynamic-ports';
import { slotIndexOf } from './port-slots';
import { sameSlot } from './stale-slot';

/**
 * Move the gateway's allocation to a plan from planAllocation. The plan's `claimIps` must be
 * claimed in the pool before the resulting events are appended, and its `releaseIps` released
 * in the pool after.
 */
export interface ApplyAllocationPlan {
  readonly type: 'ApplyAllocationPlan';
  readonly plan: AllocationPlan;
}

/** Release every slot and IP of a deleted gateway and close its allocation stream. */
export interface CloseAllocation {
  readonly type: 'CloseAllocation';
  readonly gatewayUid: string;
  readonly reason: 'GatewayDeleted';
}

/** Every command of the allocation decider. */
export type AllocationCommand = ApplyAllocationPlan | CloseAllocation;

/**
 * Decides the fewest events that take the state to the command's target: drains started, slots
 * retiring, slot releases, retiring slots released, drains cancelled, then IP releases, then IP
 * assignments, then slot assignments, then the pending status if it changed.
 * Nothing changed means no events, so a repeated reconcile is a no-op.
 */
export function decideAllocation(
  command: AllocationCommand,
  state: AllocationState,
): AllocationEvent[] {
  switch (command.type) {
    case 'ApplyAllocationPlan':
      return decideApplyPlan(command.plan, state);
    case 'CloseAllocation':
      return decideClose(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`unknown allocation command ${JSON.stringify(unknown)}`);
    }
  }
}

function decideApplyPlan(given: AllocationPlan, state: AllocationState): AllocationEvent[] {
  const plan = withDrainDefaults(given);
  const gatewayUid = plan.gatewayUid;
  if (state.status === 'closed') throw new AllocationClosedError(gatewayUid);
  assertValidPlan(plan);
  const target = new Map(plan.slots.map((slot) => [slot.nicUid, slot]));
  const targetIps = new Set(plan.ips);
  const heldIps = new Set(state.ips);
  const events: AllocationEvent[] = [];
  const stateDraining = state.draining ?? new Map();
  const stateRetiring = state.retiring ?? new Map();

  for (const [ip, drain] of plan.draining) {
    if (!stateDraining.has(ip))
      events.push({ type: 'NATIPDrainStarted', data: { gatewayUid, ...drain } });
  }
  for (const slot of sortSlots(plan.retiring.values())) {
    if (stateRetiring.has(retiringSlotKey(slot))) continue;
    events.push({ type: 'NATSlotRetiring', data: { gatewayUid, ...slot } });
  }
  for (const slot of sortSlots(state.slots.values())) {
    const wanted = target.get(slot.nicUid);
    if (wanted !== undefined && sameSlot(slot, wanted)) continue;
    if (plan.retiring.has(retiringSlotKey(slot))) continue; // NATSlotRetiring above
    const reason: SlotReleaseReason =
      plan.releaseReasons.get(slot.nicUid) ??
      (wanted !== undefined ? 'NetworkInterfaceUpdated' : 'NoLongerEligible');
    events.push({ type: 'NATSlotReleased', data: { gatewayUid, ...slot, reason } });
  }
  for (const slot of sortSlots(stateRetiring.values())) {
    const key = retiringSlotKey(slot);
    if (plan.retiring.has(key)) continue;
    const { deadline: _deadline, reason: _retired, ...released } = slot;
    const reason = plan.retiringReleaseReasons.get(key) ?? 'Drained';
    events.push({ type: 'NATRetiringSlotReleased', data: { gatewayUid, ...released, reason } });
  }
  for (const ip of stateDraining.keys()) {
    if (!plan.draining.has(ip) && !plan.drainedIps.has(ip))
      events.push({ type: 'NATIPDrainCancelled', data: { gatewayUid, ip } });
  }
  for (const ip of state.ips) {
    if (targetIps.has(ip)) continue;
    const drained = plan.drainedIps.has(ip);
    events.push({
      type: 'NATGatewayIPReleased',
      data: { gatewayUid, ip, ...(drained ? { reason: 'Drained' as const } : {}) },
    });
  }
  for (const ip of plan.ips) {
    if (!heldIps.has(ip)) events.push({ type: 'NATGatewayIPAssigned', data: { gatewayUid, ip } });
  }
  for (const slot of sortSlots(plan.slots)) {
    const held = state.slots.get(slot.nicUid);
    if (held !== undefined && sameSlot(held, slot)) continue;
    events.push({ type: 'NATSlotAssigned', data: { gatewayUid, ...slot } });
  }
  // Dynamic port allocation: the refused grants, when they changed.
  const refused = plan.dynamicPorts?.refusedGrants ?? new Map<string, number>();
  const recorded = state.refusedGrants ?? new Map<string, number>();
  if (refused.size !== recorded.size || [...refused].some(([nic, n]) => recorded.get(nic) !== n)) {
    events.push({
      type: 'NATPortGrantsRefused',
      data: {
        gatewayUid,
        refused: [...refused]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([nicUid, ports]) => ({ nicUid, ports })),
      },
    });
  }
  if (!samePending(state.pending, plan.pending)) {
    events.push(
      plan.pending
        ? { type: 'AllocationPending', data: { gatewayUid, ...plan.pending } }
        : { type: 'AllocationSatisfied', data: { gatewayUid } },
    );
  }
  return events;
}

type DrainFields = 'draining' | 'drainedIps' | 'retiring' | 'retiringReleaseReasons';

/** A plan with its optional drain fields filled in (empty). */
function withDrainDefaults(
  plan: AllocationPlan,
): AllocationPlan & Required<Pick<AllocationPlan, DrainFields>> {
  return {
    ...plan,
    draining: plan.draining ?? new Map(),
    drainedIps: plan.drainedIps ?? new Set(),
    retiring: plan.retiring ?? new Map(),
    retiringReleaseReasons: plan.retiringReleaseReasons ?? new Map(),
  };
}

function decideClose(command: CloseAllocation, state: AllocationState): AllocationEvent[] {
  if (state.status === 'closed') return [];
  const { gatewayUid, reason } = command;
  return [
    ...sortSlots(state.slots.values()).map((slot): AllocationEvent => ({
      type: 'NATSlotReleased',
      data: { gatewayUid, ...slot, reason },
    })),
    ...sortSlots(state.retiring?.values() ?? []).map((slot): AllocationEvent => {
      const { deadline: _deadline, reason: _retired, ...released } = slot;
      return { type: 'NATRetiringSlotReleased', data: { gatewayUid, ...released, reason } };
    }),
    ...state.ips.map((ip): AllocationEvent => ({
      type: 'NATGatewayIPReleased',
      data: { gatewayUid, ip },
    })),
    { type: 'AllocationClosed', data: { gatewayUid, reason } },
  ];
}

/** The second line of defence: a plan must never give one port range to two NICs. */
function assertValidPlan(plan: ReturnType<typeof withDrainDefaults>): void {
  const fail = (reason: string): never => {
    throw new InvalidAllocationPlanError(plan.gatewayUid, reason);
  };
  const ips = new Set<string>();
  for (const ip of plan.ips) {
    if (canonicalIp(ip) !== ip) fail(`IP ${ip} is not in canonical form`);
    if (parseIp(ip).family !== plan.ipFamily) fail(`IP ${ip} is not of family ${plan.ipFamily}`);
    if (ips.has(ip)) fail(`IP ${ip} is listed twice`);
    ips.add(ip);
  }
  const nics = new Set<string>();
  const ranges = new Set<string>();
  const retiringOn = new Set<string>();
  for (const slot of plan.retiring.values()) {
    if (!ips.has(slot.ip)) fail(`NIC ${slot.nicUid} retires a slot on ${slot.ip}, an IP not held`);
    retiringOn.add(`${slot.nicUid} ${slot.ip}`);
  }
  for (const slot of plan.slots) {
    if (plan.draining.has(slot.ip)) fail(`NIC ${slot.nicUid} has a slot on draining ${slot.ip}`);
    if (retiringOn.has(`${slot.nicUid} ${slot.ip}`))
      fail(`NIC ${slot.nicUid} has an active and a retiring slot on ${slot.ip}`);
    const overlapping = [...plan.retiring.values()].find(
      (r) => r.ip === slot.ip && r.port <= slot.endPort && slot.port <= r.endPort,
    );
    if (overlapping !== undefined)
      fail(
        `ports ${slot.ip}:${slot.port}..${slot.endPort} overlap NIC ${overlapping.nicUid}'s retiring slot`,
      );
    if (!ips.has(slot.ip)) fail(`NIC ${slot.nicUid} has a slot on ${slot.ip}, an IP not held`);
    const dynamic = plan.dynamicPorts;
    if (dynamic !== undefined) {
      if (dynamicSlotUnits(slot, dynamic) === undefined)
        fail(
          `NIC ${slot.nicUid} has ports ${slot.port}..${slot.endPort}, not an aligned block of ` +
            `${dynamic.minPorts}..${dynamic.maxPorts} ports`,
        );
    } else if (slotIndexOf(plan.portsPerNetworkInterface, slot) === undefined) {
      fail(
        `NIC ${slot.nicUid} has ports ${slot.port}..${slot.endPort}, not a slot of ` +
          `portsPerNetworkInterface ${plan.portsPerNetworkInterface}`,
      );
    }
    if (nics.has(slot.nicUid)) fail(`NIC ${slot.nicUid} has two slots`);
    nics.add(slot.nicUid);
    const key = `${slot.ip} ${slot.port}`;
    if (ranges.has(key)) fail(`ports ${slot.ip}:${slot.port}..${slot.endPort} given to two NICs`);
    ranges.add(key);
  }
  // Slots of different sizes (DPA) may overlap without sharing a first port.
  const sorted = sortSlots(plan.slots);
  for (let i = 1; i < sorted.length; i++) {
    const [before, after] = [sorted[i - 1] as NatSlot, sorted[i] as NatSlot];
    if (before.ip === after.ip && after.port <= before.endPort)
      fail(`ports ${after.ip}:${after.port}..${after.endPort} overlap NIC ${before.nicUid}'s slot`);
  }
}

function samePending(a: AllocationPending | undefined, b: AllocationPending | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.waiting === b.waiting && a.reason === b.reason && a.missingIps === b.missingIps;
}

function sortSlots<Slot extends NatSlot>(slots: Iterable<Slot>): Slot[] {
  return [...slots]
    .map((slot) => ({ slot, ip: parseIp(slot.ip) }))
    .sort((a, b) => compareNumericIps(a.ip, b.ip) || a.slot.port - b.slot.port)
    .map((entry) => entry.slot);
}
