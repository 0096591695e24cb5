import { decideAllocation } from '../allocation/allocation-decider';
import {
  foldAllocation,
  initialAllocationState,
  type AllocationState,
  type NatSlot,
} from '../allocation/allocation-state';
import type { DynamicPortAllocation, SlotUsage } from '../allocation/dynamic-ports';
import type { EligibleNic } from '../allocation/eligibility';
import { planAllocation } from '../allocation/plan-allocation';
import { natTablesAt, slotHolderAt, type TimedAllocationEvent } from './allocation-history';

// Audit lookups stay exact across dynamic port allocation (issue 17.4): the events of a real
// grow and shrink, recorded at known instants, answer with the range held at each instant.

const NIC: EligibleNic = {
  uid: 'nic-1',
  namespace: 'default',
  name: 'vm-1',
  privateIp: '10.0.0.1',
  nodeName: 'node-a',
  createdAt: '2024-01-01T00:00:00Z',
};
const CONFIG: DynamicPortAllocation = {
  minPorts: 32,
  maxPorts: 64,
  growAtPercent: 50,
  shrinkAfterSeconds: 10,
};
const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('audit lookups across a DPA grow and shrink', () => {
  const log: TimedAllocationEvent[] = [];
  let state: AllocationState = initialAllocationState();
  const step = (at: Date, usage?: SlotUsage) => {
    const plan = planAllocation({
      gateway: { uid: 'gw', ipFamily: 'IPv4', portsPerNetworkInterface: 2048 },
      nics: [NIC],
      current: state,
      freeIps: ['203.0.113.1'],
      now: at.getTime(),
      dynamicPorts: { config: CONFIG, ...(usage ? { usage: new Map([[NIC.uid, usage]]) } : {}) },
    });
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, state);
    state = foldAllocation(state, events);
    for (const event of events) log.push({ event, recordedAt: at });
    return state.slots.get(NIC.uid) as NatSlot;
  };

  // The timeline the rules give: 32 ports from t=10, 64 from t=20 (grown in place), 32 again
  // from t=40 (idle since t=25, shrinkAfterSeconds 10).
  const first = step(T(10));
  const grown = step(T(20), { ...first, peak: 16 });
  const shrunk = step(T(40), { ...grown, peak: 0, idleSince: T(25).getTime() });

  it('resizes as the rules say', () => {
    expect([first.port, first.endPort]).toEqual([1024, 1055]);
    expect([grown.port, grown.endPort]).toEqual([1024, 1087]);
    expect([shrunk.port, shrunk.endPort]).toEqual([1024, 1055]);
  });

  it.each([
    [5, 1024, undefined],
    [5, 1060, undefined],
    [15, 1024, 1055],
    [15, 1060, undefined], // the added half was nobody's before the grow
    [20, 1060, 1087], // at the grow's instant its events count as applied
    [30, 1087, 1087],
    [30, 1088, undefined], // never beyond the grown range
    [40, 1060, undefined], // given back by the shrink
    [40, 1055, 1055],
  ])('at t=%ss port %s is held up to %s', (second, port, endPort) => {
    const holder = slotHolderAt(log, { ip: '203.0.113.1', port }, T(second));
    expect(holder?.slot.endPort).toBe(endPort);
    if (endPort !== undefined) expect(holder?.slot.nicUid).toBe('nic-1');
  });

  it('nattable?at= shows the range of the instant', () => {
    const sections = (s: number) =>
      natTablesAt(log, T(s))
        .get('gw')
        ?.ips.flatMap((ip) => ip.sections.map((x) => [x.port, x.endPort]));
    expect(sections(15)).toEqual([[1024, 1055]]);
    expect(sections(30)).toEqual([[1024, 1087]]);
    expect(sections(45)).toEqual([[1024, 1055]]);
  });
});
