import { replayAllocation, type AllocationEvent } from './allocation-state';

const slotAssigned = (over: Record<string, unknown> = {}): AllocationEvent =>
  ({
    type: 'NATSlotAssigned',
    data: {
      gatewayUid: 'gw',
      nicUid: 'u1',
      nicName: 'vm-1',
      namespace: 'default',
      privateIp: '10.0.0.1',
      ip: '2001:DB8::0:7',
      port: 1024,
      endPort: 3071,
      ...over,
    },
  }) as AllocationEvent;

describe('allocation state', () => {
  it('holds a slot with its node and VNI only when the event has them, its IP canonical', () => {
    const bare = replayAllocation([slotAssigned()]);
    expect(bare.slots.get('u1')).toStrictEqual({
      nicUid: 'u1',
      nicName: 'vm-1',
      namespace: 'default',
      privateIp: '10.0.0.1',
      ip: '2001:db8::7',
      port: 1024,
      endPort: 3071,
    });
    const full = replayAllocation([slotAssigned({ nodeName: 'node-a', vni: 200 })]);
    expect(full.slots.get('u1')).toStrictEqual({
      nicUid: 'u1',
      nicName: 'vm-1',
      namespace: 'default',
      privateIp: '10.0.0.1',
      nodeName: 'node-a',
      vni: 200,
      ip: '2001:db8::7',
      port: 1024,
      endPort: 3071,
    });
  });

  it('holds an IP assigned twice (an event delivered again) once, IPs ascending', () => {
    const assigned = (ip: string): AllocationEvent => ({
      type: 'NATGatewayIPAssigned',
      data: { gatewayUid: 'gw', ip },
    });
    const state = replayAllocation([
      assigned('203.0.113.10'),
      assigned('203.0.113.9'),
      assigned('203.0.113.10'),
    ]);
    expect(state.ips).toEqual(['203.0.113.9', '203.0.113.10']);
  });

  it('has no pending entry once satisfied, and the last pending entry before', () => {
    const pending: AllocationEvent = {
      type: 'AllocationPending',
      data: { gatewayUid: 'gw', waiting: 2, reason: 'PublicIPPoolExhausted', missingIps: 1 },
    };
    expect(replayAllocation([pending]).pending).toEqual({
      waiting: 2,
      reason: 'PublicIPPoolExhausted',
      missingIps: 1,
    });
    const satisfied = replayAllocation([
      pending,
      { type: 'AllocationSatisfied', data: { gatewayUid: 'gw' } },
    ]);
    expect(satisfied).toStrictEqual({ status: 'open', ips: [], slots: new Map() });
  });
});
