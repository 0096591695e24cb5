import { decideAllocation } from './allocation-decider';
import {
  evolveAllocation,
  initialAllocationState,
  replayAllocation,
  type AllocationEvent,
  type AllocationState,
  type NatSlot,
} from './allocation-state';
import { AllocationClosedError, InvalidAllocationPlanError } from './errors';
import type { AllocationPlan } from './plan-allocation';

const slot = (n: number, ip: string, port: number): NatSlot => ({
  nicUid: `nic-${n}`,
  nicName: `vm-${n}`,
  namespace: 'default',
  privateIp: `10.0.0.${n}`,
  nodeName: 'node-a',
  ip,
  port,
  endPort: port + 2047,
});

const planOf = (over: Partial<AllocationPlan>): AllocationPlan => ({
  gatewayUid: 'gw',
  ipFamily: 'IPv4',
  portsPerNetworkInterface: 2048,
  ips: [],
  slots: [],
  claimIps: [],
  releaseIps: [],
  releaseReasons: new Map(),
  waitingNicUids: [],
  usage: { nicsRequesting: 0, slotsUsed: 0, slotsTotal: 0 },
  ...over,
});

const given = (...events: AllocationEvent[]): AllocationState => replayAllocation(events);
const apply = (state: AllocationState, plan: AllocationPlan) =>
  decideAllocation({ type: 'ApplyAllocationPlan', plan }, state);

const ipAssigned = (ip: string): AllocationEvent => ({
  type: 'NATGatewayIPAssigned',
  data: { gatewayUid: 'gw', ip },
});
const slotAssigned = (s: NatSlot): AllocationEvent => ({
  type: 'NATSlotAssigned',
  data: { gatewayUid: 'gw', ...s },
});

describe('allocation decider', () => {
  it('given nothing, when a plan with an IP and two slots is applied, then the IP comes first', () => {
    const plan = planOf({
      ips: ['203.0.113.1'],
      slots: [slot(1, '203.0.113.1', 1024), slot(2, '203.0.113.1', 3072)],
    });
    expect(apply(initialAllocationState(), plan)).toEqual([
      ipAssigned('203.0.113.1'),
      slotAssigned(slot(1, '203.0.113.1', 1024)),
      slotAssigned(slot(2, '203.0.113.1', 3072)),
    ]);
  });

  it('given the plan already applied, when it is applied again, then nothing is decided', () => {
    const plan = planOf({ ips: ['203.0.113.1'], slots: [slot(1, '203.0.113.1', 1024)] });
    const state = given(...apply(initialAllocationState(), plan));
    expect(apply(state, plan)).toEqual([]);
  });

  it('releases before it assigns: slots, then IPs, then new IPs, then new slots', () => {
    const state = given(ipAssigned('203.0.113.1'), slotAssigned(slot(1, '203.0.113.1', 1024)));
    const plan = planOf({
      ips: ['203.0.113.2'],
      slots: [slot(1, '203.0.113.2', 1024)],
      releaseReasons: new Map([['nic-1', 'IPReleased']]),
    });
    expect(apply(state, plan).map((e) => e.type)).toEqual([
      'NATSlotReleased',
      'NATGatewayIPReleased',
      'NATGatewayIPAssigned',
      'NATSlotAssigned',
    ]);
    expect(apply(state, plan)[0]).toEqual({
      type: 'NATSlotReleased',
      data: { gatewayUid: 'gw', ...slot(1, '203.0.113.1', 1024), reason: 'IPReleased' },
    });
  });

  it('records pending only when the waiting count or reason changes', () => {
    const pending = { waiting: 2, reason: 'PublicIPPoolExhausted' as const, missingIps: 2 };
    const first = apply(initialAllocationState(), planOf({ pending }));
    expect(first).toEqual([{ type: 'AllocationPending', data: { gatewayUid: 'gw', ...pending } }]);
    const state = given(...first);
    expect(apply(state, planOf({ pending }))).toEqual([]);
    expect(
      apply(state, planOf({ pending: { ...pending, waiting: 1, missingIps: 1 } })),
    ).toHaveLength(1);
    expect(apply(state, planOf({}))).toEqual([
      { type: 'AllocationSatisfied', data: { gatewayUid: 'gw' } },
    ]);
  });

  it('given a gateway deleted, then every slot and IP is released and the stream closes', () => {
    const state = given(
      ipAssigned('203.0.113.1'),
      ipAssigned('203.0.113.2'),
      slotAssigned(slot(2, '203.0.113.2', 1024)),
      slotAssigned(slot(1, '203.0.113.1', 1024)),
    );
    const events = decideAllocation(
      { type: 'CloseAllocation', gatewayUid: 'gw', reason: 'GatewayDeleted' },
      state,
    );
    expect(events.map((e) => e.type)).toEqual([
      'NATSlotReleased',
      'NATSlotReleased',
      'NATGatewayIPReleased',
      'NATGatewayIPReleased',
      'AllocationClosed',
    ]);
    expect(events[0]).toMatchObject({ data: { nicUid: 'nic-1', reason: 'GatewayDeleted' } });
    const closed = events.reduce(evolveAllocation, state);
    expect(closed).toEqual({ status: 'closed', ips: [], slots: new Map() });
    expect(
      decideAllocation(
        { type: 'CloseAllocation', gatewayUid: 'gw', reason: 'GatewayDeleted' },
        closed,
      ),
    ).toEqual([]);
    expect(() => apply(closed, planOf({}))).toThrow(AllocationClosedError);
  });

  it('refuses a plan that gives one port range to two NICs', () => {
    const plan = planOf({
      ips: ['203.0.113.1'],
      slots: [slot(1, '203.0.113.1', 1024), slot(2, '203.0.113.1', 1024)],
    });
    expect(() => apply(initialAllocationState(), plan)).toThrow(InvalidAllocationPlanError);
    expect(() => apply(initialAllocationState(), plan)).toThrow('given to two NICs');
  });

  it('refuses a plan with a slot on an IP it does not hold, or misaligned ports', () => {
    expect(() =>
      apply(initialAllocationState(), planOf({ slots: [slot(1, '203.0.113.1', 1024)] })),
    ).toThrow('an IP not held');
    expect(() =>
      apply(
        initialAllocationState(),
        planOf({ ips: ['203.0.113.1'], slots: [slot(1, '203.0.113.1', 1025)] }),
      ),
    ).toThrow('not a slot of portsPerNetworkInterface 2048');
    expect(() => apply(initialAllocationState(), planOf({ ips: ['2001:db8::1'] }))).toThrow(
      'not of family IPv4',
    );
  });

  it('refuses a plan with a non-canonical IP, an IP listed twice or a NIC with two slots', () => {
    const refusal = (plan: AllocationPlan) => () => apply(initialAllocationState(), plan);
    expect(refusal(planOf({ ips: ['2001:DB8::1'], ipFamily: 'IPv6' }))).toThrow(
      InvalidAllocationPlanError,
    );
    expect(refusal(planOf({ ips: ['2001:DB8::1'], ipFamily: 'IPv6' }))).toThrow(
      'invalid allocation plan for gateway gw: IP 2001:DB8::1 is not in canonical form',
    );
    expect(refusal(planOf({ ips: ['203.0.113.1', '203.0.113.1'] }))).toThrow(
      'invalid allocation plan for gateway gw: IP 203.0.113.1 is listed twice',
    );
    const twice = planOf({
      ips: ['203.0.113.1'],
      slots: [slot(1, '203.0.113.1', 1024), { ...slot(1, '203.0.113.1', 3072) }],
    });
    expect(refusal(twice)).toThrow(
      'invalid allocation plan for gateway gw: NIC nic-1 has two slots',
    );
  });

  it('without a given reason, releases a moved slot as NetworkInterfaceUpdated and a dropped one as NoLongerEligible', () => {
    const state = given(
      ipAssigned('203.0.113.1'),
      slotAssigned(slot(1, '203.0.113.1', 1024)),
      slotAssigned(slot(2, '203.0.113.1', 3072)),
    );
    const events = apply(
      state,
      planOf({ ips: ['203.0.113.1'], slots: [slot(1, '203.0.113.1', 5120)] }),
    );
    const released = events.filter((e) => e.type === 'NATSlotReleased');
    expect(released.map((e) => [e.data.nicUid, 'reason' in e.data ? e.data.reason : ''])).toEqual([
      ['nic-1', 'NetworkInterfaceUpdated'],
      ['nic-2', 'NoLongerEligible'],
    ]);
  });

  it('records pending again when only the reason or only the missing IPs change', () => {
    const pending = { waiting: 2, reason: 'PublicIPPoolExhausted' as const, missingIps: 2 };
    const state = given(...apply(initialAllocationState(), planOf({ pending })));
    expect(apply(state, planOf({ pending: { ...pending, missingIps: 1 } }))).toHaveLength(1);
    expect(
      apply(state, planOf({ pending: { ...pending, reason: 'MaxPublicIPsReached' } })),
    ).toHaveLength(1);
  });

  it('assigns new slots by IP, then port, whatever order the plan lists them in', () => {
    const slots = [
      slot(3, '203.0.113.2', 1024),
      slot(2, '203.0.113.1', 5120),
      slot(4, '203.0.113.1', 1024),
      slot(1, '203.0.113.1', 3072),
    ];
    const events = apply(
      initialAllocationState(),
      planOf({ ips: ['203.0.113.1', '203.0.113.2'], slots }),
    );
    const assigned = events.filter((e) => e.type === 'NATSlotAssigned');
    expect(assigned.map((e) => e.data.nicUid)).toEqual(['nic-4', 'nic-1', 'nic-2', 'nic-3']);
  });
});
