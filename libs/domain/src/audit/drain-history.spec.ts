import { decideAllocation } from '../allocation/allocation-decider';
import {
  foldAllocation,
  initialAllocationState,
  type AllocationState,
} from '../allocation/allocation-state';
import type { DrainRequest } from '../allocation/drain-plan';
import { planAllocation } from '../allocation/plan-allocation';
import { natTablesAt, slotHolderAt, type TimedAllocationEvent } from './allocation-history';

// The audit lookups across a drain: the old slot answers for the NIC until its release, the new
// one from its assignment, both during the overlap.
describe('audit lookups across a drain', () => {
  const nic = {
    uid: 'nic-1',
    namespace: 'default',
    name: 'vm-1',
    privateIp: '10.0.0.1',
    nodeName: 'node-a',
    createdAt: '2024-01-01T00:00:00Z',
  };
  const log: TimedAllocationEvent[] = [];
  let state: AllocationState = initialAllocationState();
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 12, minute));

  function reconcile(minute: number, drainIPs: DrainRequest[]): void {
    const plan = planAllocation({
      gateway: { uid: 'gw', ipFamily: 'IPv4', portsPerNetworkInterface: 1024 },
      nics: [nic],
      current: state,
      bounds: { minPublicIPs: 1, maxPublicIPs: 1 },
      freeIps: ['203.0.113.1', '203.0.113.2'].filter((ip) => !state.ips.includes(ip)),
      drainIPs,
      now: at(minute).getTime(),
    });
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, state);
    state = foldAllocation(state, events);
    for (const event of events) log.push({ event, recordedAt: at(minute) });
  }

  beforeAll(() => {
    reconcile(0, []);
    reconcile(10, [{ ip: '203.0.113.1', deadlineSeconds: 600 }]); // deadline minute 20
    reconcile(20, [{ ip: '203.0.113.1', deadlineSeconds: 600 }]);
  });

  const holder = (ip: string, minute: number) =>
    slotHolderAt(log, { ip, port: 1500 }, at(minute))?.slot.nicUid;

  it('answers for the old slot until its release and for the new one from its assignment', () => {
    expect([5, 15, 19, 20, 25].map((m) => holder('203.0.113.1', m))).toEqual([
      'nic-1',
      'nic-1',
      'nic-1',
      undefined,
      undefined,
    ]);
    expect([5, 10, 15, 25].map((m) => holder('203.0.113.2', m))).toEqual([
      undefined,
      'nic-1',
      'nic-1',
      'nic-1',
    ]);
  });

  it('says when the slot it answers with was retiring', () => {
    const at15 = slotHolderAt(log, { ip: '203.0.113.1', port: 1500 }, at(15));
    expect(at15?.retiringUntil).toBe(at(20).toISOString());
    expect(
      slotHolderAt(log, { ip: '203.0.113.1', port: 1500 }, at(5))?.retiringUntil,
    ).toBeUndefined();
    expect(
      slotHolderAt(log, { ip: '203.0.113.2', port: 1500 }, at(15))?.retiringUntil,
    ).toBeUndefined();
  });

  it('shows the retiring slot in the NAT table of the overlap, and not after', () => {
    const during = natTablesAt(log, at(15)).get('gw');
    expect(
      during?.ips.map((x) => [x.ip, x.sections.map((s) => s.retiringUntil ?? 'active')]),
    ).toEqual([
      ['203.0.113.1', [at(20).toISOString()]],
      ['203.0.113.2', ['active']],
    ]);
    const after = natTablesAt(log, at(25)).get('gw');
    expect(after?.ips.map((x) => x.ip)).toEqual(['203.0.113.2']);
  });
});
