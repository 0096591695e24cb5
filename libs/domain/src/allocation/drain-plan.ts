import { canonicalIp, isValidIp, parseIp, type IpFamily } from './addresses';
import type {
  AllocationState,
  NatSlot,
  DrainingIp,
  RetiringSlot,
  RetiringSlotReleaseReason,
} from './allocation-state';
import type { EligibleNic } from './eligibility';
import { InvalidAllocationInputError } from './errors';

/** One entry of a NATGateway's spec.drainIPs. */
export interface DrainRequest {
  readonly ip: string;
  readonly deadlineSeconds: number;
}

/** AWS DisassociateNatGatewayAddress's default MaxDrainDurationSeconds. */
export const DEFAULT_DRAIN_DEADLINE_SECONDS = 350;
/** The longest drain natgw accepts: a day. */
export const MAX_DRAIN_DEADLINE_SECONDS = 86_400;

/** What happens to the gateway's draining IPs in one plan. */
export interface DrainDecision {
  /** IPs that drain after the plan (still held), by IP. */
  readonly draining: ReadonlyMap<string, DrainingIp>;
  /** Draining IPs whose deadline passed: released by this plan. */
  readonly expired: ReadonlySet<string>;
  /** Every IP spec.drainIPs names (canonical): never claimed again while it is listed. */
  readonly requested: ReadonlySet<string>;
}

function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}

/** True when an RFC 3339 deadline is at or before `now` (ms); never without a clock. */
export function deadlinePassed(deadline: string, now: number | undefined): boolean {
  return now !== undefined && Date.parse(deadline) <= now;
}

/**
 * The drains after this plan, from the recorded ones and spec.drainIPs:
 * - a held IP newly named starts draining with deadline now + deadlineSeconds (a drain never
 *   ends in the plan that starts it, so every drain is recorded before its release);
 * - a recorded drain whose deadline passed expires (its IP is released), even if the IP left
 *   spec.drainIPs meanwhile;
 * - a recorded drain whose IP left spec.drainIPs before the deadline is cancelled;
 * - changing deadlineSeconds of a running drain does not move its deadline.
 * Names of IPs the gateway does not hold (released ones, typos) start nothing.
 */
export function decideDrains(
  gatewayUid: string,
  family: IpFamily,
  current: AllocationState,
  requests: readonly DrainRequest[],
  now: number | undefined,
): DrainDecision {
  const requested = new Map<string, DrainRequest>();
  for (const request of requests) {
    if (!isValidIp(request.ip) || parseIp(request.ip).family !== family) continue;
    requested.set(canonicalIp(request.ip), request);
  }
  const draining = new Map<string, DrainingIp>();
  const expired = new Set<string>();
  for (const [ip, drain] of current.draining ?? []) {
    if (deadlinePassed(drain.deadline, now)) expired.add(ip);
    else if (requested.has(ip)) draining.set(ip, drain);
  }
  const held = new Set(current.ips);
  for (const [ip, request] of requested) {
    if (!held.has(ip) || current.draining?.has(ip) === true) continue;
    if (now === undefined) {
      throw new InvalidAllocationInputError(gatewayUid, `draining ${ip} needs the current time`);
    }
    draining.set(ip, {
      ip,
      deadline: isoAt(now + request.deadlineSeconds * 1000),
      deadlineSeconds: request.deadlineSeconds,
    });
  }
  return { draining, expired, requested: new Set(requested.keys()) };
}

/** The retiring slots that stay after a plan, and why the others are released. */
export interface RetiringOutcome {
  readonly kept: ReadonlyMap<string, RetiringSlot>;
  readonly released: ReadonlyMap<string, RetiringSlotReleaseReason>;
}

/**
 * A retiring slot stays reserved until its deadline, or until its IP's (later) drain ends; it
 * goes earlier only when its NIC goes (deleted, or no longer served: its connections have
 * nowhere to come from).
 */
export function keepRetiringSlots(
  current: AllocationState,
  nicsByUid: ReadonlyMap<string, EligibleNic>,
  existingNicUids: ReadonlySet<string> | undefined,
  now: number | undefined,
  expiredIps: ReadonlySet<string>,
): RetiringOutcome {
  const kept = new Map<string, RetiringSlot>();
  const released = new Map<string, RetiringSlotReleaseReason>();
  for (const [key, slot] of current.retiring ?? []) {
    const gone = !current.ips.includes(slot.ip) || expiredIps.has(slot.ip);
    if (deadlinePassed(slot.deadline, now) || gone) {
      released.set(key, 'Drained');
    } else if (!nicsByUid.has(slot.nicUid)) {
      released.set(
        key,
        existingNicUids !== undefined && !existingNicUids.has(slot.nicUid)
          ? 'NetworkInterfaceDeleted'
          : 'NoLongerEligible',
      );
    } else kept.set(key, slot);
  }
  return { kept, released };
}

/** An active slot on a draining IP as the retiring slot it becomes. */
export function retire(slot: NatSlot, drain: DrainingIp): RetiringSlot {
  return { ...slot, deadline: drain.deadline, reason: 'Drained' };
}

/**
 * When the allocator must look at the gateway again without any other trigger: the earliest
 * deadline of a draining IP or a retiring slot (ms), or undefined. Derived from the log, so a
 * restarted allocator (or another replica) arms the same timer.
 */
export function nextDrainDeadline(state: AllocationState): number | undefined {
  let next: number | undefined;
  const consider = (deadline: string) => {
    const at = Date.parse(deadline);
    if (Number.isFinite(at) && (next === undefined || at < next)) next = at;
  };
  for (const drain of state.draining?.values() ?? []) consider(drain.deadline);
  for (const slot of state.retiring?.values() ?? []) consider(slot.deadline);
  return next;
}
