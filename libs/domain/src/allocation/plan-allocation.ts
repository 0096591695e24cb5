import { compareNumericIps, formatIp, parseIp, type IpFamily, type NumericIp } from './addresses';
import {
  retiringSlotKey,
  type AllocationPending,
  type AllocationState,
  type DrainingIp,
  type NatSlot,
  type RetiringSlot,
  type RetiringSlotReleaseReason,
  type SlotReleaseReason,
} from './allocation-state';
import { decideDrains, keepRetiringSlots, retire, type DrainRequest } from './drain-plan';
import { sortByCreation, type EligibleNic } from './eligibility';
import {
  AllocationClosedError,
  InvalidAllocationInputError,
  InvalidPublicIpBoundsError,
} from './errors';
import {
  alignedBlockAt,
  DPA_MOVED_BLOCK_RETIRE_SECONDS,
  dynamicSlotUnits,
  resizeWish,
  validateDynamicPortAllocation,
  type DynamicPortAllocation,
  type SlotUsage,
} from './dynamic-ports';
import { FIRST_NAT_PORT, slotIndexOf, slotPortRange, slotsPerIp } from './port-slots';
import { PortUnits } from './port-units';
import { staleSlotDetail } from './stale-slot';

/** How many public IPs a gateway may hold (NATGatewayAutoscaler minPublicIPs / maxPublicIPs). */
export interface PublicIpBounds {
  readonly minPublicIPs: number;
  readonly maxPublicIPs: number;
}

/** The bounds of a gateway without a NATGatewayAutoscaler (Ironcore's 1 and 10). */
export const DEFAULT_PUBLIC_IP_BOUNDS: PublicIpBounds = { minPublicIPs: 1, maxPublicIPs: 10 };

/** The problems with public IP bounds; empty when they are non-negative integers with min <= max. */
export function validatePublicIpBounds(bounds: PublicIpBounds): string[] {
  const problems: string[] = [];
  const { minPublicIPs: min, maxPublicIPs: max } = bounds;
  if (!Number.isInteger(min) || min < 0) {
    problems.push(`minPublicIPs ${min} must be a non-negative integer`);
  }
  if (!Number.isInteger(max) || max < 0) {
    problems.push(`maxPublicIPs ${max} must be a non-negative integer`);
  }
  if (problems.length === 0 && min > max) {
    problems.push(`minPublicIPs ${min} must not exceed maxPublicIPs ${max}`);
  }
  return problems;
}

/**
 * Bounds clamped to a per-gateway cap (MAX_PUBLIC_IPS_PER_GATEWAY). The API refuses bounds above
 * the cap, but objects written before it (or under a larger one) stay in the log: clamping keeps
 * the work of planning one gateway bounded by the cap, whatever the log holds.
 */
export function capPublicIpBounds(bounds: PublicIpBounds, cap: number): PublicIpBounds {
  return {
    minPublicIPs: Math.min(bounds.minPublicIPs, cap),
    maxPublicIPs: Math.min(bounds.maxPublicIPs, cap),
  };
}

/** Everything planAllocation needs; all of it current state, so planning is level-triggered. */
export interface PlanAllocationInput {
  readonly gateway: {
    readonly uid: string;
    readonly ipFamily: IpFamily;
    readonly portsPerNetworkInterface: number;
  };
  /** The NICs the gateway serves now (eligibleNicsByGateway / eligibleNicsForGateway). */
  readonly nics: readonly EligibleNic[];
  /**
   * The VNI of the gateway's network, carried by every slot so the dataplane keys NAT by
   * (network, private IP). A kept slot with another VNI (or none) is assigned again with it.
   */
  readonly vni?: number;
  /** What the gateway holds now, folded from its allocation stream. */
  readonly current: AllocationState;
  /** Defaults to DEFAULT_PUBLIC_IP_BOUNDS. */
  readonly bounds?: PublicIpBounds;
  /**
   * The pool's free addresses of the gateway's family, lowest first (e.g. `freeIps(pool, family)`).
   * Consumed lazily: the planner takes only as many as it needs.
   */
  readonly freeIps: Iterable<string>;
  /**
   * NIC uids that still exist, to tell a deleted NIC ('NetworkInterfaceDeleted') from one that is
   * no longer eligible ('NoLongerEligible'). Without it every departure is 'NoLongerEligible'.
   */
  readonly existingNicUids?: ReadonlySet<string>;
  /**
   * The most public IPs the gateway may hold under its namespace's publicIPs quota: what it holds
   * now plus what the quota leaves. Undefined: no quota. A quota never takes away an IP that
   * carries slots (quotas are not retroactive); it only stops new claims.
   */
  readonly ipBudget?: number;
  /** spec.drainIPs (absent: nothing drains; recorded drains are cancelled unless their deadline passed). */
  readonly drainIPs?: readonly DrainRequest[];
  /** The decision's clock (ms since the epoch): starts drains and ends them at their deadline. */
  readonly now?: number;
  /**
   * spec.dynamicPortAllocation (absent: fixed slots of gateway.portsPerNetworkInterface). With
   * it, slots are aligned power-of-two blocks in [minPorts, maxPorts] that grow and shrink with
   * `usage` (by NIC uid); gateway.portsPerNetworkInterface is not used.
   */
  readonly dynamicPorts?: {
    readonly config: DynamicPortAllocation;
    readonly usage?: ReadonlyMap<string, SlotUsage>;
  };
}

/** Counters for the gateway's status (Ironcore's "requested" and "used"). */
export interface AllocationUsage {
  /** Eligible NICs, with or without a slot: the demand the autoscaler sees. */
  readonly nicsRequesting: number;
  readonly slotsUsed: number;
  /** Slots on the IPs held: ips * slotsPerIp(ppni). */
  readonly slotsTotal: number;
}

/** The target a gateway should hold, and what changes to get there. */
export interface AllocationPlan {
  readonly gatewayUid: string;
  readonly ipFamily: IpFamily;
  readonly portsPerNetworkInterface: number;
  /** Target public IPs, ascending. */
  readonly ips: readonly string[];
  /** Target slots, ordered by IP then port. */
  readonly slots: readonly NatSlot[];
  /** IPs to claim in the pool before the plan is applied (subset of `ips`), ascending. */
  readonly claimIps: readonly string[];
  /** IPs to release in the pool after the plan is applied (held now, not in `ips`), ascending. */
  readonly releaseIps: readonly string[];
  /** Why each NIC whose slot changes or goes loses its current slot. */
  readonly releaseReasons: ReadonlyMap<string, SlotReleaseReason>;
  /** Eligible NICs without a slot, in the order they will get one. */
  readonly waitingNicUids: readonly string[];
  readonly pending?: AllocationPending;
  readonly usage: AllocationUsage;
  /** IPs that drain after the plan (a subset of `ips`), by IP. */
  readonly draining?: ReadonlyMap<string, DrainingIp>;
  /** IPs released because their drain deadline passed (a subset of `releaseIps`). */
  readonly drainedIps?: ReadonlySet<string>;
  /**
   * Retiring slots after the plan, by retiringSlotKey: kept ones and active slots that retire
   * now. Absent: none (a plan without drain releases every retiring slot).
   */
  readonly retiring?: ReadonlyMap<string, RetiringSlot>;
  /** Why each retiring slot of the current state that is not in `retiring` is released. */
  readonly retiringReleaseReasons?: ReadonlyMap<string, RetiringSlotReleaseReason>;
  /**
   * Dynamic port allocation: the slot sizes allowed (`portsPerNetworkInterface` is then
   * minPorts, the unit every count above is in), and the NICs whose usage asked for more ports
   * than could be granted (the aligned block of twice their size is taken), by NIC uid with the
   * size asked for.
   */
  readonly dynamicPorts?: {
    readonly minPorts: number;
    readonly maxPorts: number;
    readonly refusedGrants: ReadonlyMap<string, number>;
  };
}

interface HeldIp {
  readonly text: string;
  readonly numeric: NumericIp;
}

function slotFor(
  nic: EligibleNic,
  vni: number | undefined,
  ip: string,
  port: number,
  endPort: number,
): NatSlot {
  return {
    nicUid: nic.uid,
    nicName: nic.name,
    namespace: nic.namespace,
    privateIp: nic.privateIp,
    ...(nic.nodeName !== undefined ? { nodeName: nic.nodeName } : {}),
    ...(vni !== undefined ? { vni } : {}),
    ip,
    port,
    endPort,
  };
}

/**
 * Computes the allocation a gateway should hold, from current state only (level-triggered).
 *
 * Rules, in order of precedence:
 * - Stability: a NIC keeps its slot while it stays eligible, its IP stays held and ppni is unchanged;
 *   a kept slot whose details went stale (staleSlotDetail) keeps its ports and is assigned again.
 * - maxPublicIPs is a hard bound: if lowered below the IPs in use, the IPs with the fewest slots
 *   (then the highest) are released and their NICs move ('IPReleased').
 * - Size: the fewest IPs that give every NIC a slot, clamped to [min, max] and to the quota's
 *   ipBudget; IPs held now are preferred over new ones, then the pool's lowest free addresses.
 * - New NICs (oldest first) take the lowest free slot on the lowest IP; NICs that do not fit wait.
 * - An IP is released only when it holds no slot and the gateway is above its minimum.
 * - Drain (spec.drainIPs, see decideDrains): a draining IP takes no new slot and does not count
 *   towards min/maxPublicIPs (it is on its way out; the quota still counts it, it is held). The
 *   active slots on it retire (reserved until the deadline) and their NICs are placed again like
 *   new ones, on another IP; when none has room a new IP is claimed (within maxPublicIPs), else
 *   they wait. A NIC is never placed on an IP where it still has a retiring slot, and no slot
 *   overlaps a retiring one. At the deadline the retiring slots and the IP are released.
 */
export function planAllocation(input: PlanAllocationInput): AllocationPlan {
  const { gateway, current } = input;
  const dpa = input.dynamicPorts?.config;
  const dpaProblems = dpa === undefined ? [] : validateDynamicPortAllocation(dpa);
  if (dpaProblems.length > 0)
    throw new InvalidAllocationInputError(gateway.uid, dpaProblems.join('; '));
  // With DPA every count is in units of minPorts ports; a slot spans one or more units.
  const ppni = dpa?.minPorts ?? gateway.portsPerNetworkInterface;
  const unitsOf = (range: NatSlot): { first: number; count: number } | undefined => {
    if (dpa !== undefined) return dynamicSlotUnits(range, dpa);
    const index = slotIndexOf(ppni, range);
    return index === undefined ? undefined : { first: index, count: 1 };
  };
  const family = gateway.ipFamily;
  const bounds = input.bounds ?? DEFAULT_PUBLIC_IP_BOUNDS;
  if (current.status === 'closed') throw new AllocationClosedError(gateway.uid);
  const boundProblems = validatePublicIpBounds(bounds);
  if (boundProblems.length > 0) {
    throw new InvalidPublicIpBoundsError(bounds.minPublicIPs, bounds.maxPublicIPs, boundProblems);
  }
  const perIp = slotsPerIp(ppni);
  const nicsByUid = indexNics(gateway.uid, family, input.nics);
  const drains = decideDrains(gateway.uid, family, current, input.drainIPs ?? [], input.now);
  const retiringNow = keepRetiringSlots(
    current,
    nicsByUid,
    input.existingNicUids,
    input.now,
    drains.expired,
  );
  const retiring = new Map(retiringNow.kept);

  // Which current slots survive, per IP (slot index -> slot). Draining and drained IPs are held
  // but take no slot: `held` is the IPs that may.
  const held = new Map<string, HeldIp>();
  for (const text of current.ips) {
    const numeric = parseIp(text);
    if (numeric.family === family && !drains.draining.has(text) && !drains.expired.has(text))
      held.set(text, { text, numeric });
  }
  const compareSlots = slotComparator();
  const releaseReasons = new Map<string, SlotReleaseReason>();
  const kept = new Map<string, Map<number, NatSlot>>();
  for (const slot of [...current.slots.values()].sort(compareSlots)) {
    const nic = nicsByUid.get(slot.nicUid);
    const drain = drains.draining.get(slot.ip);
    if (nic !== undefined && drain !== undefined) {
      // Retires: reserved until the deadline; the NIC is placed again below.
      const retired = retire(slot, drain);
      retiring.set(retiringSlotKey(retired), retired);
      continue;
    }
    if (nic !== undefined && drains.expired.has(slot.ip)) {
      releaseReasons.set(slot.nicUid, 'Drained');
      continue;
    }
    const reason = departureReason(slot, nic, held, kept, unitsOf, input.existingNicUids);
    if (reason !== undefined) {
      releaseReasons.set(slot.nicUid, reason);
      continue;
    }
    if (nic === undefined) continue; // departureReason covers it; narrows the type
    if (staleSlotDetail(slot, nic, input.vni) !== undefined)
      releaseReasons.set(nic.uid, 'NetworkInterfaceUpdated');
    const onIp = kept.get(slot.ip) ?? new Map<number, NatSlot>();
    const keptSlot = slotFor(nic, input.vni, slot.ip, slot.port, slot.endPort);
    const units = unitsOf(slot) ?? { first: -1, count: 1 };
    for (let unit = units.first; unit < units.first + units.count; unit++) onIp.set(unit, keptSlot);
    kept.set(slot.ip, onIp);
  }

  // maxPublicIPs wins over stability: drop the least used IPs (then the highest) above it.
  const inUse = [...kept.keys()].map((ip) => held.get(ip) as HeldIp);
  if (inUse.length > bounds.maxPublicIPs) {
    const byLeastUsed = [...inUse].sort(
      (a, b) =>
        (kept.get(a.text)?.size ?? 0) - (kept.get(b.text)?.size ?? 0) ||
        compareNumericIps(b.numeric, a.numeric),
    );
    for (const ip of byLeastUsed.slice(0, inUse.length - bounds.maxPublicIPs)) {
      for (const slot of new Set(kept.get(ip.text)?.values() ?? [])) {
        releaseReasons.set(slot.nicUid, 'IPReleased');
      }
      kept.delete(ip.text);
    }
  }
  // An IP with retiring slots stays (a cancelled drain's): its reserved ports must stay held.
  const retiringOnHeld = [...retiring.values()].map((s) => s.ip).filter((ip) => held.has(ip));
  const keptIps = [...new Set([...kept.keys(), ...retiringOnHeld])];
  const keptCount = [...kept.values()].reduce((sum, onIp) => sum + onIp.size, 0);

  // How many IPs: the fewest that fit every NIC, clamped to the bounds.
  const keptNicUids = new Set<string>();
  for (const onIp of kept.values()) for (const slot of onIp.values()) keptNicUids.add(slot.nicUid);
  const newcomers = sortByCreation(
    input.nics.filter((nic) => !keptNicUids.has(nic.uid)),
    'NetworkInterface',
  );
  const reserved = reservedSlots(retiring.values(), ppni, perIp);
  const reservedOnKept = keptIps.reduce((sum, ip) => sum + (reserved.get(ip)?.size ?? 0), 0);
  const shortfall = newcomers.length - (keptIps.length * perIp - keptCount - reservedOnKept);
  const wanted = Math.max(
    bounds.minPublicIPs,
    keptIps.length + (shortfall > 0 ? Math.ceil(shortfall / perIp) : 0),
  );
  const allowedByBounds = Math.min(wanted, bounds.maxPublicIPs);
  // The quota counts every held IP, draining ones included.
  const allowed =
    input.ipBudget === undefined
      ? allowedByBounds
      : Math.min(allowedByBounds, Math.max(input.ipBudget - drains.draining.size, keptIps.length));

  // Extra IPs: held ones first (no churn in the pool), then the pool's lowest free addresses.
  const targetIps = new Map<string, HeldIp>(keptIps.map((ip) => [ip, held.get(ip) as HeldIp]));
  const heldSpare = [...held.values()]
    .filter((ip) => !targetIps.has(ip.text))
    .sort((a, b) => compareNumericIps(a.numeric, b.numeric));
  for (const ip of heldSpare) {
    if (targetIps.size >= allowed) break;
    targetIps.set(ip.text, ip);
  }
  const claimIps: string[] = [];
  if (targetIps.size < allowed) {
    for (const text of input.freeIps) {
      const numeric = parseIp(text);
      const ip = formatIp(numeric);
      if (numeric.family !== family || targetIps.has(ip) || current.ips.includes(ip)) continue;
      if (drains.requested.has(ip)) continue; // drained: not taken again while listed
      targetIps.set(ip, { text: ip, numeric });
      claimIps.push(ip);
      if (targetIps.size >= allowed) break;
    }
  }
  const activeIps = [...targetIps.values()]
    .sort((a, b) => compareNumericIps(a.numeric, b.numeric))
    .map((ip) => ip.text);
  const ips = [...activeIps, ...drains.draining.keys()].sort((a, b) =>
    compareNumericIps(parseIp(a), parseIp(b)),
  );

  // New NICs take the lowest free slot on the lowest IP (never on an IP where they retire a slot).
  const placed: NatSlot[] = [];
  const waitingNicUids: string[] = [];
  const retiringIpsOf = new Map<string, Set<string>>();
  for (const slot of retiring.values()) {
    const set = retiringIpsOf.get(slot.nicUid) ?? new Set<string>();
    set.add(slot.ip);
    retiringIpsOf.set(slot.nicUid, set);
  }
  const units = dpa === undefined ? undefined : portUnitsOf(activeIps, kept, reserved, perIp, dpa);
  const freeSlots = units ?? new FreeSlots(freeSlotsInOrder(activeIps, kept, reserved, perIp));
  for (const nic of newcomers) {
    const avoid = retiringIpsOf.get(nic.uid);
    const next = freeSlots.take((ip) => avoid?.has(ip) !== true);
    if (next === undefined) {
      waitingNicUids.push(nic.uid);
      continue;
    }
    const { ip, index } = next;
    const range = slotPortRange(ppni, index);
    placed.push(slotFor(nic, input.vni, ip, range.port, range.endPort));
  }
  const keptSlots = [...new Set([...kept.values()].flatMap((onIp) => [...onIp.values()]))];
  const refusedGrants = new Map<string, number>();
  const resizedSlots =
    dpa === undefined || units === undefined
      ? keptSlots
      : keptSlots.map((slot) => {
          if (releaseReasons.has(slot.nicUid)) return slot;
          const usage = input.dynamicPorts?.usage?.get(slot.nicUid);
          const wish = resizeWish(slot, usage, dpa, input.now);
          const avoid = retiringIpsOf.get(slot.nicUid);
          // A move needs the clock: its old block retires until a deadline.
          const movable = (ip: string) => input.now !== undefined && avoid?.has(ip) !== true;
          const resized = resize(slot, wish, units, dpa, movable);
          if (resized.refused !== undefined) refusedGrants.set(slot.nicUid, resized.refused);
          if (resized.reason !== undefined) releaseReasons.set(slot.nicUid, resized.reason);
          if (resized.moved && input.now !== undefined) {
            // The old block retires: reserved for its connections, then flushed and free.
            const deadline = new Date(input.now + DPA_MOVED_BLOCK_RETIRE_SECONDS * 1000);
            const old = {
              ...slot,
              deadline: deadline.toISOString(),
              reason: 'PortsGrown' as const,
            };
            retiring.set(retiringSlotKey(old), old);
          }
          return resized.slot;
        });
  const slots = [...resizedSlots, ...placed].sort(compareSlots);

  const missingIps = allowedByBounds - targetIps.size;
  const pending: AllocationPending | undefined =
    waitingNicUids.length > 0 || missingIps > 0
      ? {
          waiting: waitingNicUids.length,
          reason:
            targetIps.size < allowed
              ? 'PublicIPPoolExhausted'
              : allowed < allowedByBounds
                ? 'QuotaExceeded'
                : 'MaxPublicIPsReached',
          missingIps,
        }
      : undefined;
  return {
    gatewayUid: gateway.uid,
    ipFamily: family,
    portsPerNetworkInterface: ppni,
    ips,
    slots,
    claimIps: claimIps.sort((a, b) => compareNumericIps(parseIp(a), parseIp(b))),
    releaseIps: current.ips
      .filter((ip) => !targetIps.has(ip) && !drains.draining.has(ip))
      .sort((a, b) => compareNumericIps(parseIp(a), parseIp(b))),
    releaseReasons,
    waitingNicUids,
    ...(pending ? { pending } : {}),
    usage: {
      nicsRequesting: input.nics.length,
      slotsUsed: slots.length,
      slotsTotal: activeIps.length * perIp,
    },
    draining: drains.draining,
    drainedIps: drains.expired,
    retiring,
    retiringReleaseReasons: retiringNow.released,
    ...(dpa !== undefined
      ? { dynamicPorts: { minPorts: dpa.minPorts, maxPorts: dpa.maxPorts, refusedGrants } }
      : {}),
  };
}

/** The units of the IPs that take slots, with the kept slots and the retiring ones taken. */
function portUnitsOf(
  activeIps: readonly string[],
  kept: ReadonlyMap<string, ReadonlyMap<number, NatSlot>>,
  reserved: ReadonlyMap<string, ReadonlySet<number>>,
  perIp: number,
  dpa: DynamicPortAllocation,
): PortUnits {
  const units = new PortUnits(activeIps, perIp, dpa.maxPorts / dpa.minPorts);
  for (const [ip, onIp] of kept) for (const unit of onIp.keys()) units.occupy(ip, unit, 1);
  for (const [ip, set] of reserved) for (const unit of set) units.occupy(ip, unit, 1);
  return units;
}

/**
 * A kept DPA slot after its usage's wish. Grow: the aligned block of twice the size that
 * contains the slot (its buddy-style parent), when the other half is free; the new range holds
 * the old one, so the node widens the rule and no connection moves. Else a free aligned block of
 * twice the size on another IP (`fits`: not one where the NIC retires a slot), lowest first:
 * the NIC moves there and its old block retires (`moved`), so its connections keep working and
 * the node can flush them by private address and IP at the deadline. Else the grant is refused
 * (visible in the plan) and asked again on the next report. Shrink: the lower half (the upper
 * half is given back; the slot was idle, so no connection holds its ports).
 */
function resize(
  slot: NatSlot,
  wish: 'Grow' | 'Shrink' | undefined,
  units: PortUnits,
  dpa: DynamicPortAllocation,
  fits: (ip: string) => boolean,
): { slot: NatSlot; reason?: SlotReleaseReason; refused?: number; moved?: boolean } {
  const size = slot.endPort - slot.port + 1;
  if (wish === 'Shrink') {
    const half = alignedBlockAt(slot.port, size / 2);
    return { slot: { ...slot, endPort: half.endPort }, reason: 'PortsShrunk' };
  }
  if (wish !== 'Grow') return { slot };
  const parent = alignedBlockAt(slot.port, size * 2);
  const buddyPort = parent.port === slot.port ? slot.endPort + 1 : parent.port;
  const buddyUnit = (buddyPort - FIRST_NAT_PORT) / dpa.minPorts;
  if (!units.isFree(slot.ip, buddyUnit, size / dpa.minPorts)) {
    const block = units.takeBlock((size * 2) / dpa.minPorts, (ip) => ip !== slot.ip && fits(ip));
    if (block === undefined) return { slot, refused: size * 2 };
    const port = FIRST_NAT_PORT + block.index * dpa.minPorts;
    return { slot: { ...slot, ip: block.ip, port, endPort: port + size * 2 - 1 }, moved: true };
  }
  units.occupy(slot.ip, buddyUnit, size / dpa.minPorts);
  return { slot: { ...slot, port: parent.port, endPort: parent.endPort }, reason: 'PortsGrown' };
}

/**
 * Slot indexes per IP that retiring slots reserve. A retiring slot on the current slot grid
 * reserves its index; one of another size (portsPerNetworkInterface changed since) reserves
 * every index it overlaps.
 */
function reservedSlots(
  retiring: Iterable<RetiringSlot>,
  ppni: number,
  perIp: number,
): Map<string, Set<number>> {
  const reserved = new Map<string, Set<number>>();
  for (const slot of retiring) {
    const set = reserved.get(slot.ip) ?? new Set<number>();
    const first = Math.floor((slot.port - FIRST_NAT_PORT) / ppni);
    const last = Math.floor((slot.endPort - FIRST_NAT_PORT) / ppni);
    for (let index = Math.max(0, first); index <= Math.min(last, perIp - 1); index++)
      set.add(index);
    reserved.set(slot.ip, set);
  }
  return reserved;
}

/** Free slots in order, where a NIC may pass over some (left for the next NICs, in order). */
class FreeSlots {
  private readonly passed: Array<{ ip: string; index: number }> = [];

  constructor(private readonly source: Iterator<{ ip: string; index: number }>) {}

  take(fits: (ip: string) => boolean): { ip: string; index: number } | undefined {
    const at = this.passed.findIndex((slot) => fits(slot.ip));
    if (at >= 0) return this.passed.splice(at, 1)[0];
    for (let next = this.source.next(); next.done !== true; next = this.source.next()) {
      if (fits(next.value.ip)) return next.value;
      this.passed.push(next.value);
    }
    return undefined;
  }
}

function indexNics(
  gatewayUid: string,
  family: IpFamily,
  nics: readonly EligibleNic[],
): Map<string, EligibleNic> {
  const byUid = new Map<string, EligibleNic>();
  for (const nic of nics) {
    if (byUid.has(nic.uid)) {
      throw new InvalidAllocationInputError(gatewayUid, `NIC ${nic.uid} is listed twice`);
    }
    if (parseIp(nic.privateIp).family !== family) {
      throw new InvalidAllocationInputError(
        gatewayUid,
        `NIC ${nic.uid} has private IP ${nic.privateIp}, not of the gateway's family ${family}`,
      );
    }
    byUid.set(nic.uid, nic);
  }
  return byUid;
}

function departureReason(
  slot: NatSlot,
  nic: EligibleNic | undefined,
  held: ReadonlyMap<string, HeldIp>,
  kept: ReadonlyMap<string, ReadonlyMap<number, NatSlot>>,
  unitsOf: (slot: NatSlot) => { first: number; count: number } | undefined,
  existingNicUids: ReadonlySet<string> | undefined,
): SlotReleaseReason | undefined {
  if (nic === undefined) {
    return existingNicUids !== undefined && !existingNicUids.has(slot.nicUid)
      ? 'NetworkInterfaceDeleted'
      : 'NoLongerEligible';
  }
  if (!held.has(slot.ip)) return 'IPReleased';
  const units = unitsOf(slot);
  if (units === undefined) return 'PortsPerNetworkInterfaceChanged';
  const onIp = kept.get(slot.ip);
  for (let unit = units.first; unit < units.first + units.count; unit++)
    if (onIp?.has(unit) === true) return 'SlotConflict';
  return undefined;
}

/** Orders slots by IP then port, parsing each IP once (plans sort thousands of slots). */
function slotComparator(): (a: NatSlot, b: NatSlot) => number {
  const parsed = new Map<string, NumericIp>();
  const numeric = (ip: string): NumericIp => {
    let value = parsed.get(ip);
    if (value === undefined) {
      value = parseIp(ip);
      parsed.set(ip, value);
    }
    return value;
  };
  return (a, b) => compareNumericIps(numeric(a.ip), numeric(b.ip)) || a.port - b.port;
}

function* freeSlotsInOrder(
  ips: readonly string[],
  kept: ReadonlyMap<string, ReadonlyMap<number, NatSlot>>,
  reserved: ReadonlyMap<string, ReadonlySet<number>>,
  perIp: number,
): Generator<{ ip: string; index: number }, void, undefined> {
  for (const ip of ips) {
    const taken = kept.get(ip);
    const retiring = reserved.get(ip);
    for (let index = 0; index < perIp; index++) {
      if (taken?.has(index) !== true && retiring?.has(index) !== true) yield { ip, index };
    }
  }
}
