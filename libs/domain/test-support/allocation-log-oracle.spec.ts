// The oracle refuses logs that break a rule, so the property test's replay check can fail.
import type { AllocationEvent } from '../src/allocation/allocation-state';
import { replayAllocationByTheRules, replayPoolByTheRules } from './allocation-log-oracle';

const gatewayUid = 'gw-1';
const assignIp = (ip: string): AllocationEvent => ({
  type: 'NATGatewayIPAssigned',
  data: { gatewayUid, ip },
});
const slot = (nicUid: string, ip: string, port: number, endPort: number) => ({
  gatewayUid,
  nicUid,
  nicName: nicUid,
  namespace: 'default',
  privateIp: '10.0.0.2',
  ip,
  port,
  endPort,
});
const assignSlot = (
  nicUid: string,
  ip: string,
  port: number,
  endPort: number,
): AllocationEvent => ({
  type: 'NATSlotAssigned',
  data: slot(nicUid, ip, port, endPort),
});

describe('replayAllocationByTheRules', () => {
  it('folds a log that keeps the rules', () => {
    const held = replayAllocationByTheRules([
      assignIp('192.0.2.9'),
      assignIp('192.0.2.1'),
      assignSlot('nic-a', '192.0.2.1', 1024, 1024),
      assignSlot('nic-b', '192.0.2.1', 65535, 65535),
      assignSlot('nic-c', '192.0.2.9', 1024, 33791),
      {
        type: 'NATSlotReleased',
        data: { ...slot('nic-c', '192.0.2.9', 1024, 33791), reason: 'NoLongerEligible' },
      },
      { type: 'NATGatewayIPReleased', data: { gatewayUid, ip: '192.0.2.9' } },
    ]);
    expect(held.ips).toEqual(['192.0.2.1']);
    expect([...held.slots.keys()].sort()).toEqual(['nic-a', 'nic-b']);
  });

  it.each<[string, AllocationEvent[]]>([
    ['a slot is on an IP the gateway holds', [assignSlot('nic-a', '192.0.2.1', 1024, 1087)]],
    [
      'a slot is [1024 + k*ppni',
      [assignIp('192.0.2.1'), assignSlot('nic-a', '192.0.2.1', 1056, 1119)],
    ],
    [
      'a slot is [1024 + k*ppni',
      [assignIp('192.0.2.1'), assignSlot('nic-a', '192.0.2.1', 1024, 1086)],
    ],
    [
      'a slot is [1024 + k*ppni',
      [assignIp('192.0.2.1'), assignSlot('nic-a', '192.0.2.1', 1023, 1023)],
    ],
    [
      'no port belongs to two NICs',
      [
        assignIp('192.0.2.1'),
        assignSlot('nic-a', '192.0.2.1', 1024, 1087),
        assignSlot('nic-b', '192.0.2.1', 1024, 1055),
      ],
    ],
    [
      'an IP is released only when it holds no slot',
      [
        assignIp('192.0.2.1'),
        assignSlot('nic-a', '192.0.2.1', 1024, 1087),
        { type: 'NATGatewayIPReleased', data: { gatewayUid, ip: '192.0.2.1' } },
      ],
    ],
    [
      'a released slot is the one the NIC holds',
      [
        assignIp('192.0.2.1'),
        assignSlot('nic-a', '192.0.2.1', 1024, 1087),
        {
          type: 'NATSlotReleased',
          data: { ...slot('nic-a', '192.0.2.1', 1088, 1151), reason: 'NoLongerEligible' },
        },
      ],
    ],
    ['an IP is assigned to a gateway once', [assignIp('192.0.2.1'), assignIp('192.0.2.1')]],
    [
      'nothing follows AllocationClosed',
      [
        { type: 'AllocationClosed', data: { gatewayUid, reason: 'GatewayDeleted' } },
        assignIp('192.0.2.1'),
      ],
    ],
  ])('refuses a log that breaks "%s"', (rule, events) => {
    expect(() => replayAllocationByTheRules(events)).toThrow(rule);
  });
});

describe('replayPoolByTheRules', () => {
  const added = { type: 'PublicPrefixAdded', data: { prefix: '192.0.2.0/30' } } as const;
  const claimed = { type: 'PublicIPClaimed', data: { ip: '192.0.2.1', gatewayUid } } as const;

  it('folds a log that keeps the rules', () => {
    const pool = replayPoolByTheRules([
      added,
      claimed,
      { type: 'PublicIPReleased', data: { ip: '192.0.2.1', gatewayUid } },
      { type: 'PublicPrefixRemoved', data: { prefix: '192.0.2.0/30' } },
    ]);
    expect(pool).toEqual({ prefixes: [], claims: new Map() });
  });

  it('refuses overlapping prefixes, claims outside them or twice, and removing a prefix in use', () => {
    const overlap = { type: 'PublicPrefixAdded', data: { prefix: '192.0.2.0/29' } } as const;
    expect(() => replayPoolByTheRules([added, overlap])).toThrow('never overlap');
    expect(() =>
      replayPoolByTheRules([
        added,
        { type: 'PublicIPClaimed', data: { ip: '192.0.2.4', gatewayUid } },
      ]),
    ).toThrow("in one of the pool's prefixes");
    expect(() => replayPoolByTheRules([added, claimed, claimed])).toThrow('one gateway at a time');
    expect(() =>
      replayPoolByTheRules([
        added,
        claimed,
        { type: 'PublicPrefixRemoved', data: { prefix: '192.0.2.0/30' } },
      ]),
    ).toThrow('a prefix with a claimed address is not removed');
    expect(() =>
      replayPoolByTheRules([
        added,
        claimed,
        { type: 'PublicIPReleased', data: { ip: '192.0.2.1', gatewayUid: 'gw-2' } },
      ]),
    ).toThrow('only the claiming gateway releases');
  });
});
