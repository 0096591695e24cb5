import fc from 'fast-check';
import {
  replayAllocationByTheRules,
  replayPoolByTheRules,
} from '../../test-support/allocation-log-oracle';
import { parseIp, type IpFamily } from './addresses';
import { decideAllocation } from './allocation-decider';
import {
  evolveAllocation,
  initialAllocationState,
  type AllocationEvent,
  type AllocationState,
  type NatSlot,
} from './allocation-state';
import {
  eligibleNicsByGateway,
  type EligibleNic,
  type NatGatewayInput,
  type NetworkInterfaceInput,
} from './eligibility';
import { PrefixInUseError, PrefixOverlapError } from './errors';
import {
  decidePool,
  evolvePool,
  freeIps,
  initialIpPoolState,
  lowestFreeIps,
  type IpPoolCommand,
  type IpPoolEvent,
  type IpPoolState,
} from './ip-pool';
import { parsePrefix, prefixAddresses, prefixContains, prefixesOverlap } from './ip-prefix';
import { natTableFromSlots, natTableOf } from './nat-table';
import {
  DEFAULT_PUBLIC_IP_BOUNDS,
  planAllocation,
  type AllocationPlan,
  type PublicIpBounds,
} from './plan-allocation';
import { slotsPerIp } from './port-slots';

// A whole allocator, purely: resources change, then every gateway is reconciled (level-triggered)
// with pool claims through the pool decider, and every emitted event is folded with evolve.

/** Small prefixes so that exhaustion happens often; the /29 and /125 overlap the others. */
const CANDIDATE_PREFIXES = [
  '192.0.2.0/30',
  '192.0.2.4/31',
  '198.51.100.0/31',
  '192.0.2.0/29',
  '2001:db8::/127',
  '2001:db8::4/126',
  '2001:db8::/125',
];
/** Every valid ppni: each power of two from 1 (64512 one-port slots per IP) to 32768 (one slot). */
const PPNIS = Array.from({ length: 16 }, (_, exponent) => 2 ** exponent);
/** 7, 3 and 1 slots per IP: few NICs fill an IP, so exhaustion and max bounds happen often. */
const FEW_SLOT_PPNIS = [8192, 16384, 32768];
const ppniArb = fc.oneof(fc.constantFrom(...PPNIS), fc.constantFrom(...FEW_SLOT_PPNIS));

type VirtualIp = 'none' | IpFamily;

type Operation =
  | {
      kind: 'createNic';
      ns: number;
      net: number;
      v4: boolean;
      v6: boolean;
      virtual: VirtualIp;
      node: number;
    }
  | { kind: 'deleteNic'; pick: number }
  | { kind: 'setVirtualIp'; pick: number; virtual: VirtualIp }
  | { kind: 'moveNic'; pick: number; node: number }
  | { kind: 'createGateway'; ns: number; net: number; family: IpFamily; ppni: number }
  | { kind: 'deleteGateway'; pick: number }
  | { kind: 'changePpni'; pick: number; ppni: number }
  | { kind: 'setBounds'; pick: number; min: number; extra: number }
  | { kind: 'addPrefix'; which: number }
  | { kind: 'removePrefix'; which: number };

const virtualArb = fc.constantFrom<VirtualIp>('none', 'none', 'none', 'IPv4', 'IPv6');
// Mostly one namespace and network, so gateways and NICs meet often; sometimes not.
const namespaceArb = fc.constantFrom(0, 0, 0, 1);
const networkArb = fc.constantFrom(0, 0, 1);
const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('createNic' as const),
      ns: namespaceArb,
      net: networkArb,
      v4: fc.boolean(),
      v6: fc.boolean(),
      virtual: virtualArb,
      node: fc.nat(2),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deleteNic' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('setVirtualIp' as const),
      pick: fc.nat(),
      virtual: virtualArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('moveNic' as const),
      pick: fc.nat(),
      node: fc.nat(2),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('createGateway' as const),
      ns: namespaceArb,
      net: networkArb,
      family: fc.constantFrom<IpFamily>('IPv4', 'IPv6'),
      ppni: ppniArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('deleteGateway' as const), pick: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('changePpni' as const),
      pick: fc.nat(),
      ppni: ppniArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('setBounds' as const),
      pick: fc.nat(),
      min: fc.nat(2),
      extra: fc.nat(2),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('addPrefix' as const),
      which: fc.nat(CANDIDATE_PREFIXES.length - 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('removePrefix' as const),
      which: fc.nat(CANDIDATE_PREFIXES.length - 1),
    }),
  },
);

interface Gateway {
  input: NatGatewayInput;
  bounds: PublicIpBounds;
}

class MiniAllocator {
  readonly gateways = new Map<string, Gateway>();
  readonly nics = new Map<string, NetworkInterfaceInput>();
  pool: IpPoolState = initialIpPoolState();
  readonly allocations = new Map<string, AllocationState>();
  readonly allocationLog = new Map<string, AllocationEvent[]>();
  readonly poolLog: IpPoolEvent[] = [];
  private counter = 0;
  private eligibleCache: Map<string, EligibleNic[]> | undefined;

  private nextCreatedAt(): string {
    this.counter++;
    return new Date(Date.UTC(2024, 0, 1) + this.counter * 1000).toISOString();
  }

  private picked<T>(map: Map<string, T>, pick: number): T | undefined {
    const keys = [...map.keys()].sort();
    const key = keys.length === 0 ? undefined : keys[pick % keys.length];
    return key === undefined ? undefined : map.get(key);
  }

  apply(op: Operation): void {
    this.eligibleCache = undefined;
    switch (op.kind) {
      case 'createNic': {
        const n = this.counter;
        const ips = [
          ...(op.v4 || !op.v6 ? [`10.${op.ns}.${op.net}.${n % 250}`] : []),
          ...(op.v6 ? [`fd00:${op.ns}:${op.net}::${n.toString(16)}`] : []),
        ];
        const uid = `nic-${n}`;
        this.nics.set(uid, {
          uid,
          namespace: `ns${op.ns}`,
          name: `vm-${n}`,
          networkName: `net${op.net}`,
          ips,
          ...virtualIpOf(op.virtual, n),
          nodeName: `node-${op.node}`,
          createdAt: this.nextCreatedAt(),
        });
        return;
      }
      case 'deleteNic': {
        const nic = this.picked(this.nics, op.pick);
        if (nic) this.nics.delete(nic.uid);
        return;
      }
      case 'setVirtualIp': {
        const nic = this.picked(this.nics, op.pick);
        if (!nic) return;
        const { virtualIp: _dropped, ...rest } = nic;
        this.nics.set(nic.uid, { ...rest, ...virtualIpOf(op.virtual, this.counter++) });
        return;
      }
      case 'moveNic': {
        const nic = this.picked(this.nics, op.pick);
        if (nic) this.nics.set(nic.uid, { ...nic, nodeName: `node-${op.node}` });
        return;
      }
      case 'createGateway': {
        const uid = `gw-${this.counter}`;
        this.gateways.set(uid, {
          input: {
            uid,
            namespace: `ns${op.ns}`,
            name: `natgw-${this.counter}`,
            networkName: `net${op.net}`,
            ipFamily: op.family,
            portsPerNetworkInterface: op.ppni,
            createdAt: this.nextCreatedAt(),
          },
          bounds: DEFAULT_PUBLIC_IP_BOUNDS,
        });
        return;
      }
      case 'deleteGateway': {
        const gw = this.picked(this.gateways, op.pick);
        if (gw) gw.input = { ...gw.input, deleting: true };
        return;
      }
      case 'changePpni': {
        const gw = this.picked(this.gateways, op.pick);
        if (gw) gw.input = { ...gw.input, portsPerNetworkInterface: op.ppni };
        return;
      }
      case 'setBounds': {
        const gw = this.picked(this.gateways, op.pick);
        if (gw) gw.bounds = { minPublicIPs: op.min, maxPublicIPs: op.min + op.extra };
        return;
      }
      case 'addPrefix': {
        const prefix = parsePrefix(CANDIDATE_PREFIXES[op.which] as string);
        const overlaps = this.pool.prefixes.some(
          (p) => p.cidr !== prefix.cidr && prefixesOverlap(p, prefix),
        );
        if (overlaps) {
          expect(() => this.pool$({ type: 'AddPrefix', prefix: prefix.cidr })).toThrow(
            PrefixOverlapError,
          );
        } else {
          this.pool$({ type: 'AddPrefix', prefix: prefix.cidr });
        }
        return;
      }
      case 'removePrefix': {
        const prefix = parsePrefix(CANDIDATE_PREFIXES[op.which] as string);
        const present = this.pool.prefixes.some((p) => p.cidr === prefix.cidr);
        const inUse = [...this.pool.claims.keys()].some((ip) => prefixContains(prefix, ip));
        if (present && inUse) {
          expect(() => this.pool$({ type: 'RemovePrefix', prefix: prefix.cidr })).toThrow(
            PrefixInUseError,
          );
        } else {
          this.pool$({ type: 'RemovePrefix', prefix: prefix.cidr });
        }
        return;
      }
      default: {
        const unknown: never = op;
        throw new Error(`unknown operation ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Decides and folds one pool command; returns how many events it emitted. */
  private pool$(command: IpPoolCommand): number {
    const events = decidePool(command, this.pool);
    for (const event of events) {
      this.pool = evolvePool(this.pool, event);
      this.poolLog.push(event);
    }
    return events.length;
  }

  allocation(uid: string): AllocationState {
    return this.allocations.get(uid) ?? initialAllocationState();
  }

  private record(uid: string, events: readonly AllocationEvent[]): void {
    let state = this.allocation(uid);
    for (const event of events) state = evolveAllocation(state, event);
    this.allocations.set(uid, state);
    this.allocationLog.set(uid, [...(this.allocationLog.get(uid) ?? []), ...events]);
  }

  /** Eligibility changes only with resources, not with reconciles, so it is cached per change. */
  eligible(): Map<string, EligibleNic[]> {
    this.eligibleCache ??= eligibleNicsByGateway(
      [...this.gateways.values()].map((g) => g.input),
      this.nics.values(),
    );
    return this.eligibleCache;
  }

  plan(gw: Gateway, eligible: Map<string, EligibleNic[]>): AllocationPlan {
    return planAllocation({
      gateway: gw.input,
      nics: eligible.get(gw.input.uid) ?? [],
      current: this.allocation(gw.input.uid),
      bounds: gw.bounds,
      freeIps: freeIps(this.pool, gw.input.ipFamily),
      existingNicUids: new Set(this.nics.keys()),
    });
  }

  /** One reconcile of one gateway, as the allocator service does it; returns events emitted. */
  reconcile(uid: string): number {
    const gw = this.gateways.get(uid);
    if (gw === undefined) return 0;
    if (gw.input.deleting === true) {
      const events = decideAllocation(
        { type: 'CloseAllocation', gatewayUid: uid, reason: 'GatewayDeleted' },
        this.allocation(uid),
      );
      this.record(uid, events);
      const released = this.pool$({ type: 'ReleaseGatewayIps', gatewayUid: uid });
      this.gateways.delete(uid);
      return events.length + released;
    }
    const plan = this.plan(gw, this.eligible());
    let emitted = 0;
    for (const ip of plan.claimIps) {
      emitted += this.pool$({ type: 'ClaimIp', gatewayUid: uid, family: gw.input.ipFamily, ip });
    }
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, this.allocation(uid));
    this.record(uid, events);
    // Folding the decided events reaches exactly the planned table.
    same(natTableOf(this.allocation(uid)), natTableFromSlots(plan.ips, plan.slots), 'folded table');
    for (const ip of plan.releaseIps) {
      emitted += this.pool$({ type: 'ReleaseIp', gatewayUid: uid, ip });
    }
    return emitted + events.length;
  }

  /** Reconciles every gateway in a rotated order until nothing changes. */
  settle(rotation: number): void {
    for (let pass = 0; pass < 6; pass++) {
      const uids = [...this.gateways.keys()].sort();
      const start = uids.length === 0 ? 0 : rotation % uids.length;
      let emitted = 0;
      for (const uid of [...uids.slice(start), ...uids.slice(0, start)]) {
        emitted += this.reconcile(uid);
        // A duplicated delivery: the same reconcile again decides nothing.
        same(this.reconcile(uid), 0, `events of a repeated reconcile of ${uid}`);
      }
      if (emitted === 0) return;
    }
    throw new Error('the allocation did not settle within 6 reconcile passes');
  }

  /** Each NIC's slot per family: `nicUid/family` -> where it is. */
  slotsByNic(): Map<string, { gatewayUid: string; ip: string; port: number }> {
    const result = new Map<string, { gatewayUid: string; ip: string; port: number }>();
    for (const [gatewayUid, state] of this.allocations) {
      for (const slot of state.slots.values()) {
        const key = `${slot.nicUid}/${parseIp(slot.ip).family}`;
        holds(!result.has(key), `one gateway per family holds the claim of ${key}`);
        result.set(key, { gatewayUid, ip: slot.ip, port: slot.port });
      }
    }
    return result;
  }
}

function virtualIpOf(virtual: VirtualIp, n: number): { virtualIp?: string } {
  switch (virtual) {
    case 'none':
      return {};
    case 'IPv4':
      return { virtualIp: `203.0.113.${n % 250}` };
    case 'IPv6':
      return { virtualIp: `2001:db8:ffff::${n.toString(16)}` };
    default: {
      const unknown: never = virtual;
      throw new Error(`unknown virtual IP choice ${String(unknown)}`);
    }
  }
}

interface PortOwner {
  port: number;
  endPort: number;
  nic: string;
}

// Plain assertions for the hot loops: jest's expect costs more than the allocator itself here.
function holds(condition: boolean, what: string): void {
  if (!condition) throw new Error(`invariant broken: ${what}`);
}

function same(actual: unknown, expected: unknown, what: string): void {
  const json = (value: unknown) => JSON.stringify(value) ?? String(value);
  holds(json(actual) === json(expected), `${what}: ${json(actual)} !== ${json(expected)}`);
}

/** The invariants that must hold whenever the allocator has settled. */
function checkInvariants(world: MiniAllocator): void {
  const eligible = world.eligible();
  const heldBy = new Map<string, string>();
  const rangesByIp = new Map<string, PortOwner[]>();

  for (const [uid, state] of world.allocations) {
    const gw = world.gateways.get(uid);
    if (gw === undefined) {
      // Deleted: everything given back.
      same(state.status, 'closed', `status of deleted ${uid}`);
      continue;
    }
    same(state.status, 'open', `status of ${uid}`);
    const { minPublicIPs: min, maxPublicIPs: max } = gw.bounds;
    const family = gw.input.ipFamily;
    const perIp = slotsPerIp(gw.input.portsPerNetworkInterface);

    // No IP held by two gateways, and the pool agrees on who holds it.
    for (const ip of state.ips) {
      holds(!heldBy.has(ip), `${ip} held by ${uid} and ${heldBy.get(ip)}`);
      heldBy.set(ip, uid);
      same(world.pool.claims.get(ip), uid, `pool claim of ${ip}`);
      same(parseIp(ip).family, family, `family of ${ip}`);
    }
    for (const slot of state.slots.values()) {
      holds(state.ips.includes(slot.ip), `${uid} holds ${slot.ip}`);
      const ranges = rangesByIp.get(slot.ip) ?? [];
      ranges.push({ port: slot.port, endPort: slot.endPort, nic: slot.nicUid });
      rangesByIp.set(slot.ip, ranges);
      same(slot.endPort - slot.port + 1, gw.input.portsPerNetworkInterface, 'slot width');
    }

    // Only eligible NICs hold slots, with their current details.
    const nics = new Map((eligible.get(uid) ?? []).map((n) => [n.uid, n]));
    for (const slot of state.slots.values()) {
      const nic = nics.get(slot.nicUid);
      holds(nic !== undefined, `${slot.nicUid} holds a slot of ${uid} while not eligible`);
      same(slot.privateIp, nic?.privateIp, `private IP of ${slot.nicUid}`);
      same(slot.nodeName, nic?.nodeName, `node of ${slot.nicUid}`);
    }

    // Every eligible NIC has a slot whenever capacity allows.
    const waiting = nics.size - state.slots.size;
    same(state.pending?.waiting ?? 0, waiting, `waiting NICs of ${uid}`);
    const poolHasFree = lowestFreeIps(world.pool, family, 1).length > 0;
    if (waiting > 0) {
      same(state.slots.size, state.ips.length * perIp, `NICs wait at ${uid} beside free slots`);
      holds(state.ips.length >= max || !poolHasFree, `NICs wait at ${uid} beside free IPs`);
      same(
        state.pending?.reason,
        state.ips.length >= max ? 'MaxPublicIPsReached' : 'PublicIPPoolExhausted',
        `pending reason of ${uid}`,
      );
    }

    // The IP count is minimal within the bounds; no IP is held empty above the minimum.
    holds(state.ips.length <= max, `${uid} holds more than maxPublicIPs`);
    holds(state.ips.length >= min || !poolHasFree, `${uid} below minPublicIPs beside free IPs`);
    if (state.ips.length > min) {
      const used = new Set([...state.slots.values()].map((s) => s.ip));
      same(
        state.ips.filter((ip) => !used.has(ip)),
        [],
        `empty IPs of ${uid} above the minimum`,
      );
    }
    // From scratch, the same NICs and addresses need exactly clamp(ceil(n / slotsPerIp)) IPs.
    const fresh = planAllocation({
      gateway: gw.input,
      nics: [...nics.values()],
      current: initialAllocationState(),
      bounds: gw.bounds,
      freeIps: [...state.ips, ...freeIps(world.pool, family)],
    });
    const minimal = Math.min(max, Math.max(min, Math.ceil(nics.size / perIp)));
    const available = state.ips.length + lowestFreeIps(world.pool, family, minimal).length;
    same(fresh.ips.length, Math.min(minimal, available), `IPs of ${uid} planned from scratch`);
  }

  // The pool's lowest free address is the one a plain scan finds (its search index is sound).
  for (const family of ['IPv4', 'IPv6'] as const) {
    const scanned = world.pool.prefixes
      .filter((p) => p.family === family)
      .flatMap((p) => [...prefixAddresses(p)])
      .find((ip) => !world.pool.claims.has(ip));
    same(lowestFreeIps(world.pool, family, 1)[0], scanned, `lowest free ${family} address`);
  }

  // No (ip, port) belongs to two NICs.
  for (const ranges of rangesByIp.values()) {
    ranges.sort((a, b) => a.port - b.port);
    for (let i = 1; i < ranges.length; i++) {
      const [previous, next] = [ranges[i - 1], ranges[i]] as [PortOwner, PortOwner];
      holds(next.port > previous.endPort, `${previous.nic} and ${next.nic} share ports`);
    }
  }
  // The pool has no claim that no gateway holds.
  same(world.pool.claims.size, heldBy.size, 'pool claims held by no gateway');
}

/** A NIC's slot changed or vanished: only for a cause. */
function checkNoMoveWithoutCause(
  world: MiniAllocator,
  before: Map<string, { gatewayUid: string; ip: string; port: number }>,
  op: Operation,
  gatewaysBefore: Map<string, Gateway>,
): void {
  const after = world.slotsByNic();
  const eligible = world.eligible();
  for (const [key, was] of before) {
    const now = after.get(key);
    if (now && now.gatewayUid === was.gatewayUid && now.ip === was.ip && now.port === was.port) {
      continue;
    }
    const nicUid = key.slice(0, key.lastIndexOf('/'));
    const gw = world.gateways.get(was.gatewayUid);
    const gatewayGone = gw === undefined;
    const noLongerEligible = !(eligible.get(was.gatewayUid) ?? []).some((n) => n.uid === nicUid);
    const ppniChanged =
      gw !== undefined &&
      gatewaysBefore.get(was.gatewayUid)?.input.portsPerNetworkInterface !==
        gw.input.portsPerNetworkInterface;
    const ipReleased = !world.allocation(was.gatewayUid).ips.includes(was.ip);
    const cause = gatewayGone || noLongerEligible || ppniChanged || ipReleased;
    if (!cause) {
      throw new Error(
        `NIC ${key} moved from ${JSON.stringify(was)} to ${JSON.stringify(now)} without a cause ` +
          `after ${JSON.stringify(op)}`,
      );
    }
  }
}

/**
 * After any history, each gateway holds the fewest IPs that give every eligible NIC a slot while
 * the NICs that kept their slot stay where they are, within its bounds: the IPs of those NICs,
 * plus as many IPs as the other NICs need beyond the free slots on them, at least minPublicIPs
 * and at most maxPublicIPs. Fewer only when the pool has no free address of the family.
 */
function checkMinimalIpCount(world: MiniAllocator, before: Map<string, AllocationState>): void {
  const eligible = world.eligible();
  for (const [uid, gw] of world.gateways) {
    const state = world.allocation(uid);
    const previous = before.get(uid)?.slots ?? new Map<string, NatSlot>();
    const stayed = [...state.slots.values()].filter((slot) => {
      const was = previous.get(slot.nicUid);
      return was !== undefined && was.ip === slot.ip && was.port === slot.port;
    });
    const perIp = slotsPerIp(gw.input.portsPerNetworkInterface);
    const stayedIps = new Set(stayed.map((slot) => slot.ip)).size;
    const newcomers = (eligible.get(uid) ?? []).length - stayed.length;
    const freeBesideThem = stayedIps * perIp - stayed.length;
    const moreIps = Math.ceil(Math.max(0, newcomers - freeBesideThem) / perIp);
    const { minPublicIPs: min, maxPublicIPs: max } = gw.bounds;
    const fewest = Math.min(max, Math.max(min, stayedIps + moreIps));
    const poolHasFree = lowestFreeIps(world.pool, gw.input.ipFamily, 1).length > 0;
    if (poolHasFree) same(state.ips.length, fewest, `IPs of ${uid} after its history`);
    else holds(state.ips.length <= fewest, `${uid} holds more IPs than it needs`);
  }
}

/**
 * The allocation and pool logs, replayed by an oracle written from the rules (not by the
 * domain's folds), give exactly what the allocator folded live, and break no rule on the way.
 */
function checkReplay(world: MiniAllocator): void {
  for (const [uid, state] of world.allocations) {
    const replayed = replayAllocationByTheRules(world.allocationLog.get(uid) ?? []);
    expect(replayed.status).toBe(state.status);
    expect(replayed.ips).toEqual(state.ips);
    expect(replayed.slots).toEqual(state.slots);
    expect(replayed.pending).toEqual(state.pending);
  }
  const pool = replayPoolByTheRules(world.poolLog);
  expect(pool.prefixes.sort()).toEqual(world.pool.prefixes.map((p) => p.cidr).sort());
  expect(pool.claims).toEqual(world.pool.claims);
}

describe('allocation, property-based over a whole mini-system', () => {
  it('keeps every invariant over random sequences of resource and pool changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(operationArb, fc.nat(7)), { minLength: 15, maxLength: 50, size: 'max' }),
        (steps) => {
          const world = new MiniAllocator();
          // Start with 4 IPv4 and 2 IPv6 addresses; the operations grow and shrink the pool.
          world.apply({ kind: 'addPrefix', which: 0 });
          world.apply({ kind: 'addPrefix', which: 4 });
          for (const [op, rotation] of steps) {
            const before = world.slotsByNic();
            const gatewaysBefore = new Map(
              [...world.gateways].map(([uid, gw]) => [uid, { ...gw }]),
            );
            const allocationsBefore = new Map(world.allocations);
            world.apply(op);
            world.settle(rotation);
            checkInvariants(world);
            checkNoMoveWithoutCause(world, before, op, gatewaysBefore);
            checkMinimalIpCount(world, allocationsBefore);
          }
          checkReplay(world);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('plans the same table whatever order the gateways and NICs are listed in', () => {
    fc.assert(
      fc.property(fc.array(operationArb, { maxLength: 30 }), fc.nat(), (ops, seed) => {
        const world = new MiniAllocator();
        world.apply({ kind: 'addPrefix', which: 0 });
        world.apply({ kind: 'addPrefix', which: 4 });
        for (const op of ops) world.apply(op);
        const gateways = [...world.gateways.values()].map((g) => g.input);
        const nics = [...world.nics.values()];
        const shuffle = <T>(items: T[]): T[] =>
          items
            .map((item, i) => ({ item, key: (i * 2654435761 + seed) % 4294967296 }))
            .sort((a, b) => a.key - b.key)
            .map((e) => e.item);
        const a = eligibleNicsByGateway(gateways, nics);
        const b = eligibleNicsByGateway(shuffle(gateways), shuffle(nics));
        for (const gw of world.gateways.values()) {
          const nicsA = a.get(gw.input.uid) ?? [];
          const nicsB = b.get(gw.input.uid) ?? [];
          expect(nicsB).toEqual(nicsA);
          const planOf = (list: EligibleNic[]) =>
            planAllocation({
              gateway: gw.input,
              nics: list,
              current: initialAllocationState(),
              bounds: gw.bounds,
              freeIps: freeIps(world.pool, gw.input.ipFamily),
            });
          expect(planOf(shuffle([...nicsB]))).toEqual(planOf(nicsA));
        }
      }),
      { numRuns: 100 },
    );
  });
});
