import {
  IpAlreadyClaimedError,
  IpClaimedByAnotherGatewayError,
  IpFamilyMismatchError,
  IpNotInPoolError,
  NoAllocatorForFamilyError,
  PoolExhaustedError,
  PrefixInUseError,
  PrefixOverlapError,
} from './errors';
import {
  decidePool,
  evolvePool,
  freeIps,
  initialIpPoolState,
  ipsClaimedBy,
  lowestFreeIps,
  poolUsage,
  type IpPoolCommand,
  type IpPoolEvent,
  type IpPoolState,
} from './ip-pool';

const given = (...events: IpPoolEvent[]): IpPoolState =>
  events.reduce(evolvePool, initialIpPoolState());
const added = (prefix: string): IpPoolEvent => ({ type: 'PublicPrefixAdded', data: { prefix } });
const claimed = (ip: string, gatewayUid: string): IpPoolEvent => ({
  type: 'PublicIPClaimed',
  data: { ip, gatewayUid },
});
const when = (state: IpPoolState, command: IpPoolCommand) => decidePool(command, state);

describe('IP pool decider', () => {
  describe('AddPrefix', () => {
    it('given an empty pool, when a prefix is added, then it is added canonically', () => {
      expect(when(given(), { type: 'AddPrefix', prefix: '2001:DB8:ffff:0::/120' })).toEqual([
        { type: 'PublicPrefixAdded', data: { prefix: '2001:db8:ffff::/120' } },
      ]);
    });

    it('given the prefix, when it is added again, then nothing happens', () => {
      expect(
        when(given(added('203.0.113.0/24')), { type: 'AddPrefix', prefix: '203.0.113.0/24' }),
      ).toEqual([]);
    });

    it('given a prefix, when an overlapping one is added, then it is refused naming both', () => {
      const state = given(added('203.0.113.0/24'));
      expect(() => when(state, { type: 'AddPrefix', prefix: '203.0.113.128/25' })).toThrow(
        new PrefixOverlapError('203.0.113.128/25', '203.0.113.0/24'),
      );
      expect(() => when(state, { type: 'AddPrefix', prefix: '203.0.0.0/16' })).toThrow(
        PrefixOverlapError,
      );
    });
  });

  describe('RemovePrefix', () => {
    it('given a free prefix, when removed, then it is removed', () => {
      const state = given(
        added('203.0.113.0/30'),
        added('198.51.100.0/30'),
        claimed('198.51.100.1', 'g1'),
      );
      expect(when(state, { type: 'RemovePrefix', prefix: '203.0.113.0/30' })).toEqual([
        { type: 'PublicPrefixRemoved', data: { prefix: '203.0.113.0/30' } },
      ]);
    });

    it('given a claimed address in it, when removed, then it is refused with the count', () => {
      const state = given(
        added('203.0.113.0/30'),
        claimed('203.0.113.2', 'g1'),
        claimed('203.0.113.1', 'g2'),
      );
      expect(() => when(state, { type: 'RemovePrefix', prefix: '203.0.113.0/30' })).toThrow(
        PrefixInUseError,
      );
      expect(() => when(state, { type: 'RemovePrefix', prefix: '203.0.113.0/30' })).toThrow(
        '2 of its addresses are still claimed (e.g. 203.0.113.1)',
      );
    });

    it('given no such prefix, when removed, then nothing happens', () => {
      expect(when(given(), { type: 'RemovePrefix', prefix: '203.0.113.0/30' })).toEqual([]);
    });
  });

  describe('ClaimIp', () => {
    const pool = given(added('203.0.113.0/30'), added('192.0.2.0/31'), added('2001:db8::/126'));

    it('given free addresses, when the lowest is claimed, then the lowest of the lowest prefix is', () => {
      expect(when(pool, { type: 'ClaimIp', gatewayUid: 'g1', family: 'IPv4' })).toEqual([
        { type: 'PublicIPClaimed', data: { ip: '192.0.2.0', gatewayUid: 'g1' } },
      ]);
      expect(when(pool, { type: 'ClaimIp', gatewayUid: 'g1', family: 'IPv6' })).toEqual([
        { type: 'PublicIPClaimed', data: { ip: '2001:db8::', gatewayUid: 'g1' } },
      ]);
    });

    it('given the first prefix full, when the lowest is claimed, then the next prefix serves', () => {
      const state = [claimed('192.0.2.0', 'a'), claimed('192.0.2.1', 'b')].reduce(evolvePool, pool);
      expect(when(state, { type: 'ClaimIp', gatewayUid: 'g1', family: 'IPv4' })).toEqual([
        { type: 'PublicIPClaimed', data: { ip: '203.0.113.0', gatewayUid: 'g1' } },
      ]);
    });

    it('given no prefix of the family, then "no allocator for IPs of family X"', () => {
      const v4only = given(added('203.0.113.0/30'));
      expect(() => when(v4only, { type: 'ClaimIp', gatewayUid: 'g', family: 'IPv6' })).toThrow(
        new NoAllocatorForFamilyError('IPv6'),
      );
      expect(() => when(v4only, { type: 'ClaimIp', gatewayUid: 'g', family: 'IPv6' })).toThrow(
        'no allocator for IPs of family IPv6',
      );
      expect(() =>
        when(v4only, { type: 'ClaimIp', gatewayUid: 'g', family: 'IPv6', ip: '2001:db8::1' }),
      ).toThrow(new NoAllocatorForFamilyError('IPv6'));
    });

    it('given every address claimed, then "all IP addresses are already allocated"', () => {
      const state = given(
        added('192.0.2.0/31'),
        claimed('192.0.2.0', 'a'),
        claimed('192.0.2.1', 'b'),
      );
      expect(() => when(state, { type: 'ClaimIp', gatewayUid: 'g', family: 'IPv4' })).toThrow(
        PoolExhaustedError,
      );
      expect(() => when(state, { type: 'ClaimIp', gatewayUid: 'g', family: 'IPv4' })).toThrow(
        'all IP addresses are already allocated',
      );
    });

    it('when a specific free address is claimed, then exactly it is, canonically', () => {
      expect(
        when(pool, { type: 'ClaimIp', gatewayUid: 'g1', family: 'IPv6', ip: '2001:DB8::3' }),
      ).toEqual([{ type: 'PublicIPClaimed', data: { ip: '2001:db8::3', gatewayUid: 'g1' } }]);
    });

    it('when a specific address of the other family is asked, then "IP should have family X"', () => {
      expect(() =>
        when(pool, { type: 'ClaimIp', gatewayUid: 'g1', family: 'IPv4', ip: '2001:db8::1' }),
      ).toThrow(new IpFamilyMismatchError('2001:db8::1', 'IPv4'));
    });

    it('when a specific address outside every prefix is asked, then it is refused', () => {
      expect(() =>
        when(pool, { type: 'ClaimIp', gatewayUid: 'g1', family: 'IPv4', ip: '198.51.100.1' }),
      ).toThrow(IpNotInPoolError);
    });

    it('given an address claimed, when another gateway asks for it, then it is refused', () => {
      const state = evolvePool(pool, claimed('203.0.113.1', 'g1'));
      expect(() =>
        when(state, { type: 'ClaimIp', gatewayUid: 'g2', family: 'IPv4', ip: '203.0.113.1' }),
      ).toThrow(new IpAlreadyClaimedError('203.0.113.1', 'g1'));
      expect(
        when(state, { type: 'ClaimIp', gatewayUid: 'g1', family: 'IPv4', ip: '203.0.113.1' }),
      ).toEqual([]);
    });
  });

  describe('ReleaseIp and ReleaseGatewayIps', () => {
    const state = given(
      added('203.0.113.0/29'),
      claimed('203.0.113.5', 'g1'),
      claimed('203.0.113.2', 'g1'),
      claimed('203.0.113.3', 'g2'),
    );

    it('given a claim, when its gateway releases it, then it is released', () => {
      expect(when(state, { type: 'ReleaseIp', gatewayUid: 'g1', ip: '203.0.113.5' })).toEqual([
        { type: 'PublicIPReleased', data: { ip: '203.0.113.5', gatewayUid: 'g1' } },
      ]);
    });

    it('given a free address, when released, then nothing happens', () => {
      expect(when(state, { type: 'ReleaseIp', gatewayUid: 'g1', ip: '203.0.113.7' })).toEqual([]);
    });

    it("when a gateway releases another gateway's address, then it is refused", () => {
      expect(() => when(state, { type: 'ReleaseIp', gatewayUid: 'g1', ip: '203.0.113.3' })).toThrow(
        IpClaimedByAnotherGatewayError,
      );
    });

    it('when a gateway releases all, then each of its addresses is released in order', () => {
      expect(when(state, { type: 'ReleaseGatewayIps', gatewayUid: 'g1' })).toEqual([
        { type: 'PublicIPReleased', data: { ip: '203.0.113.2', gatewayUid: 'g1' } },
        { type: 'PublicIPReleased', data: { ip: '203.0.113.5', gatewayUid: 'g1' } },
      ]);
    });
  });
});

describe('IP pool queries', () => {
  const state = given(
    added('2001:db8:ffff::/120'),
    added('203.0.113.0/29'),
    claimed('203.0.113.0', 'g1'),
    claimed('203.0.113.2', 'g2'),
    claimed('2001:db8:ffff::', 'g1'),
  );

  it('lists free addresses lowest first, skipping claims', () => {
    expect(lowestFreeIps(state, 'IPv4', 3)).toEqual(['203.0.113.1', '203.0.113.3', '203.0.113.4']);
    expect(lowestFreeIps(state, 'IPv6', 2)).toEqual(['2001:db8:ffff::1', '2001:db8:ffff::2']);
    expect([...freeIps(state, 'IPv4')]).toHaveLength(6);
  });

  it('lists no free address when asked for none or fewer', () => {
    expect(lowestFreeIps(state, 'IPv4', 0)).toEqual([]);
    expect(lowestFreeIps(state, 'IPv4', -1)).toEqual([]);
  });

  it('folds a prefix added twice (an event delivered again) as one prefix', () => {
    const twice = evolvePool(state, added('203.0.113.0/29'));
    expect(twice.prefixes.map((p) => p.cidr)).toEqual(['203.0.113.0/29', '2001:db8:ffff::/120']);
    expect([...freeIps(twice, 'IPv4')]).toEqual([...freeIps(state, 'IPv4')]);
    expect(poolUsage(twice)).toEqual(poolUsage(state));
  });

  it('reports usage per prefix, IPv4 first', () => {
    expect(poolUsage(state)).toEqual([
      { prefix: '203.0.113.0/29', family: 'IPv4', total: 8n, used: 2, free: 6n },
      { prefix: '2001:db8:ffff::/120', family: 'IPv6', total: 256n, used: 1, free: 255n },
    ]);
  });

  it('lists the addresses of a gateway in order', () => {
    expect(ipsClaimedBy(state, 'g1')).toEqual(['203.0.113.0', '2001:db8:ffff::']);
  });

  it('folds a release and a prefix removal', () => {
    const after = [
      { type: 'PublicIPReleased', data: { ip: '2001:db8:ffff::', gatewayUid: 'g1' } },
      { type: 'PublicPrefixRemoved', data: { prefix: '2001:db8:ffff::/120' } },
    ] as const;
    const folded = after.reduce<IpPoolState>(evolvePool, state);
    expect(folded.prefixes.map((p) => p.cidr)).toEqual(['203.0.113.0/29']);
    expect(ipsClaimedBy(folded, 'g1')).toEqual(['203.0.113.0']);
  });
});
