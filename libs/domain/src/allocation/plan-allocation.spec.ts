import { decideAllocation } from './allocation-decider';
import {
  evolveAllocation,
  initialAllocationState,
  replayAllocation,
  type AllocationEvent,
  type AllocationState,
} from './allocation-state';
import type { EligibleNic } from './eligibility';
import {
  AllocationClosedError,
  InvalidAllocationInputError,
  InvalidPublicIpBoundsError,
} from './errors';
import { natTableOf } from './nat-table';
import { planAllocation, type PlanAllocationInput, type PublicIpBounds } from './plan-allocation';

const POOL = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5'];

const nicN = (n: number, over: Partial<EligibleNic> = {}): EligibleNic => ({
  uid: `nic-${n}`,
  namespace: 'default',
  name: `vm-${n}`,
  privateIp: `10.0.0.${n}`,
  nodeName: 'node-a',
  createdAt: `2024-01-01T00:00:${String(n).padStart(2, '0')}Z`,
  ...over,
});
const nics = (...ns: number[]) => ns.map((n) => nicN(n));

interface Gateway {
  ppni: number;
  bounds?: PublicIpBounds;
  pool?: readonly string[];
}

function plan(
  gw: Gateway,
  eligible: readonly EligibleNic[],
  current: AllocationState,
  extra: Partial<PlanAllocationInput> = {},
) {
  const pool = (gw.pool ?? POOL).filter((ip) => !current.ips.includes(ip));
  return planAllocation({
    gateway: { uid: 'gw', ipFamily: 'IPv4', portsPerNetworkInterface: gw.ppni },
    nics: eligible,
    current,
    ...(gw.bounds ? { bounds: gw.bounds } : {}),
    freeIps: pool,
    ...extra,
  });
}

/** Plans and applies through the decider, like one reconcile of the allocator. */
function reconcile(
  gw: Gateway,
  eligible: readonly EligibleNic[],
  current = initialAllocationState(),
) {
  const p = plan(gw, eligible, current);
  const events = decideAllocation({ type: 'ApplyAllocationPlan', plan: p }, current);
  const state = events.reduce(evolveAllocation, current);
  return { plan: p, events, state };
}

/** The table as `ip: nic@port-endPort` lines, easy to read in an assertion. */
function table(state: AllocationState): string[] {
  return natTableOf(state).ips.flatMap(({ ip, sections }) =>
    sections.length === 0
      ? [`${ip}: -`]
      : sections.map((s) => `${ip}: ${s.targetRef.name}@${s.port}-${s.endPort}`),
  );
}

describe('planAllocation', () => {
  it('given ppni 32768 (one slot per IP) and 3 NICs, then 3 IPs, one NIC each', () => {
    const { state, plan: p } = reconcile({ ppni: 32768 }, nics(1, 2, 3));
    expect(table(state)).toEqual([
      '203.0.113.1: vm-1@1024-33791',
      '203.0.113.2: vm-2@1024-33791',
      '203.0.113.3: vm-3@1024-33791',
    ]);
    expect(p.usage).toEqual({ nicsRequesting: 3, slotsUsed: 3, slotsTotal: 3 });
    expect(p.claimIps).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  });

  it('given ppni 64, then the first NIC gets 1024..1087 and the next 1088..1151 on one IP', () => {
    const { state, plan: p } = reconcile({ ppni: 64 }, nics(1, 2));
    expect(table(state)).toEqual(['203.0.113.1: vm-1@1024-1087', '203.0.113.1: vm-2@1088-1151']);
    expect(p.usage).toEqual({ nicsRequesting: 2, slotsUsed: 2, slotsTotal: 1008 });
  });

  it('given ppni 2048, then 31 NICs fit on one IP and the 32nd takes a second IP', () => {
    const all = Array.from({ length: 32 }, (_, i) => nicN(i + 1));
    const { state, plan: p } = reconcile({ ppni: 2048 }, all);
    expect(state.ips).toEqual(['203.0.113.1', '203.0.113.2']);
    const rows = table(state);
    expect(rows[30]).toBe('203.0.113.1: vm-31@62464-64511');
    expect(rows[31]).toBe('203.0.113.2: vm-32@1024-3071');
    expect(p.usage).toEqual({ nicsRequesting: 32, slotsUsed: 32, slotsTotal: 62 });
  });

  it('given no NICs, then the gateway still holds minPublicIPs addresses', () => {
    expect(reconcile({ ppni: 2048 }, []).state.ips).toEqual(['203.0.113.1']);
    const two = reconcile({ ppni: 2048, bounds: { minPublicIPs: 2, maxPublicIPs: 10 } }, []);
    expect(table(two.state)).toEqual(['203.0.113.1: -', '203.0.113.2: -']);
    expect(
      reconcile({ ppni: 2048, bounds: { minPublicIPs: 0, maxPublicIPs: 10 } }, []).state.ips,
    ).toEqual([]);
  });

  it('keeps every NIC in place when another NIC leaves, and gives the hole to the next newcomer', () => {
    const gw = { ppni: 16384 }; // 3 slots per IP
    const first = reconcile(gw, nics(1, 2, 3, 4));
    expect(table(first.state)).toEqual([
      '203.0.113.1: vm-1@1024-17407',
      '203.0.113.1: vm-2@17408-33791',
      '203.0.113.1: vm-3@33792-50175',
      '203.0.113.2: vm-4@1024-17407',
    ]);
    const second = reconcile(gw, nics(1, 3, 4), first.state);
    expect(table(second.state)).toEqual([
      '203.0.113.1: vm-1@1024-17407',
      '203.0.113.1: vm-3@33792-50175',
      '203.0.113.2: vm-4@1024-17407',
    ]);
    expect(second.events.map((e) => e.type)).toEqual(['NATSlotReleased']);
    const third = reconcile(gw, nics(1, 3, 4, 5, 6), second.state);
    expect(table(third.state)).toEqual([
      '203.0.113.1: vm-1@1024-17407',
      '203.0.113.1: vm-5@17408-33791',
      '203.0.113.1: vm-3@33792-50175',
      '203.0.113.2: vm-4@1024-17407',
      '203.0.113.2: vm-6@17408-33791',
    ]);
  });

  it('does not compact: a NIC alone on its IP keeps it, and the emptied IP is released', () => {
    const gw = { ppni: 32768 };
    const first = reconcile(gw, nics(1, 2, 3));
    const second = reconcile(gw, nics(3), first.state);
    expect(table(second.state)).toEqual(['203.0.113.3: vm-3@1024-33791']);
    expect(second.plan.releaseIps).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(second.events.map((e) => e.type)).toEqual([
      'NATSlotReleased',
      'NATSlotReleased',
      'NATGatewayIPReleased',
      'NATGatewayIPReleased',
    ]);
  });

  it('keeps the held IP for minPublicIPs when every NIC leaves, rather than claiming a new one', () => {
    const gw = { ppni: 32768 };
    const first = reconcile(gw, nics(1, 2));
    const second = reconcile(gw, [], first.state);
    expect(second.state.ips).toEqual(['203.0.113.1']);
    expect(second.plan.claimIps).toEqual([]);
  });

  it('reuses held empty IPs before claiming lower free ones', () => {
    const held = reconcile(
      {
        ppni: 32768,
        bounds: { minPublicIPs: 2, maxPublicIPs: 10 },
        pool: ['203.0.113.3', '203.0.113.4'],
      },
      [],
    );
    const next = reconcile({ ppni: 32768 }, nics(1, 2), held.state);
    expect(next.plan.claimIps).toEqual([]);
    expect(table(next.state)).toEqual([
      '203.0.113.3: vm-1@1024-33791',
      '203.0.113.4: vm-2@1024-33791',
    ]);
  });

  it('given a ppni change, then every NIC moves with reason PortsPerNetworkInterfaceChanged', () => {
    const first = reconcile({ ppni: 32768 }, nics(1, 2));
    const second = reconcile({ ppni: 16384 }, nics(1, 2), first.state);
    expect(table(second.state)).toEqual([
      '203.0.113.1: vm-1@1024-17407',
      '203.0.113.1: vm-2@17408-33791',
    ]);
    const released = second.events.filter((e) => e.type === 'NATSlotReleased');
    expect(released.map((e) => e.type === 'NATSlotReleased' && e.data.reason)).toEqual([
      'PortsPerNetworkInterfaceChanged',
      'PortsPerNetworkInterfaceChanged',
    ]);
    expect(second.plan.releaseIps).toEqual(['203.0.113.2']);
  });

  it('given the pool runs out, then the newest NICs wait with PublicIPPoolExhausted', () => {
    const gw = { ppni: 32768, pool: ['203.0.113.1', '203.0.113.2'] };
    const { state, plan: p } = reconcile(gw, nics(1, 2, 3, 4));
    expect(table(state)).toEqual(['203.0.113.1: vm-1@1024-33791', '203.0.113.2: vm-2@1024-33791']);
    expect(p.waitingNicUids).toEqual(['nic-3', 'nic-4']);
    expect(p.pending).toEqual({ waiting: 2, reason: 'PublicIPPoolExhausted', missingIps: 2 });
    expect(state.pending).toEqual(p.pending);
    expect(p.usage).toEqual({ nicsRequesting: 4, slotsUsed: 2, slotsTotal: 2 });
  });

  it('given maxPublicIPs is the limit, then the NICs beyond wait with MaxPublicIPsReached', () => {
    const gw = { ppni: 32768, bounds: { minPublicIPs: 1, maxPublicIPs: 2 } };
    const { plan: p } = reconcile(gw, nics(1, 2, 3));
    expect(p.ips).toHaveLength(2);
    expect(p.pending).toEqual({ waiting: 1, reason: 'MaxPublicIPsReached', missingIps: 0 });
  });

  it('given waiting NICs, when a NIC leaves, then the oldest waiting NIC gets its slot and the pending clears', () => {
    const gw = { ppni: 32768, bounds: { minPublicIPs: 1, maxPublicIPs: 2 } };
    const first = reconcile(gw, nics(1, 2, 3, 4));
    const second = reconcile(gw, nics(2, 3, 4), first.state);
    expect(table(second.state)).toEqual([
      '203.0.113.1: vm-3@1024-33791',
      '203.0.113.2: vm-2@1024-33791',
    ]);
    expect(second.state.pending).toEqual({
      waiting: 1,
      reason: 'MaxPublicIPsReached',
      missingIps: 0,
    });
    const third = reconcile(gw, nics(2, 3), second.state);
    expect(third.events.map((e) => e.type)).toEqual(['AllocationSatisfied']);
    expect(third.state.pending).toBeUndefined();
  });

  it('given min above the pool, then pending says how many IPs are missing, with no NIC waiting', () => {
    const gw = { ppni: 2048, bounds: { minPublicIPs: 3, maxPublicIPs: 3 }, pool: ['203.0.113.1'] };
    const { plan: p } = reconcile(gw, nics(1));
    expect(p.pending).toEqual({ waiting: 0, reason: 'PublicIPPoolExhausted', missingIps: 2 });
  });

  it('given maxPublicIPs lowered below the IPs in use, then the least used IP goes and its NICs move', () => {
    const gw = { ppni: 16384 };
    const first = reconcile(gw, nics(1, 2, 3, 4, 5));
    expect(first.state.ips).toEqual(['203.0.113.1', '203.0.113.2']);
    const second = reconcile(
      { ...gw, bounds: { minPublicIPs: 1, maxPublicIPs: 1 } },
      nics(1, 2, 3, 4, 5),
      first.state,
    );
    expect(second.state.ips).toEqual(['203.0.113.1']);
    expect(second.plan.releaseReasons.get('nic-4')).toBe('IPReleased');
    expect(table(second.state)).toEqual([
      '203.0.113.1: vm-1@1024-17407',
      '203.0.113.1: vm-2@17408-33791',
      '203.0.113.1: vm-3@33792-50175',
    ]);
    expect(second.plan.waitingNicUids).toEqual(['nic-4', 'nic-5']);
  });

  it('given max lowered, then the least used IP goes even when it is the lowest', () => {
    const gw = { ppni: 16384 };
    const first = reconcile(gw, nics(1, 2, 3, 4, 5));
    const thinned = reconcile(gw, nics(1, 4, 5), first.state);
    expect(table(thinned.state)).toEqual([
      '203.0.113.1: vm-1@1024-17407',
      '203.0.113.2: vm-4@1024-17407',
      '203.0.113.2: vm-5@17408-33791',
    ]);
    const capped = reconcile(
      { ...gw, bounds: { minPublicIPs: 1, maxPublicIPs: 1 } },
      nics(1, 4, 5),
      thinned.state,
    );
    expect(table(capped.state)).toEqual([
      '203.0.113.2: vm-4@1024-17407',
      '203.0.113.2: vm-5@17408-33791',
      '203.0.113.2: vm-1@33792-50175',
    ]);
  });

  it('given max lowered and equally used IPs, then the highest IP goes', () => {
    const gw = { ppni: 16384 };
    const first = reconcile(gw, nics(1, 2, 3, 4, 5, 6, 7));
    const thinned = reconcile(gw, nics(1, 4, 7), first.state);
    expect(thinned.state.ips).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.3']);
    const capped = reconcile(
      { ...gw, bounds: { minPublicIPs: 1, maxPublicIPs: 2 } },
      nics(1, 4, 7),
      thinned.state,
    );
    expect(table(capped.state)).toEqual([
      '203.0.113.1: vm-1@1024-17407',
      '203.0.113.1: vm-7@17408-33791',
      '203.0.113.2: vm-4@1024-17407',
    ]);
    expect(capped.plan.releaseReasons).toEqual(new Map([['nic-7', 'IPReleased']]));
  });

  it('tells a deleted NIC from one that is no longer eligible', () => {
    const first = reconcile({ ppni: 2048 }, nics(1, 2));
    const p = plan({ ppni: 2048 }, [], first.state, { existingNicUids: new Set(['nic-2']) });
    expect(p.releaseReasons).toEqual(
      new Map([
        ['nic-1', 'NetworkInterfaceDeleted'],
        ['nic-2', 'NoLongerEligible'],
      ]),
    );
  });

  it('keeps the slot but re-announces it when the NIC moves to another node', () => {
    const first = reconcile({ ppni: 2048 }, nics(1, 2));
    const second = reconcile(
      { ppni: 2048 },
      [nicN(1), nicN(2, { nodeName: 'node-b' })],
      first.state,
    );
    expect(second.events).toEqual([
      expect.objectContaining({
        type: 'NATSlotReleased',
        data: expect.objectContaining({
          nicUid: 'nic-2',
          nodeName: 'node-a',
          reason: 'NetworkInterfaceUpdated',
          port: 3072,
        }),
      }),
      expect.objectContaining({
        type: 'NATSlotAssigned',
        data: expect.objectContaining({ nicUid: 'nic-2', nodeName: 'node-b', port: 3072 }),
      }),
    ]);
  });

  it('puts new NICs on the lowest IP first, even one claimed after the others', () => {
    const gw = { ppni: 32768, pool: ['203.0.113.9', '203.0.113.1'] };
    const start = reconcile({ ppni: 32768, pool: ['203.0.113.9'] }, nics(1));
    const next = reconcile(gw, nics(1, 2), start.state);
    expect(table(next.state)).toEqual([
      '203.0.113.1: vm-2@1024-33791',
      '203.0.113.9: vm-1@1024-33791',
    ]);
  });

  it('is deterministic: the same inputs give the same plan', () => {
    const a = plan({ ppni: 16384 }, nics(3, 1, 2, 5, 4), initialAllocationState());
    const b = plan({ ppni: 16384 }, nics(5, 4, 3, 2, 1), initialAllocationState());
    expect(a).toEqual(b);
  });

  it('refuses bad inputs with typed errors', () => {
    const closed = evolveAllocation(initialAllocationState(), {
      type: 'AllocationClosed',
      data: { gatewayUid: 'gw', reason: 'GatewayDeleted' },
    });
    expect(() => plan({ ppni: 2048 }, [], closed)).toThrow(AllocationClosedError);
    expect(() =>
      plan(
        { ppni: 2048, bounds: { minPublicIPs: 3, maxPublicIPs: 2 } },
        [],
        initialAllocationState(),
      ),
    ).toThrow(InvalidPublicIpBoundsError);
    expect(() => plan({ ppni: 2048 }, [nicN(1), nicN(1)], initialAllocationState())).toThrow(
      InvalidAllocationInputError,
    );
    expect(() =>
      plan({ ppni: 2048 }, [nicN(1, { privateIp: 'fd00::1' })], initialAllocationState()),
    ).toThrow(InvalidAllocationInputError);
    expect(() => plan({ ppni: 1000 }, [], initialAllocationState())).toThrow(
      '1000 is not a power of 2',
    );
  });
});

describe('planAllocation from a state it did not write itself', () => {
  const ipAssigned = (ip: string): AllocationEvent => ({
    type: 'NATGatewayIPAssigned',
    data: { gatewayUid: 'gw', ip },
  });
  const slotAssigned = (n: number, ip: string, port: number, ppni = 2048): AllocationEvent => {
    const nic = nicN(n);
    return {
      type: 'NATSlotAssigned',
      data: {
        gatewayUid: 'gw',
        nicUid: nic.uid,
        nicName: nic.name,
        namespace: nic.namespace,
        privateIp: nic.privateIp,
        nodeName: 'node-a',
        ip,
        port,
        endPort: port + ppni - 1,
      },
    };
  };

  it('moves a NIC whose slot is on an IP the gateway no longer holds, with reason IPReleased', () => {
    const current = replayAllocation([
      ipAssigned('203.0.113.1'),
      ipAssigned('203.0.113.2'),
      slotAssigned(1, '203.0.113.1', 1024),
      slotAssigned(2, '203.0.113.2', 1024),
      { type: 'NATGatewayIPReleased', data: { gatewayUid: 'gw', ip: '203.0.113.2' } },
    ]);
    const p = plan({ ppni: 2048 }, nics(1, 2), current);
    expect([...p.releaseReasons]).toEqual([['nic-2', 'IPReleased']]);
    expect(p.slots.map((s) => `${s.nicUid}@${s.ip}:${s.port}`)).toEqual([
      'nic-1@203.0.113.1:1024',
      'nic-2@203.0.113.1:3072',
    ]);
  });

  it('keeps one of two NICs that hold the same ports and moves the other with reason SlotConflict', () => {
    const current = replayAllocation([
      ipAssigned('203.0.113.1'),
      slotAssigned(1, '203.0.113.1', 1024),
      slotAssigned(2, '203.0.113.1', 1024),
    ]);
    const p = plan({ ppni: 2048 }, nics(1, 2), current);
    expect([...p.releaseReasons.values()]).toEqual(['SlotConflict']);
    expect(p.slots.map((s) => `${s.ip}:${s.port}`)).toEqual([
      '203.0.113.1:1024',
      '203.0.113.1:3072',
    ]);
    expect(new Set(p.slots.map((s) => s.nicUid))).toEqual(new Set(['nic-1', 'nic-2']));
  });

  it('keeps every IP in use while their count is below maxPublicIPs', () => {
    const gw = { ppni: 32768, bounds: { minPublicIPs: 1, maxPublicIPs: 4 } };
    const start = reconcile(gw, nics(1, 2, 3));
    const again = plan(gw, nics(1, 2, 3), start.state);
    expect(again.ips).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.3']);
    expect(again.releaseIps).toEqual([]);
    expect(again.releaseReasons.size).toBe(0);
  });

  it('claims only free addresses of its family it does not hold, ascending whatever the order given', () => {
    const current = replayAllocation([
      ipAssigned('203.0.113.1'),
      slotAssigned(1, '203.0.113.1', 1024, 32768),
    ]);
    const p = planAllocation({
      gateway: { uid: 'gw', ipFamily: 'IPv4', portsPerNetworkInterface: 32768 },
      nics: nics(1, 2, 3),
      current,
      freeIps: ['2001:db8::9', '203.0.113.1', '203.0.113.7', '203.0.113.3'],
    });
    expect(p.claimIps).toEqual(['203.0.113.3', '203.0.113.7']);
    expect(p.ips).toEqual(['203.0.113.1', '203.0.113.3', '203.0.113.7']);
  });

  it('releases every held IP it no longer needs, ascending', () => {
    const current = replayAllocation([
      ipAssigned('203.0.113.3'),
      ipAssigned('203.0.113.1'),
      ipAssigned('203.0.113.2'),
      slotAssigned(1, '203.0.113.2', 1024),
    ]);
    const p = plan({ ppni: 2048, bounds: { minPublicIPs: 1, maxPublicIPs: 5 } }, nics(1), current);
    expect(p.ips).toEqual(['203.0.113.2']);
    expect(p.releaseIps).toEqual(['203.0.113.1', '203.0.113.3']);
  });
});
