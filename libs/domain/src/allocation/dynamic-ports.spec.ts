import fc from 'fast-check';
import { decideAllocation } from './allocation-decider';
import {
  evolveAllocation,
  initialAllocationState,
  type AllocationState,
  type NatSlot,
} from './allocation-state';
import {
  dynamicSlotUnits,
  nextShrinkDue,
  resizeWish,
  validateDynamicPortAllocation,
  type DynamicPortAllocation,
  type SlotUsage,
} from './dynamic-ports';
import type { EligibleNic } from './eligibility';
import { InvalidAllocationInputError } from './errors';
import { planAllocation, type AllocationPlan, type PublicIpBounds } from './plan-allocation';

const POOL = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'];
const T0 = Date.parse('2026-01-01T00:00:00Z');

const nicN = (n: number): EligibleNic => ({
  uid: `nic-${n}`,
  namespace: 'default',
  name: `vm-${n}`,
  privateIp: `10.0.0.${n}`,
  nodeName: 'node-a',
  createdAt: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString(),
});

const dpa = (over: Partial<DynamicPortAllocation> = {}): DynamicPortAllocation => ({
  minPorts: 32,
  maxPorts: 32768,
  growAtPercent: 80,
  shrinkAfterSeconds: 600,
  ...over,
});

interface Step {
  nics: readonly EligibleNic[];
  usage?: ReadonlyMap<string, SlotUsage>;
  now?: number;
  bounds?: PublicIpBounds;
}

function planStep(config: DynamicPortAllocation, state: AllocationState, step: Step) {
  return planAllocation({
    gateway: { uid: 'gw', ipFamily: 'IPv4', portsPerNetworkInterface: 2048 },
    nics: step.nics,
    current: state,
    freeIps: POOL.filter((ip) => !state.ips.includes(ip)),
    ...(step.bounds ? { bounds: step.bounds } : {}),
    now: step.now ?? T0,
    dynamicPorts: { config, ...(step.usage ? { usage: step.usage } : {}) },
  });
}

function apply(state: AllocationState, plan: AllocationPlan): AllocationState {
  return decideAllocation({ type: 'ApplyAllocationPlan', plan }, state).reduce(
    evolveAllocation,
    state,
  );
}

const size = (slot: Pick<NatSlot, 'port' | 'endPort'>) => slot.endPort - slot.port + 1;
const usageOf = (slot: NatSlot, peak: number, idleSince?: number): SlotUsage => ({
  ip: slot.ip,
  port: slot.port,
  endPort: slot.endPort,
  peak,
  ...(idleSince !== undefined ? { idleSince } : {}),
});

describe('validateDynamicPortAllocation', () => {
  it('accepts GCP-like settings and powers of two down to 1', () => {
    expect(validateDynamicPortAllocation(dpa())).toEqual([]);
    expect(validateDynamicPortAllocation(dpa({ minPorts: 1, maxPorts: 1 }))).toEqual([]);
  });
  it.each([
    [{ minPorts: 48 }, 'minPorts 48 must be a power of 2 between 1 and 32768'],
    [{ maxPorts: 65536 }, 'maxPorts 65536 must be a power of 2 between 1 and 32768'],
    [{ minPorts: 0 }, 'minPorts 0 must be a power of 2 between 1 and 32768'],
    [{ minPorts: 64, maxPorts: 32 }, 'minPorts 64 must not exceed maxPorts 32'],
    [{ growAtPercent: 0 }, 'growAtPercent 0 must be an integer in 1..100'],
    [{ growAtPercent: 101 }, 'growAtPercent 101 must be an integer in 1..100'],
    [{ growAtPercent: 50.5 }, 'growAtPercent 50.5 must be an integer in 1..100'],
    [{ shrinkAfterSeconds: 9 }, 'shrinkAfterSeconds 9 must be an integer in 10..86400'],
    [{ shrinkAfterSeconds: 86_401 }, 'shrinkAfterSeconds 86401 must be an integer in 10..86400'],
  ])('refuses %j', (over, problem) => {
    expect(validateDynamicPortAllocation(dpa(over))).toEqual([problem]);
  });
  it('the planner refuses an invalid configuration', () => {
    expect(() =>
      planStep(dpa({ minPorts: 100 }), initialAllocationState(), { nics: [nicN(1)] }),
    ).toThrow(InvalidAllocationInputError);
  });
});

describe('dynamicSlotUnits', () => {
  const cfg = { minPorts: 32, maxPorts: 1024 };
  it('is the first unit and the span of an aligned block', () => {
    expect(dynamicSlotUnits({ port: 1024, endPort: 1055 }, cfg)).toEqual({ first: 0, count: 1 });
    expect(dynamicSlotUnits({ port: 1024 + 256, endPort: 1024 + 511 }, cfg)).toEqual({
      first: 8,
      count: 8,
    });
  });
  it.each([
    ['unaligned', { port: 1024 + 32, endPort: 1024 + 95 }],
    ['not a power of two', { port: 1024, endPort: 1024 + 47 }],
    ['below min', { port: 1024, endPort: 1024 + 15 }],
    ['above max', { port: 1024, endPort: 1024 + 2047 }],
    ['below 1024', { port: 992, endPort: 1023 }],
    ['past 65535', { port: 65536, endPort: 65567 }],
  ])('is undefined when %s', (_why, range) => {
    expect(dynamicSlotUnits(range, cfg)).toBeUndefined();
  });
});

describe('resizeWish', () => {
  const slot = { ip: '203.0.113.1', port: 1024, endPort: 1024 + 63 };
  const at = (peak: number, idleSince?: number): SlotUsage => ({
    ...slot,
    peak,
    ...(idleSince !== undefined ? { idleSince } : {}),
  });
  it('grows from ceil(size * growAtPercent / 100)', () => {
    expect(resizeWish(slot, at(52), dpa(), T0)).toBe('Grow'); // ceil(64 * 0.8) = 52
    expect(resizeWish(slot, at(51), dpa(), T0)).toBeUndefined();
  });
  it('never grows past maxPorts nor shrinks below minPorts', () => {
    expect(resizeWish(slot, at(64), dpa({ maxPorts: 64 }), T0)).toBeUndefined();
    expect(resizeWish(slot, at(0, T0 - 3_600_000), dpa({ minPorts: 64 }), T0)).toBeUndefined();
  });
  it('shrinks only after shrinkAfterSeconds idle, with a clock', () => {
    expect(resizeWish(slot, at(0, T0 - 600_000), dpa(), T0)).toBe('Shrink');
    expect(resizeWish(slot, at(0, T0 - 599_999), dpa(), T0)).toBeUndefined();
    expect(resizeWish(slot, at(0), dpa(), T0)).toBeUndefined();
    expect(resizeWish(slot, at(0, T0 - 600_000), dpa(), undefined)).toBeUndefined();
    expect(resizeWish(slot, at(1, T0 - 600_000), dpa(), T0)).toBeUndefined();
  });
  it('ignores usage measured on another slot', () => {
    expect(resizeWish(slot, { ...at(64), port: 1088, endPort: 1151 }, dpa(), T0)).toBeUndefined();
    expect(resizeWish(slot, { ...at(64), endPort: 1024 + 31 }, dpa(), T0)).toBeUndefined();
    expect(resizeWish(slot, { ...at(64), ip: '203.0.113.2' }, dpa(), T0)).toBeUndefined();
    expect(resizeWish(slot, undefined, dpa(), T0)).toBeUndefined();
  });
});

describe('planAllocation with dynamic port allocation', () => {
  it('starts every NIC at minPorts, spread out so that each can grow in place', () => {
    const plan = planStep(dpa({ maxPorts: 1024 }), initialAllocationState(), {
      nics: [nicN(1), nicN(2), nicN(3)],
    });
    expect(plan.slots.map((s) => [s.ip, s.port, s.endPort])).toEqual([
      ['203.0.113.1', 1024, 1055],
      ['203.0.113.1', 2048, 2079],
      ['203.0.113.1', 3072, 3103],
    ]);
    expect(plan.portsPerNetworkInterface).toBe(32);
    expect(plan.ips).toEqual(['203.0.113.1']);
  });

  it('grows in place (new range holds the old one) and emits release + assign', () => {
    const config = dpa({ maxPorts: 256 });
    let state = apply(
      initialAllocationState(),
      planStep(config, initialAllocationState(), { nics: [nicN(1)] }),
    );
    const first = state.slots.get('nic-1') as NatSlot;
    const plan = planStep(config, state, {
      nics: [nicN(1)],
      usage: new Map([['nic-1', usageOf(first, 30)]]),
    });
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, state);
    expect(events.map((e) => [e.type, (e.data as { reason?: string }).reason])).toEqual([
      ['NATSlotReleased', 'PortsGrown'],
      ['NATSlotAssigned', undefined],
    ]);
    state = events.reduce(evolveAllocation, state);
    const grown = state.slots.get('nic-1') as NatSlot;
    expect([grown.port, grown.endPort]).toEqual([1024, 1087]);
    // The same report again asks nothing: it was measured on the old slot.
    const again = planStep(config, state, {
      nics: [nicN(1)],
      usage: new Map([['nic-1', usageOf(first, 30)]]),
    });
    expect(decideAllocation({ type: 'ApplyAllocationPlan', plan: again }, state)).toEqual([]);
  });

  it('refuses a grant when the buddy is taken, and keeps the slot', () => {
    // minPorts 32, maxPorts 64: every 64-block holds one NIC first, then the buddies fill up.
    const config = dpa({ maxPorts: 64 });
    const many = Array.from({ length: 2016 }, (_, i) => ({
      ...nicN(1),
      uid: `nic-${i}`,
      name: `vm-${i}`,
      privateIp: `10.0.${i >> 8}.${i & 255}`,
    }));
    const state = apply(
      initialAllocationState(),
      planStep(config, initialAllocationState(), {
        nics: many,
        bounds: { minPublicIPs: 1, maxPublicIPs: 1 },
      }),
    );
    const slot = state.slots.get('nic-0') as NatSlot;
    const plan = planStep(config, state, {
      nics: many,
      usage: new Map([['nic-0', usageOf(slot, 32)]]),
      bounds: { minPublicIPs: 1, maxPublicIPs: 1 },
    });
    expect(plan.dynamicPorts?.refusedGrants).toEqual(new Map([['nic-0', 64]]));
    // The slot stays; the refusal is recorded once (and not again while it lasts).
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, state);
    expect(events).toEqual([
      {
        type: 'NATPortGrantsRefused',
        data: { gatewayUid: 'gw', refused: [{ nicUid: 'nic-0', ports: 64 }] },
      },
    ]);
    const after = events.reduce(evolveAllocation, state);
    expect(decideAllocation({ type: 'ApplyAllocationPlan', plan }, after)).toEqual([]);
    // The usage is withdrawn: an empty list says no grant is refused any more.
    const calm = planStep(config, after, {
      nics: many,
      bounds: { minPublicIPs: 1, maxPublicIPs: 1 },
    });
    expect(decideAllocation({ type: 'ApplyAllocationPlan', plan: calm }, after)).toEqual([
      { type: 'NATPortGrantsRefused', data: { gatewayUid: 'gw', refused: [] } },
    ]);
  });

  it('moves when the buddy is taken and another IP has room, retiring the old block', () => {
    // Blocks of 16384 and 32768 ports: an IP has one 32768 block (1024..33791) and a 16384 one.
    const config = dpa({ minPorts: 16384, maxPorts: 32768 });
    const bounds = { minPublicIPs: 2, maxPublicIPs: 2 };
    // Spread: nic-1 and nic-2 take the two IPs' 32768 blocks; nic-3 and nic-4 what is left, so
    // nic-1's buddy (1024+16384) is taken on the first IP.
    const four = [1, 2, 3, 4].map(nicN);
    let state = initialAllocationState();
    for (let n = 1; n <= 4; n++)
      state = apply(state, planStep(config, state, { nics: four.slice(0, n), bounds }));
    const slot = state.slots.get('nic-1') as NatSlot;
    expect([slot.port, slot.endPort]).toEqual([1024, 17407]);
    const buddy = [...state.slots.values()].find((s) => s.ip === slot.ip && s.port === 17408);
    expect(buddy).toBeDefined();
    // nic-2 leaves the second IP: its 32768 block is free (nobody else is in it), nic-1 moves there.
    const second = state.slots.get('nic-2') as NatSlot;
    expect([second.ip !== slot.ip, second.port, second.endPort]).toEqual([true, 1024, 17407]);
    expect(
      [...state.slots.values()].filter((s) => s.ip === second.ip && s.port < 33792),
    ).toHaveLength(1);
    const withoutNic2 = four.filter((n) => n.uid !== 'nic-2');
    state = apply(state, planStep(config, state, { nics: withoutNic2, bounds }));
    const plan = planStep(config, state, {
      nics: withoutNic2,
      bounds,
      usage: new Map([['nic-1', usageOf(slot, 16384)]]),
    });
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, state);
    expect(events.map((e) => e.type)).toEqual(['NATSlotRetiring', 'NATSlotAssigned']);
    expect(events[0]?.data).toMatchObject({
      nicUid: 'nic-1',
      ip: slot.ip,
      port: 1024,
      endPort: 17407,
      reason: 'PortsGrown',
      deadline: new Date(T0 + 350_000).toISOString(),
    });
    expect(events[1]?.data).toMatchObject({ nicUid: 'nic-1', port: 1024, endPort: 33791 });
    expect((events[1]?.data as NatSlot).ip).toBe(second.ip);
  });

  it('shrinks to the lower half after the idle time, not below minPorts', () => {
    const config = dpa({ maxPorts: 128 });
    let state = apply(
      initialAllocationState(),
      planStep(config, initialAllocationState(), { nics: [nicN(1)] }),
    );
    for (const peak of [26, 52]) {
      const slot = state.slots.get('nic-1') as NatSlot;
      state = apply(
        state,
        planStep(config, state, {
          nics: [nicN(1)],
          usage: new Map([['nic-1', usageOf(slot, peak)]]),
        }),
      );
    }
    expect(size(state.slots.get('nic-1') as NatSlot)).toBe(128);
    const slot = state.slots.get('nic-1') as NatSlot;
    const idle = new Map([['nic-1', usageOf(slot, 0, T0)]]);
    const early = planStep(config, state, { nics: [nicN(1)], usage: idle, now: T0 + 599_000 });
    expect(decideAllocation({ type: 'ApplyAllocationPlan', plan: early }, state)).toEqual([]);
    const late = planStep(config, state, { nics: [nicN(1)], usage: idle, now: T0 + 600_000 });
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan: late }, state);
    expect(events[0]).toMatchObject({ type: 'NATSlotReleased', data: { reason: 'PortsShrunk' } });
    state = events.reduce(evolveAllocation, state);
    expect(state.slots.get('nic-1')).toMatchObject({ port: 1024, endPort: 1024 + 63 });
  });

  it('keeps a fixed slot that is a valid DPA block when DPA is switched on', () => {
    const fixed = planAllocation({
      gateway: { uid: 'gw', ipFamily: 'IPv4', portsPerNetworkInterface: 2048 },
      nics: [nicN(1), nicN(2)],
      current: initialAllocationState(),
      freeIps: POOL,
    });
    const state = apply(initialAllocationState(), fixed);
    const inRange = planStep(dpa({ minPorts: 1024, maxPorts: 4096 }), state, {
      nics: [nicN(1), nicN(2)],
    });
    expect(decideAllocation({ type: 'ApplyAllocationPlan', plan: inRange }, state)).toEqual([]);
    const tooBig = planStep(dpa({ minPorts: 32, maxPorts: 1024 }), state, {
      nics: [nicN(1), nicN(2)],
    });
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan: tooBig }, state);
    expect(
      events
        .filter((e) => e.type === 'NATSlotReleased')
        .map((e) => (e.data as { reason: string }).reason),
    ).toEqual(['PortsPerNetworkInterfaceChanged', 'PortsPerNetworkInterfaceChanged']);
  });
});

// --- property: a gateway under random NICs, usage and time, checked against the rules ---

interface Model {
  nics: number[];
  now: number;
}

type Op =
  | { kind: 'add'; n: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'report'; pick: number; peakPercent: number; idleFor: number | undefined }
  | { kind: 'wait'; seconds: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('add' as const), n: fc.integer({ min: 1, max: 12 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      pick: fc.nat(),
      peakPercent: fc.integer({ min: 0, max: 100 }),
      // Half the reports are busy ones (a peak), half idle ones (since idleFor seconds).
      idleFor: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: undefined, freq: 2 }),
    }),
  },
  fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 1200 }) }),
);

const anyConfigArb: fc.Arbitrary<DynamicPortAllocation> = fc
  .record({
    minExp: fc.integer({ min: 10, max: 14 }),
    span: fc.integer({ min: 0, max: 3 }),
    growAtPercent: fc.integer({ min: 1, max: 100 }),
    shrinkAfterSeconds: fc.integer({ min: 10, max: 1200 }),
  })
  .map(({ minExp, span, growAtPercent, shrinkAfterSeconds }) => ({
    minPorts: 2 ** minExp,
    maxPorts: 2 ** Math.min(15, minExp + span),
    growAtPercent,
    shrinkAfterSeconds,
  }));
/**
 * Also a crowded grid: 3 blocks of 16384 per IP and one of 32768, so buddies are taken, NICs
 * move to another IP and grants are refused often.
 */
const configArb: fc.Arbitrary<DynamicPortAllocation> = fc.oneof(
  anyConfigArb,
  fc.record({
    minPorts: fc.constant(16384),
    maxPorts: fc.constant(32768),
    growAtPercent: fc.integer({ min: 1, max: 100 }),
    shrinkAfterSeconds: fc.integer({ min: 10, max: 1200 }),
  }),
);

const overlaps = (a: NatSlot, b: NatSlot) =>
  a.ip === b.ip && a.port <= b.endPort && b.port <= a.endPort;

/** Checks one plan against the DPA rules, written from docs/architecture.md, not from the code. */
function checkPlan(
  config: DynamicPortAllocation,
  before: AllocationState,
  plan: AllocationPlan,
  usage: ReadonlyMap<string, SlotUsage>,
  now: number,
  bounds: PublicIpBounds,
): void {
  const unitsPerIp = Math.floor(64512 / config.minPorts);
  // Every slot: an aligned power of two in [min, max] inside 1024..65535; none overlap.
  for (const slot of plan.slots) {
    const s = size(slot);
    expect(Number.isInteger(Math.log2(s))).toBe(true);
    expect(s).toBeGreaterThanOrEqual(config.minPorts);
    expect(s).toBeLessThanOrEqual(config.maxPorts);
    expect((slot.port - 1024) % s).toBe(0);
    expect(slot.endPort).toBeLessThanOrEqual(65535);
    for (const other of plan.slots) if (other !== slot) expect(overlaps(slot, other)).toBe(false);
    for (const retired of plan.retiring?.values() ?? [])
      expect(overlaps(slot, retired)).toBe(false);
  }
  const retiring = [...(plan.retiring?.values() ?? [])];
  /** A free aligned block of `s` ports at `port` on `ip`: no slot and no retiring slot on it. */
  const blockFree = (ip: string, port: number, s: number, except?: string) => {
    const block = { ip, port, endPort: port + s - 1 } as NatSlot;
    return (
      block.endPort <= 65535 &&
      ![...plan.slots, ...retiring].some((o) => o.nicUid !== except && overlaps(block, o))
    );
  };
  for (const slot of plan.slots) {
    const old = before.slots.get(slot.nicUid);
    if (old === undefined) {
      // A newcomer starts at the minimum.
      expect(size(slot)).toBe(config.minPorts);
      continue;
    }
    if (old.ip !== slot.ip) {
      // Moved: only by a grow whose buddy was taken; the old block retires.
      const moved = plan.retiring?.get(`${old.nicUid}|${old.ip}|${old.port}`);
      if (moved === undefined) continue; // the old IP left the gateway (maxPublicIPs)
      expect(moved.reason).toBe('PortsGrown');
      expect(size(slot)).toBe(size(old) * 2);
      const u = usage.get(slot.nicUid);
      expect(u?.port === old.port && u.endPort === old.endPort && u.ip === old.ip).toBe(true);
      expect((u?.peak ?? 0) >= Math.ceil((size(old) * config.growAtPercent) / 100)).toBe(true);
      const parent = 1024 + Math.floor((old.port - 1024) / (size(old) * 2)) * size(old) * 2;
      expect(blockFree(old.ip, parent, size(old) * 2, old.nicUid)).toBe(false);
      continue;
    }
    const u = usage.get(slot.nicUid);
    const measured =
      u !== undefined && u.ip === old.ip && u.port === old.port && u.endPort === old.endPort;
    const oldSize = size(old);
    const grew = size(slot) > oldSize;
    const shrank = size(slot) < oldSize;
    const growAsked =
      measured &&
      oldSize < config.maxPorts &&
      u.peak >= Math.ceil((oldSize * config.growAtPercent) / 100);
    const shrinkAsked =
      measured &&
      !growAsked &&
      oldSize > config.minPorts &&
      u.peak === 0 &&
      u.idleSince !== undefined &&
      now - u.idleSince >= config.shrinkAfterSeconds * 1000;
    if (grew) {
      // Only above the threshold, one doubling, in place.
      expect(growAsked).toBe(true);
      expect(size(slot)).toBe(oldSize * 2);
      expect(slot.port <= old.port && old.endPort <= slot.endPort).toBe(true);
    } else if (shrank) {
      expect(shrinkAsked).toBe(true);
      expect([slot.port, size(slot)]).toEqual([old.port, oldSize / 2]);
    } else {
      // Stability: a NIC with no change asked keeps exactly its ports.
      expect([slot.port, slot.endPort]).toEqual([old.port, old.endPort]);
      if (shrinkAsked) throw new Error(`NIC ${slot.nicUid} should have shrunk`);
      if (growAsked) {
        // Refused only when the aligned block of twice the size holds another NIC's slot.
        const parentStart = 1024 + Math.floor((old.port - 1024) / (oldSize * 2)) * oldSize * 2;
        const parent = { ...old, port: parentStart, endPort: parentStart + oldSize * 2 - 1 };
        const blocked =
          parent.endPort > 65535 ||
          [...plan.slots, ...retiring].some(
            (other) => other.nicUid !== slot.nicUid && overlaps(parent, other),
          );
        expect(blocked).toBe(true);
        expect(plan.dynamicPorts?.refusedGrants.get(slot.nicUid)).toBe(oldSize * 2);
        // ... and no other IP (where the NIC retires nothing) had a free block of twice the size.
        const avoid = new Set(retiring.filter((r) => r.nicUid === slot.nicUid).map((r) => r.ip));
        for (const ip of plan.ips) {
          if (ip === old.ip || avoid.has(ip)) continue;
          for (let port = 1024; port + oldSize * 2 - 1 <= 65535; port += oldSize * 2)
            expect(blockFree(ip, port, oldSize * 2)).toBe(false);
        }
      }
    }
  }
  // Minimality: a NIC waits only when no IP that takes slots has a free minPorts block, and an
  // IP above the minimum count carries a slot.
  const activeIps = plan.ips;
  if (plan.waitingNicUids.length > 0) {
    for (const ip of activeIps) {
      const used = plan.slots.filter((s) => s.ip === ip).reduce((sum, s) => sum + size(s), 0);
      expect(used).toBe(unitsPerIp * config.minPorts);
    }
    expect(activeIps.length === bounds.maxPublicIPs || activeIps.length === POOL.length).toBe(true);
  }
  if (activeIps.length > bounds.minPublicIPs) {
    for (const ip of activeIps) expect(plan.slots.some((s) => s.ip === ip)).toBe(true);
  }
}

describe('planAllocation with dynamic port allocation (property)', () => {
  it('keeps every slot aligned, in bounds and alone; resizes only as the usage asks', () => {
    fc.assert(
      fc.property(
        configArb,
        fc
          .record({ min: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: 0, max: 2 }) })
          .map(({ min, extra }) => ({ minPublicIPs: min, maxPublicIPs: min + extra })),
        fc.array(opArb, { minLength: 1, maxLength: 80 }),
        (config, bounds, ops) => {
          let state = initialAllocationState();
          const model: Model = { nics: [], now: T0 };
          let usage = new Map<string, SlotUsage>();
          for (const op of ops) {
            if (op.kind === 'add' && !model.nics.includes(op.n)) model.nics.push(op.n);
            if (op.kind === 'remove' && model.nics.length > 0)
              model.nics.splice(op.pick % model.nics.length, 1);
            if (op.kind === 'wait') model.now += op.seconds * 1000;
            if (op.kind === 'report' && state.slots.size > 0) {
              const slots = [...state.slots.values()];
              const slot = slots[op.pick % slots.length] as NatSlot;
              const peak =
                op.idleFor !== undefined ? 0 : Math.round((op.peakPercent * size(slot)) / 100);
              usage = new Map(usage);
              usage.set(
                slot.nicUid,
                usageOf(
                  slot,
                  peak,
                  op.idleFor !== undefined ? model.now - op.idleFor * 1000 : undefined,
                ),
              );
            }
            const step = { nics: model.nics.map(nicN), usage, now: model.now, bounds };
            const plan = planStep(config, state, step);
            checkPlan(config, state, plan, usage, model.now, bounds);
            state = apply(state, plan);
            // The refused grants are recorded (NATPortGrantsRefused) whenever they change.
            expect(state.refusedGrants ?? new Map()).toEqual(plan.dynamicPorts?.refusedGrants);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('nextShrinkDue', () => {
  const config = dpa({ minPorts: 32, shrinkAfterSeconds: 600 });
  const big = { nicUid: 'a', ip: '203.0.113.1', port: 1024, endPort: 1087 };
  const small = { nicUid: 'b', ip: '203.0.113.1', port: 2048, endPort: 2079 };
  const idle = (slot: typeof big, since: number, peak = 0): SlotUsage => ({
    ...slot,
    peak,
    idleSince: since,
  });
  it('is the earliest idleSince + shrinkAfterSeconds of an idle slot above the minimum', () => {
    const other = { ...big, nicUid: 'c', port: 4096, endPort: 4159 };
    const usage = new Map([
      ['a', idle(big, T0 + 5000)],
      ['c', idle(other, T0)],
    ]);
    expect(nextShrinkDue([big, other], usage, config)).toBe(T0 + 600_000);
  });
  it('is undefined for busy, unreported, minimum-size or re-measured slots', () => {
    expect(nextShrinkDue([big], new Map(), config)).toBeUndefined();
    expect(nextShrinkDue([big], new Map([['a', idle(big, T0, 3)]]), config)).toBeUndefined();
    expect(nextShrinkDue([small], new Map([['b', idle(small, T0)]]), config)).toBeUndefined();
    const busy = new Map([['a', { ...big, peak: 0 }]]);
    expect(nextShrinkDue([big], busy, config)).toBeUndefined();
    for (const moved of [{ ip: '203.0.113.2' }, { port: 1088 }, { endPort: 1055 }]) {
      const stale = new Map([['a', { ...idle(big, T0), ...moved }]]);
      expect(nextShrinkDue([big], stale, config)).toBeUndefined();
    }
  });
});
