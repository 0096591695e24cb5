import { decideAllocation } from './allocation-decider';
import {
  foldAllocation,
  initialAllocationState,
  type AllocationEvent,
  type AllocationState,
} from './allocation-state';
import { nextDrainDeadline, type DrainRequest } from './drain-plan';
import type { EligibleNic } from './eligibility';
import { natTableOf } from './nat-table';
import { planAllocation, type PublicIpBounds } from './plan-allocation';

// ppni 16384: 3 slots per public IP, so drains quickly need another IP.
const PPNI = 16384;
const POOL = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5'];
const T0 = Date.parse('2026-12-07T12:00:00Z');

const nic = (n: number): EligibleNic => ({
  uid: `nic-${n}`,
  namespace: 'default',
  name: `vm-${n}`,
  privateIp: `10.0.0.${n}`,
  nodeName: 'node-a',
  createdAt: `2024-01-01T00:00:${String(n).padStart(2, '0')}Z`,
});

interface World {
  state: AllocationState;
  nics: EligibleNic[];
  drainIPs: DrainRequest[];
  now: number;
  bounds: PublicIpBounds;
  /** Addresses claimed by other gateways. */
  taken: Set<string>;
  /** NICs that still exist but no longer ask this gateway for a slot. */
  ineligible: string[];
  log: AllocationEvent[];
}

function world(nics: number, bounds: PublicIpBounds = { minPublicIPs: 1, maxPublicIPs: 3 }): World {
  return {
    state: initialAllocationState(),
    nics: Array.from({ length: nics }, (_, i) => nic(i + 1)),
    drainIPs: [],
    now: T0,
    bounds,
    taken: new Set(),
    ineligible: [],
    log: [],
  };
}

/** One reconcile: plan, decide, fold, as the allocator does. */
function reconcile(w: World): AllocationEvent[] {
  const plan = planAllocation({
    gateway: { uid: 'gw', ipFamily: 'IPv4', portsPerNetworkInterface: PPNI },
    nics: w.nics,
    current: w.state,
    bounds: w.bounds,
    freeIps: POOL.filter((ip) => !w.state.ips.includes(ip) && !w.taken.has(ip)),
    existingNicUids: new Set([...w.nics.map((n) => n.uid), ...w.ineligible]),
    drainIPs: w.drainIPs,
    now: w.now,
  });
  const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, w.state);
  w.state = foldAllocation(w.state, events);
  w.log.push(...events);
  return events;
}

const types = (events: AllocationEvent[]) => events.map((e) => e.type);

describe('drain (spec.drainIPs)', () => {
  it('retires the slots on a draining IP, moves their NICs to another IP and releases the IP at the deadline', () => {
    const w = world(2);
    reconcile(w);
    expect(w.state.ips).toEqual(['203.0.113.1']);
    const before = w.state.slots.get('nic-1');

    w.drainIPs = [{ ip: '203.0.113.1', deadlineSeconds: 350 }];
    const started = reconcile(w);
    expect(types(started)).toEqual([
      'NATIPDrainStarted',
      'NATSlotRetiring',
      'NATSlotRetiring',
      'NATGatewayIPAssigned',
      'NATSlotAssigned',
      'NATSlotAssigned',
    ]);
    const deadline = new Date(T0 + 350_000).toISOString();
    expect(started[0]).toEqual({
      type: 'NATIPDrainStarted',
      data: { gatewayUid: 'gw', ip: '203.0.113.1', deadline, deadlineSeconds: 350 },
    });
    expect(w.state.ips).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(w.state.slots.get('nic-1')?.ip).toBe('203.0.113.2');
    expect([...(w.state.retiring?.values() ?? [])]).toContainEqual({
      ...before,
      deadline,
      reason: 'Drained',
    });
    // The NAT table shows both slots: the old one retiring until the deadline.
    const onDrained = natTableOf(w.state).ips.find((x) => x.ip === '203.0.113.1');
    expect(onDrained?.sections.map((s) => s.retiringUntil)).toEqual([deadline, deadline]);

    // Before the deadline nothing more happens.
    w.now = T0 + 349_999;
    expect(reconcile(w)).toEqual([]);
    expect(nextDrainDeadline(w.state)).toBe(T0 + 350_000);

    w.now = T0 + 350_000;
    const ended = reconcile(w);
    expect(types(ended)).toEqual([
      'NATRetiringSlotReleased',
      'NATRetiringSlotReleased',
      'NATGatewayIPReleased',
    ]);
    expect(ended.map((e) => (e.data as { reason?: string }).reason)).toEqual([
      'Drained',
      'Drained',
      'Drained',
    ]);
    expect(w.state.ips).toEqual(['203.0.113.2']);
    expect(w.state.retiring).toBeUndefined();
    expect(w.state.draining).toBeUndefined();
    expect(nextDrainDeadline(w.state)).toBeUndefined();

    // Still listed in spec.drainIPs: never claimed again, even when more IPs are needed.
    w.nics.push(nic(3), nic(4));
    reconcile(w);
    expect(w.state.ips).toEqual(['203.0.113.2', '203.0.113.3']);
  });

  it('moves NICs into free slots of the other IPs before claiming a new one', () => {
    const w = world(4);
    reconcile(w);
    expect(w.state.ips).toEqual(['203.0.113.1', '203.0.113.2']);
    w.nics = w.nics.filter((n) => n.uid !== 'nic-3');
    reconcile(w);
    w.drainIPs = [{ ip: '203.0.113.2', deadlineSeconds: 60 }];
    const events = reconcile(w);
    expect(types(events)).toEqual(['NATIPDrainStarted', 'NATSlotRetiring', 'NATSlotAssigned']);
    expect(w.state.slots.get('nic-4')?.ip).toBe('203.0.113.1');
  });

  it('lets NICs wait when no other IP can be had, and keeps their old connections until the deadline', () => {
    const w = world(2, { minPublicIPs: 1, maxPublicIPs: 1 });
    reconcile(w);
    // maxPublicIPs bounds the active IPs: the draining one does not count, so one more is taken.
    w.drainIPs = [{ ip: '203.0.113.1', deadlineSeconds: 10 }];
    reconcile(w);
    expect(w.state.slots.size).toBe(2);
    // With the pool exhausted, the NICs wait; their retiring slots stay.
    const w2 = world(2, { minPublicIPs: 1, maxPublicIPs: 1 });
    reconcile(w2);
    for (const ip of POOL.slice(1)) w2.taken.add(ip);
    w2.drainIPs = [{ ip: '203.0.113.1', deadlineSeconds: 10 }];
    const events = reconcile(w2);
    expect(types(events)).toEqual([
      'NATIPDrainStarted',
      'NATSlotRetiring',
      'NATSlotRetiring',
      'AllocationPending',
    ]);
    expect(w2.state.pending).toEqual({
      waiting: 2,
      reason: 'PublicIPPoolExhausted',
      missingIps: 1,
    });
    expect(w2.state.retiring?.size).toBe(2);
  });

  it('cancels a drain whose IP leaves spec.drainIPs; the retiring slots stay reserved until their deadline', () => {
    const w = world(3);
    reconcile(w);
    w.drainIPs = [{ ip: '203.0.113.1', deadlineSeconds: 100 }];
    reconcile(w);
    w.drainIPs = [];
    const cancelled = reconcile(w);
    expect(types(cancelled)).toEqual(['NATIPDrainCancelled']);
    expect(w.state.draining).toBeUndefined();
    expect(w.state.retiring?.size).toBe(3);
    // 203.0.113.1 takes slots again, but its 3 slots are reserved by the retiring ones and
    // 203.0.113.2 is full: a new NIC gets a new IP.
    w.nics.push(nic(4));
    reconcile(w);
    expect(w.state.slots.get('nic-4')?.ip).toBe('203.0.113.3');
    // At the deadline the reserved ports are free; the IP, now without slots, is a spare the
    // gateway gives back (it is above minPublicIPs): an ordinary release, not a drain.
    w.now = T0 + 100_000;
    const ended = reconcile(w);
    expect(types(ended)).toEqual([
      'NATRetiringSlotReleased',
      'NATRetiringSlotReleased',
      'NATRetiringSlotReleased',
      'NATGatewayIPReleased',
    ]);
    expect(ended[3]?.data).toEqual({ gatewayUid: 'gw', ip: '203.0.113.1' });
  });

  it('releases a retiring slot at once when its NIC is deleted', () => {
    const w = world(2);
    reconcile(w);
    w.drainIPs = [{ ip: '203.0.113.1', deadlineSeconds: 100 }];
    reconcile(w);
    w.nics = [nic(1)];
    const events = reconcile(w);
    expect(
      events
        .filter((e) => e.type === 'NATRetiringSlotReleased')
        .map((e) => [e.data.nicUid, (e.data as { reason: string }).reason]),
    ).toEqual([['nic-2', 'NetworkInterfaceDeleted']]);
  });

  it('releases a retiring slot as NoLongerEligible when its NIC still exists but asks for no slot', () => {
    const w = world(2);
    reconcile(w);
    w.drainIPs = [{ ip: '203.0.113.1', deadlineSeconds: 100 }];
    reconcile(w);
    w.nics = [nic(1)];
    w.ineligible = ['nic-2'];
    const events = reconcile(w);
    expect(
      events
        .filter((e) => e.type === 'NATRetiringSlotReleased')
        .map((e) => [e.data.nicUid, (e.data as { reason: string }).reason]),
    ).toEqual([['nic-2', 'NoLongerEligible']]);
  });

  it('starts no drain for a request that names no valid address', () => {
    const w = world(2);
    reconcile(w);
    w.drainIPs = [{ ip: 'not-an-ip', deadlineSeconds: 100 }];
    expect(types(reconcile(w))).toEqual([]);
    expect(w.state.draining?.size ?? 0).toBe(0);
  });

  it('arms the timer at the earliest deadline, whichever IP or slot holds it', () => {
    for (const [first, second] of [
      [50, 100],
      [100, 50],
    ] as const) {
      const w = world(4);
      reconcile(w);
      expect(w.state.ips).toEqual(['203.0.113.1', '203.0.113.2']);
      w.drainIPs = [
        { ip: '203.0.113.1', deadlineSeconds: first },
        { ip: '203.0.113.2', deadlineSeconds: second },
      ];
      reconcile(w);
      expect({ first, second, next: nextDrainDeadline(w.state) }).toEqual({
        first,
        second,
        next: T0 + Math.min(first, second) * 1000,
      });
    }
  });

  it('a drain with deadline 0 is recorded first and ends at the next reconcile', () => {
    const w = world(1);
    reconcile(w);
    w.drainIPs = [{ ip: '203.0.113.1', deadlineSeconds: 0 }];
    expect(types(reconcile(w))).toContain('NATIPDrainStarted');
    expect(nextDrainDeadline(w.state)).toBe(T0);
    expect(types(reconcile(w))).toEqual(['NATRetiringSlotReleased', 'NATGatewayIPReleased']);
  });

  it('closing the gateway releases retiring slots too', () => {
    const w = world(1);
    reconcile(w);
    w.drainIPs = [{ ip: '203.0.113.1', deadlineSeconds: 100 }];
    reconcile(w);
    const events = decideAllocation(
      { type: 'CloseAllocation', gatewayUid: 'gw', reason: 'GatewayDeleted' },
      w.state,
    );
    expect(types(events)).toEqual([
      'NATSlotReleased',
      'NATRetiringSlotReleased',
      'NATGatewayIPReleased',
      'NATGatewayIPReleased',
      'AllocationClosed',
    ]);
  });

  it('holds the rules of the drain over random histories (oracle)', () => {
    let seed = 17;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const seen = new Map<string, number>();
    for (let run = 0; run < 60; run++) {
      const w = world(1 + Math.floor(random() * 6));
      let next = w.nics.length + 1;
      const oracle = new DrainOracle();
      for (let step = 0; step < 25; step++) {
        const roll = random();
        if (roll < 0.2) w.nics.push(nic(next++));
        else if (roll < 0.3 && w.nics.length > 0)
          w.nics.splice(Math.floor(random() * w.nics.length), 1);
        else if (roll < 0.5 && w.state.ips.length > 0) {
          const ip = w.state.ips[Math.floor(random() * w.state.ips.length)] as string;
          if (!w.drainIPs.some((d) => d.ip === ip))
            w.drainIPs.push({ ip, deadlineSeconds: Math.floor(random() * 3) * 30 });
        } else if (roll < 0.6 && w.drainIPs.length > 0)
          w.drainIPs.splice(Math.floor(random() * w.drainIPs.length), 1);
        else w.now += Math.floor(random() * 45) * 1000;
        const events = reconcile(w);
        oracle.check(events, w);
        for (const e of events) seen.set(e.type, (seen.get(e.type) ?? 0) + 1);
      }
    }
    // The histories did exercise every step of a drain.
    for (const type of [
      'NATIPDrainStarted',
      'NATIPDrainCancelled',
      'NATSlotRetiring',
      'NATRetiringSlotReleased',
      'NATGatewayIPReleased',
    ])
      expect(seen.get(type) ?? 0).toBeGreaterThan(5);
  });
});

/**
 * The drain rules, replayed apart from the domain's fold: every event must be allowed by them,
 * and after each reconcile nothing may be left that the rules say must be gone.
 */
class DrainOracle {
  private ips = new Set<string>();
  private draining = new Map<string, number>();
  private active = new Map<string, { ip: string; port: number; endPort: number }>();
  private retiring: Array<{
    nic: string;
    ip: string;
    port: number;
    endPort: number;
    deadline: number;
  }> = [];

  check(events: AllocationEvent[], w: World): void {
    // A drain never ends in the reconcile that starts it (deadline 0 ends at the next one).
    const startedNow = new Set<string>();
    const eligible = new Set(w.nics.map((n) => n.uid));
    const fail = (e: AllocationEvent, rule: string): never => {
      throw new Error(`${e.type} ${JSON.stringify(e.data)} breaks: ${rule}`);
    };
    const overlaps = (ip: string, port: number, endPort: number, except?: string) =>
      [...this.active].some(
        ([nic, s]) => nic !== except && s.ip === ip && s.port <= endPort && port <= s.endPort,
      ) || this.retiring.some((r) => r.ip === ip && r.port <= endPort && port <= r.endPort);
    for (const e of events) {
      switch (e.type) {
        case 'NATIPDrainStarted': {
          if (!this.ips.has(e.data.ip) || this.draining.has(e.data.ip))
            fail(e, 'only a held IP that does not drain yet starts to drain');
          if (Date.parse(e.data.deadline) !== w.now + e.data.deadlineSeconds * 1000)
            fail(e, 'the deadline is now + deadlineSeconds');
          this.draining.set(e.data.ip, Date.parse(e.data.deadline));
          startedNow.add(e.data.ip);
          break;
        }
        case 'NATIPDrainCancelled':
          if (w.drainIPs.some((d) => d.ip === e.data.ip)) fail(e, 'only an IP no longer listed');
          this.draining.delete(e.data.ip);
          break;
        case 'NATSlotRetiring': {
          const s = this.active.get(e.data.nicUid);
          if (!s || s.ip !== e.data.ip || s.port !== e.data.port)
            fail(e, 'the active slot retires');
          if (Date.parse(e.data.deadline) !== this.draining.get(e.data.ip))
            fail(e, "a retiring slot ends with its IP's drain");
          this.active.delete(e.data.nicUid);
          this.retiring.push({
            nic: e.data.nicUid,
            ...e.data,
            deadline: Date.parse(e.data.deadline),
          });
          break;
        }
        case 'NATRetiringSlotReleased': {
          const at = this.retiring.findIndex(
            (r) => r.nic === e.data.nicUid && r.ip === e.data.ip && r.port === e.data.port,
          );
          if (at < 0) fail(e, 'only a retiring slot is released');
          const r = this.retiring[at] as { deadline: number };
          const ipDrained = (this.draining.get(e.data.ip) ?? Infinity) <= w.now;
          if (e.data.reason === 'Drained' && r.deadline > w.now && !ipDrained)
            fail(e, "not before its deadline or its IP's drain deadline");
          if (e.data.reason !== 'Drained' && eligible.has(e.data.nicUid))
            fail(e, 'early only when the NIC is gone');
          this.retiring.splice(at, 1);
          break;
        }
        case 'NATSlotAssigned': {
          if (!this.ips.has(e.data.ip)) fail(e, 'only on a held IP');
          if (this.draining.has(e.data.ip)) fail(e, 'no new slot on a draining IP');
          if (this.retiring.some((r) => r.nic === e.data.nicUid && r.ip === e.data.ip))
            fail(e, 'never on an IP where the NIC retires a slot');
          if (overlaps(e.data.ip, e.data.port, e.data.endPort, e.data.nicUid))
            fail(e, 'never over ports another slot (active or retiring) holds');
          this.active.set(e.data.nicUid, e.data);
          break;
        }
        case 'NATSlotReleased':
          this.active.delete(e.data.nicUid);
          break;
        case 'NATGatewayIPAssigned':
          if (w.drainIPs.some((d) => d.ip === e.data.ip)) fail(e, 'a listed drain IP is not taken');
          this.ips.add(e.data.ip);
          break;
        case 'NATGatewayIPReleased': {
          const ip = e.data.ip;
          if (
            [...this.active.values()].some((s) => s.ip === ip) ||
            this.retiring.some((r) => r.ip === ip)
          )
            fail(e, 'an IP is released only without slots');
          const deadline = this.draining.get(ip);
          if (deadline !== undefined && deadline > w.now)
            fail(e, 'a draining IP stays until its deadline');
          this.ips.delete(ip);
          this.draining.delete(ip);
          break;
        }
        default:
          break;
      }
    }
    for (const [nic, s] of this.active)
      if (this.draining.has(s.ip))
        throw new Error(`${nic} still has an active slot on draining ${s.ip}`);
    for (const r of this.retiring)
      if (r.deadline <= w.now && !startedNow.has(r.ip))
        throw new Error(`retiring slot of ${r.nic} outlived its deadline`);
    for (const [ip, deadline] of this.draining)
      if (deadline <= w.now && !startedNow.has(ip))
        throw new Error(`${ip} drains past its deadline`);
  }
}
