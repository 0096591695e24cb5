import fc from 'fast-check';
import { decideAllocation } from './allocation-decider';
import {
  evolveAllocation,
  initialAllocationState,
  type AllocationState,
  type NatSlot,
} from './allocation-state';
import type { EligibleNic } from './eligibility';
import { planAllocation } from './plan-allocation';
import { sameSlot, staleSlotDetail } from './stale-slot';

const nic: EligibleNic = {
  uid: 'nic-1',
  namespace: 'default',
  name: 'vm-1',
  privateIp: '10.0.0.5',
  nodeName: 'node-a',
  createdAt: '2024-01-01T00:00:00Z',
};
const slot: NatSlot = {
  nicUid: 'nic-1',
  nicName: 'vm-1',
  namespace: 'default',
  privateIp: '10.0.0.5',
  nodeName: 'node-a',
  vni: 7,
  ip: '203.0.113.1',
  port: 1024,
  endPort: 2047,
};

describe('staleSlotDetail', () => {
  it('is undefined for a slot that describes the NIC and its network', () => {
    expect(staleSlotDetail(slot, nic, 7)).toBeUndefined();
  });

  it.each<[string, Partial<NatSlot>, number | undefined, string]>([
    ['another private IP', { privateIp: '10.0.0.6' }, 7, 'privateIp'],
    ['another node', { nodeName: 'node-b' }, 7, 'nodeName'],
    ['no node', { nodeName: undefined }, 7, 'nodeName'],
    ['another VNI', { vni: 8 }, 7, 'vni'],
    ['no VNI (recorded before networks had VNIs)', { vni: undefined }, 7, 'vni'],
    ['a VNI where the network has none', {}, undefined, 'vni'],
    ['another NIC name', { nicName: 'vm-old' }, 7, 'nicName'],
    ['another namespace', { namespace: 'old' }, 7, 'namespace'],
  ])('flags %s', (_what, change, vni, detail) => {
    expect(staleSlotDetail({ ...slot, ...change }, nic, vni)).toBe(detail);
  });
});

/** One reconcile: plan, decide, fold. */
function reconcile(current: AllocationState, nics: EligibleNic[], vni: number | undefined) {
  const plan = planAllocation({
    gateway: { uid: 'gw', ipFamily: 'IPv4', portsPerNetworkInterface: 1024 },
    nics,
    current,
    freeIps: ['203.0.113.1', '203.0.113.2'],
    ...(vni !== undefined ? { vni } : {}),
  });
  const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, current);
  return { events, state: events.reduce(evolveAllocation, current) };
}

describe('slots carry the VNI of the network', () => {
  it('re-assigns a slot recorded without a VNI on the same ports, with the VNI', () => {
    const before = reconcile(initialAllocationState(), [nic], undefined).state;
    expect(before.slots.get('nic-1')?.vni).toBeUndefined();
    const { events, state } = reconcile(before, [nic], 42);
    expect(events.map((e) => e.type)).toEqual(['NATSlotReleased', 'NATSlotAssigned']);
    expect(events[0].data).toMatchObject({ reason: 'NetworkInterfaceUpdated', port: 1024 });
    expect(events[0].data).not.toHaveProperty('vni');
    expect(events[1].data).toMatchObject({ vni: 42, port: 1024, ip: '203.0.113.1' });
    expect(state.slots.get('nic-1')?.vni).toBe(42);
    expect(reconcile(state, [nic], 42).events).toEqual([]);
  });

  it('property: after one reconcile every slot carries the VNI, and ports never move for it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        fc.option(fc.integer({ min: 1, max: 16_777_215 }), { nil: undefined }),
        fc.integer({ min: 1, max: 16_777_215 }),
        (hosts, oldVni, newVni) => {
          const nics = [...new Set(hosts)].map((h, i) => ({
            ...nic,
            uid: `nic-${h}`,
            name: `vm-${h}`,
            privateIp: `10.0.0.${h}`,
            createdAt: `2024-01-01T00:00:${String(i).padStart(2, '0')}Z`,
          }));
          const before = reconcile(initialAllocationState(), nics, oldVni).state;
          const { events, state } = reconcile(before, nics, newVni);
          for (const s of state.slots.values()) expect(s.vni).toBe(newVni);
          for (const [uid, s] of before.slots) {
            const after = state.slots.get(uid);
            expect([after?.ip, after?.port]).toEqual([s.ip, s.port]);
          }
          const moved = oldVni === newVni ? 0 : before.slots.size;
          expect(events.filter((e) => e.type === 'NATSlotReleased')).toHaveLength(moved);
          for (const e of events)
            if (e.type === 'NATSlotReleased') expect(e.data.reason).toBe('NetworkInterfaceUpdated');
        },
      ),
    );
  });
});

describe('sameSlot', () => {
  it('is true only when every field of the rule is equal', () => {
    expect(sameSlot(slot, { ...slot })).toBe(true);
    const changes: Partial<NatSlot>[] = [
      { nicUid: 'nic-2' },
      { nicName: 'vm-2' },
      { namespace: 'other' },
      { privateIp: '10.0.0.6' },
      { nodeName: 'node-b' },
      { vni: 8 },
      { ip: '203.0.113.2' },
      { port: 2048, endPort: 3071 },
      { port: 1536 },
      { endPort: 1535 },
    ];
    for (const change of changes) {
      expect(sameSlot(slot, { ...slot, ...change })).toBe(false);
      expect(sameSlot({ ...slot, ...change }, slot)).toBe(false);
    }
  });
});
