import type { AllocationEvent, NatSlot } from '../allocation/allocation-state';
import {
  allocationStatesAt,
  natTablesAt,
  slotHolderAt,
  type TimedAllocationEvent,
} from './allocation-history';
import { incarnationAt } from './incarnation';

const GW = 'gw-1';
const OTHER_GW = 'gw-2';
const IP = '203.0.113.7';

const t = (minute: number) => new Date(Date.UTC(2026, 10, 26, 10, minute));

function slot(nic: string, port: number, endPort: number, ip = IP): NatSlot {
  return {
    nicUid: `uid-${nic}`,
    nicName: nic,
    namespace: 'default',
    privateIp: `10.0.0.${nic.charCodeAt(0) - 96}`,
    nodeName: 'node-1',
    ip,
    port,
    endPort,
  };
}

const assigned = (s: NatSlot, gatewayUid = GW): AllocationEvent => ({
  type: 'NATSlotAssigned',
  data: { gatewayUid, ...s },
});
const released = (
  s: NatSlot,
  reason: 'PortsPerNetworkInterfaceChanged' | 'NetworkInterfaceDeleted' | 'GatewayDeleted',
  gatewayUid = GW,
): AllocationEvent => ({ type: 'NATSlotReleased', data: { gatewayUid, ...s, reason } });
const at = (minute: number, ...events: AllocationEvent[]): TimedAllocationEvent[] =>
  events.map((event) => ({ event, recordedAt: t(minute) }));

// 10:10 nic a gets 1024-1087 (ppni 64); 10:20 ppni becomes 128: a moves to
// 1024-1151 and b gets 1152-1279; 10:30 a is deleted; 10:40 c gets a's old range.
const history: TimedAllocationEvent[] = [
  ...at(10, { type: 'NATGatewayIPAssigned', data: { gatewayUid: GW, ip: IP } }),
  ...at(10, assigned(slot('a', 1024, 1087))),
  ...at(
    20,
    released(slot('a', 1024, 1087), 'PortsPerNetworkInterfaceChanged'),
    assigned(slot('a', 1024, 1151)),
    assigned(slot('b', 1152, 1279)),
  ),
  ...at(30, released(slot('a', 1024, 1151), 'NetworkInterfaceDeleted')),
  ...at(40, assigned(slot('c', 1024, 1151))),
];

const holder = (port: number, minute: number, ip = IP) =>
  slotHolderAt(history, { ip, port }, t(minute))?.slot.nicName;

describe('slotHolderAt', () => {
  it('answers nobody before the first assignment', () => {
    expect(holder(1030, 5)).toBeUndefined();
  });

  it('answers the holder between changes, and takes events at exactly the instant as applied', () => {
    expect(holder(1030, 10)).toBe('a');
    expect(holder(1087, 15)).toBe('a');
    expect(holder(1100, 15)).toBeUndefined();
    expect(slotHolderAt(history, { ip: IP, port: 1030 }, t(15))).toEqual({
      gatewayUid: GW,
      slot: slot('a', 1024, 1087),
      assignedAt: t(10),
    });
  });

  it('follows a move: after the ppni change the slot is wider and the next range is b', () => {
    expect(holder(1100, 20)).toBe('a');
    expect(holder(1151, 25)).toBe('a');
    expect(holder(1152, 25)).toBe('b');
    expect(slotHolderAt(history, { ip: IP, port: 1100 }, t(25))?.assignedAt).toEqual(t(20));
  });

  it('answers nobody after the release and the new holder after the re-assignment', () => {
    expect(holder(1030, 35)).toBeUndefined();
    expect(holder(1200, 35)).toBe('b');
    expect(holder(1030, 40)).toBe('c');
    expect(holder(1030, 59)).toBe('c');
  });

  it('compares IPv6 addresses canonically and never matches another address', () => {
    const v6 = [
      ...at(1, assigned(slot('d', 2048, 2111, '2001:db8::7'))),
    ] satisfies TimedAllocationEvent[];
    expect(slotHolderAt(v6, { ip: '2001:0db8:0:0::0007', port: 2050 }, t(2))?.slot.nicName).toBe(
      'd',
    );
    expect(holder(1030, 15, '203.0.113.8')).toBeUndefined();
  });

  it('forgets every slot of a closed gateway, even without the releases', () => {
    const closed = [
      ...history,
      ...at(50, { type: 'AllocationClosed', data: { gatewayUid: GW, reason: 'GatewayDeleted' } }),
    ];
    expect(slotHolderAt(closed, { ip: IP, port: 1030 }, t(49))?.slot.nicName).toBe('c');
    expect(slotHolderAt(closed, { ip: IP, port: 1030 }, t(50))).toBeUndefined();
  });

  it('finds the holder on whichever gateway held the address then', () => {
    const moved = [
      ...history,
      ...at(50, released(slot('c', 1024, 1151), 'GatewayDeleted')),
      ...at(55, assigned(slot('e', 1024, 1151), OTHER_GW)),
    ];
    expect(slotHolderAt(moved, { ip: IP, port: 1030 }, t(52))).toBeUndefined();
    expect(slotHolderAt(moved, { ip: IP, port: 1030 }, t(56))?.gatewayUid).toBe(OTHER_GW);
  });
});

describe('natTablesAt / allocationStatesAt', () => {
  it('gives each gateway its table as it was at the instant', () => {
    expect(natTablesAt(history, t(5)).size).toBe(0);
    const sections = (minute: number) =>
      natTablesAt(history, t(minute))
        .get(GW)
        ?.ips.flatMap((i) => i.sections.map((s) => `${s.targetRef.name}:${s.port}-${s.endPort}`));
    expect(sections(15)).toEqual(['a:1024-1087']);
    expect(sections(25)).toEqual(['a:1024-1151', 'b:1152-1279']);
    expect(sections(35)).toEqual(['b:1152-1279']);
    expect(sections(45)).toEqual(['c:1024-1151', 'b:1152-1279']);
    expect(allocationStatesAt(history, t(45)).get(GW)?.ips).toEqual([IP]);
  });
});

describe('incarnationAt', () => {
  const life = [
    { action: 'Created' as const, uid: 'u1', recordedAt: t(10) },
    { action: 'Other' as const, uid: 'u1', recordedAt: t(15) },
    { action: 'Deleted' as const, uid: 'u1', recordedAt: t(20) },
    { action: 'Created' as const, uid: 'u2', recordedAt: t(30) },
  ];

  it('is the uid that existed then, or undefined between incarnations', () => {
    expect(incarnationAt(life, t(5))).toBeUndefined();
    expect(incarnationAt(life, t(10))).toBe('u1');
    expect(incarnationAt(life, t(19))).toBe('u1');
    expect(incarnationAt(life, t(20))).toBeUndefined();
    expect(incarnationAt(life, t(31))).toBe('u2');
  });

  it('ends an incarnation only by its own Deleted event, not by one for an older uid', () => {
    const late = [...life, { action: 'Deleted' as const, uid: 'u1', recordedAt: t(40) }];
    expect(incarnationAt(late, t(41))).toBe('u2');
  });
});
