import { allocationUsage, describePending } from './allocation-status';
import { replayAllocation, type AllocationEvent } from './allocation-state';
import { natTableFromSlots, natTableOf } from './nat-table';

const events: AllocationEvent[] = [
  { type: 'NATGatewayIPAssigned', data: { gatewayUid: 'gw', ip: '203.0.113.10' } },
  { type: 'NATGatewayIPAssigned', data: { gatewayUid: 'gw', ip: '203.0.113.9' } },
  { type: 'NATGatewayIPAssigned', data: { gatewayUid: 'gw', ip: '203.0.113.11' } },
  {
    type: 'NATSlotAssigned',
    data: {
      gatewayUid: 'gw',
      nicUid: 'u2',
      nicName: 'vm-2',
      namespace: 'default',
      privateIp: '10.0.0.2',
      nodeName: 'node-b',
      ip: '203.0.113.9',
      port: 3072,
      endPort: 5119,
    },
  },
  {
    type: 'NATSlotAssigned',
    data: {
      gatewayUid: 'gw',
      nicUid: 'u1',
      nicName: 'vm-1',
      namespace: 'default',
      privateIp: '10.0.0.1',
      ip: '203.0.113.9',
      port: 1024,
      endPort: 3071,
    },
  },
  {
    type: 'NATSlotAssigned',
    data: {
      gatewayUid: 'gw',
      nicUid: 'u3',
      nicName: 'vm-3',
      namespace: 'default',
      privateIp: '10.0.0.3',
      nodeName: 'node-a',
      ip: '203.0.113.10',
      port: 1024,
      endPort: 3071,
    },
  },
];

describe('NAT table', () => {
  it('lists IPs by address and sections by port, in the Ironcore shape', () => {
    expect(natTableOf(replayAllocation(events))).toStrictEqual({
      ips: [
        {
          ip: '203.0.113.9',
          sections: [
            { ip: '10.0.0.1', port: 1024, endPort: 3071, targetRef: { uid: 'u1', name: 'vm-1' } },
            {
              ip: '10.0.0.2',
              port: 3072,
              endPort: 5119,
              targetRef: { uid: 'u2', name: 'vm-2', nodeName: 'node-b' },
            },
          ],
        },
        {
          ip: '203.0.113.10',
          sections: [
            {
              ip: '10.0.0.3',
              port: 1024,
              endPort: 3071,
              targetRef: { uid: 'u3', name: 'vm-3', nodeName: 'node-a' },
            },
          ],
        },
        { ip: '203.0.113.11', sections: [] },
      ],
    });
  });

  it('lists IPs by address whatever order it is given them in', () => {
    const slot = {
      ip: '203.0.113.10',
      port: 1024,
      endPort: 3071,
      nicUid: 'u1',
      nicName: 'vm-1',
      namespace: 'default',
      privateIp: '10.0.0.1',
    };
    const table = natTableFromSlots(['203.0.113.10', '203.0.113.9', '198.51.100.200'], [slot]);
    expect(table.ips.map((entry) => entry.ip)).toEqual([
      '198.51.100.200',
      '203.0.113.9',
      '203.0.113.10',
    ]);
  });

  it('is empty once the allocation is closed', () => {
    const closed = replayAllocation([
      ...events,
      { type: 'AllocationClosed', data: { gatewayUid: 'gw', reason: 'GatewayDeleted' } },
    ]);
    expect(natTableOf(closed)).toEqual({ ips: [] });
  });
});

describe('allocation status', () => {
  it('counts requesting NICs as slots used plus waiting', () => {
    const state = replayAllocation([
      ...events,
      {
        type: 'AllocationPending',
        data: { gatewayUid: 'gw', waiting: 4, reason: 'MaxPublicIPsReached', missingIps: 0 },
      },
    ]);
    expect(allocationUsage(state, 2048)).toEqual({
      nicsRequesting: 7,
      slotsUsed: 3,
      slotsTotal: 93,
    });
  });

  it('says how many NICs wait and why', () => {
    expect(
      describePending({ waiting: 3, reason: 'PublicIPPoolExhausted', missingIps: 2 }, 'IPv4'),
    ).toBe(
      '3 network interfaces are waiting for a NAT slot: the IPv4 public IP pool is exhausted; 2 more public IPs are needed',
    );
    expect(
      describePending({ waiting: 1, reason: 'MaxPublicIPsReached', missingIps: 0 }, 'IPv6'),
    ).toBe(
      '1 network interface is waiting for a NAT slot: the gateway holds maxPublicIPs and every slot is taken',
    );
  });
});
