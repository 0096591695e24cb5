// The messages of the allocation rules' errors reach API clients and operators (422 bodies,
// conditions, logs): each names the value and the rule it broke. Raised through the public
// functions, as callers meet them.
import { parseIp } from './addresses';
import { evolveAllocation, initialAllocationState } from './allocation-state';
import { describePending } from './allocation-status';
import { decidePool, foldPool, initialIpPoolState, type IpPoolState } from './ip-pool';
import { planAllocation, type PlanAllocationInput } from './plan-allocation';
import { slotPortRange, assertValidPortsPerNetworkInterface } from './port-slots';

function pool(prefixes: string[], claims: Array<[string, string]> = []): IpPoolState {
  return foldPool(initialIpPoolState(), [
    ...prefixes.map((prefix) => ({ type: 'PublicPrefixAdded' as const, data: { prefix } })),
    ...claims.map(([ip, gatewayUid]) => ({
      type: 'PublicIPClaimed' as const,
      data: { ip, gatewayUid },
    })),
  ]);
}

function thrown(f: () => unknown): { name: string; message: string } {
  try {
    f();
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error('nothing was thrown');
}

describe('allocation errors name the value and the rule', () => {
  it('addresses and slots', () => {
    expect(thrown(() => parseIp('10.0.0.256'))).toEqual({
      name: 'InvalidIpAddressError',
      message: '"10.0.0.256" is not a valid IPv4 or IPv6 address',
    });
    expect(thrown(() => slotPortRange(64, 1008))).toEqual({
      name: 'SlotIndexOutOfRangeError',
      message:
        'slot 1008 does not exist with portsPerNetworkInterface 64: an IP holds slots 0..1007',
    });
    expect(thrown(() => assertValidPortsPerNetworkInterface(3))).toEqual({
      name: 'InvalidPortsPerNetworkInterfaceError',
      message: 'invalid portsPerNetworkInterface: 3 is not a power of 2',
    });
    expect(thrown(() => assertValidPortsPerNetworkInterface(40000)).message).toBe(
      'invalid portsPerNetworkInterface: 40000 is not a power of 2; 40000 leaves no slot per IP: ' +
        'a slot must fit in the 64512 usable ports (1024..65535), so at most 32768',
    );
  });

  it('pool commands', () => {
    const state = pool(['192.0.2.0/30'], [['192.0.2.1', 'gw-a']]);
    expect(thrown(() => decidePool({ type: 'AddPrefix', prefix: '192.0.2.0/29' }, state))).toEqual({
      name: 'PrefixOverlapError',
      message: 'prefix 192.0.2.0/29 overlaps prefix 192.0.2.0/30 already in the pool',
    });
    expect(
      thrown(() => decidePool({ type: 'RemovePrefix', prefix: '192.0.2.0/30' }, state)),
    ).toEqual({
      name: 'PrefixInUseError',
      message:
        'prefix 192.0.2.0/30 cannot be removed: 1 of its addresses is still claimed (e.g. 192.0.2.1)',
    });
    const two = pool(
      ['192.0.2.0/30'],
      [
        ['192.0.2.1', 'gw-a'],
        ['192.0.2.2', 'gw-b'],
      ],
    );
    expect(
      thrown(() => decidePool({ type: 'RemovePrefix', prefix: '192.0.2.0/30' }, two)).message,
    ).toBe(
      'prefix 192.0.2.0/30 cannot be removed: 2 of its addresses are still claimed (e.g. 192.0.2.1)',
    );
    const claim = (ip: string) => () =>
      decidePool({ type: 'ClaimIp', gatewayUid: 'gw-b', family: 'IPv4', ip }, state);
    expect(thrown(claim('198.51.100.1'))).toEqual({
      name: 'IpNotInPoolError',
      message: 'IP 198.51.100.1 is not in any prefix of the pool',
    });
    expect(thrown(claim('192.0.2.1'))).toEqual({
      name: 'IpAlreadyClaimedError',
      message: 'IP 192.0.2.1 is already allocated to gateway gw-a',
    });
    expect(thrown(claim('2001:db8::1'))).toEqual({
      name: 'IpFamilyMismatchError',
      message: 'IP should have family IPv4: 2001:db8::1 does not',
    });
    expect(
      thrown(() => decidePool({ type: 'ReleaseIp', gatewayUid: 'gw-b', ip: '192.0.2.1' }, state)),
    ).toEqual({
      name: 'IpClaimedByAnotherGatewayError',
      message: 'gateway gw-b cannot release IP 192.0.2.1: it is claimed by gateway gw-a',
    });
  });

  it('planning', () => {
    const input: PlanAllocationInput = {
      gateway: { uid: 'gw-a', ipFamily: 'IPv4', portsPerNetworkInterface: 2048 },
      nics: [],
      current: initialAllocationState(),
      freeIps: ['192.0.2.1'],
    };
    const nic = {
      uid: 'nic-1',
      namespace: 'default',
      name: 'vm',
      privateIp: '10.0.0.1',
      createdAt: '2024-01-01T00:00:00Z',
    };
    expect(
      thrown(() => planAllocation({ ...input, bounds: { minPublicIPs: -1, maxPublicIPs: 1.5 } })),
    ).toEqual({
      name: 'InvalidPublicIpBoundsError',
      message:
        'invalid public IP bounds [-1, 1.5]: minPublicIPs -1 must be a non-negative integer; ' +
        'maxPublicIPs 1.5 must be a non-negative integer',
    });
    expect(
      thrown(() => planAllocation({ ...input, bounds: { minPublicIPs: 3, maxPublicIPs: 2 } })),
    ).toEqual({
      name: 'InvalidPublicIpBoundsError',
      message: 'invalid public IP bounds [3, 2]: minPublicIPs 3 must not exceed maxPublicIPs 2',
    });
    expect(thrown(() => planAllocation({ ...input, nics: [nic, nic] }))).toEqual({
      name: 'InvalidAllocationInputError',
      message: 'invalid allocation input for gateway gw-a: NIC nic-1 is listed twice',
    });
    const closed = evolveAllocation(initialAllocationState(), {
      type: 'AllocationClosed',
      data: { gatewayUid: 'gw-a', reason: 'GatewayDeleted' },
    });
    expect(thrown(() => planAllocation({ ...input, current: closed }))).toEqual({
      name: 'AllocationClosedError',
      message: 'the allocation of gateway gw-a is closed: the gateway was deleted',
    });
  });
});

describe('describePending', () => {
  it('counts waiting NICs and missing IPs in the singular and the plural', () => {
    expect(
      describePending({ waiting: 1, reason: 'PublicIPPoolExhausted', missingIps: 1 }, 'IPv4'),
    ).toBe(
      '1 network interface is waiting for a NAT slot: the IPv4 public IP pool is exhausted; 1 more public IP is needed',
    );
    expect(
      describePending({ waiting: 3, reason: 'PublicIPPoolExhausted', missingIps: 0 }, 'IPv6'),
    ).toBe('3 network interfaces are waiting for a NAT slot: the IPv6 public IP pool is exhausted');
    expect(
      describePending({ waiting: 2, reason: 'MaxPublicIPsReached', missingIps: 0 }, 'IPv4'),
    ).toBe(
      '2 network interfaces are waiting for a NAT slot: the gateway holds maxPublicIPs and every slot is taken',
    );
  });

  it('says when only minPublicIPs is unmet', () => {
    expect(
      describePending({ waiting: 0, reason: 'PublicIPPoolExhausted', missingIps: 1 }, 'IPv4'),
    ).toBe(
      'the gateway holds fewer public IPs than minPublicIPs: the IPv4 public IP pool is exhausted and 1 more is needed',
    );
    expect(
      describePending({ waiting: 0, reason: 'PublicIPPoolExhausted', missingIps: 2 }, 'IPv6'),
    ).toBe(
      'the gateway holds fewer public IPs than minPublicIPs: the IPv6 public IP pool is exhausted and 2 more are needed',
    );
  });
});
