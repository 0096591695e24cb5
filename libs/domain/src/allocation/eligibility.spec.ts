import {
  canServe,
  compareByCreation,
  eligibleNicsByGateway,
  eligibleNicsForGateway,
  servingGateway,
  sortByCreation,
  type NatGatewayInput,
  type NetworkInterfaceInput,
} from './eligibility';
import { InvalidCreationTimestampError } from './errors';

const gateway = (over: Partial<NatGatewayInput> = {}): NatGatewayInput => ({
  uid: 'gw-1',
  namespace: 'default',
  name: 'natgw',
  networkName: 'net',
  ipFamily: 'IPv4',
  portsPerNetworkInterface: 2048,
  createdAt: '2024-01-01T00:00:00Z',
  ...over,
});
const nic = (over: Partial<NetworkInterfaceInput> = {}): NetworkInterfaceInput => ({
  uid: 'nic-1',
  namespace: 'default',
  name: 'nic',
  networkName: 'net',
  ips: ['10.0.0.1'],
  nodeName: 'node-a',
  createdAt: '2024-01-01T00:00:00Z',
  ...over,
});

describe('eligibility', () => {
  it('serves a NIC in the same namespace and network with a private IP of its family', () => {
    expect(canServe(gateway(), nic())).toBe(true);
    expect(canServe(gateway(), nic({ namespace: 'other' }))).toBe(false);
    expect(canServe(gateway(), nic({ networkName: 'other' }))).toBe(false);
    expect(canServe(gateway({ ipFamily: 'IPv6' }), nic())).toBe(false);
    expect(canServe(gateway({ ipFamily: 'IPv6' }), nic({ ips: ['10.0.0.1', 'fd00::1'] }))).toBe(
      true,
    );
  });

  it('does not serve a NIC with a virtual IP of the same family, only of the other one', () => {
    expect(canServe(gateway(), nic({ virtualIp: '198.51.100.1' }))).toBe(false);
    expect(canServe(gateway(), nic({ virtualIp: '2001:db8::1' }))).toBe(true);
  });

  it('serves nothing while the gateway or the NIC is being deleted', () => {
    expect(canServe(gateway({ deleting: true }), nic())).toBe(false);
    expect(canServe(gateway(), nic({ deleting: true }))).toBe(false);
  });

  it('gives a NIC that two gateways could serve to the oldest one', () => {
    const older = gateway({ uid: 'old', name: 'z', createdAt: '2024-01-01T00:00:00Z' });
    const newer = gateway({ uid: 'new', name: 'a', createdAt: '2024-01-02T00:00:00Z' });
    expect(servingGateway(nic(), 'IPv4', [newer, older])?.uid).toBe('old');
    const byGateway = eligibleNicsByGateway([newer, older], [nic()]);
    expect(byGateway.get('old')?.map((n) => n.uid)).toEqual(['nic-1']);
    expect(byGateway.get('new')).toEqual([]);
  });

  it('breaks creation-time ties by name, then uid', () => {
    const b = gateway({ uid: '1', name: 'b' });
    const a = gateway({ uid: '2', name: 'a' });
    expect(servingGateway(nic(), 'IPv4', [b, a])?.uid).toBe('2');
  });

  it('hands the NIC to the next oldest gateway once the oldest is being deleted', () => {
    const older = gateway({ uid: 'old', deleting: true });
    const newer = gateway({ uid: 'new', createdAt: '2024-01-02T00:00:00Z' });
    const byGateway = eligibleNicsByGateway([older, newer], [nic()]);
    expect(byGateway.has('old')).toBe(false);
    expect(byGateway.get('new')?.map((n) => n.uid)).toEqual(['nic-1']);
  });

  it('lets an IPv4 and an IPv6 gateway each serve a dual-stack NIC', () => {
    const v4 = gateway({ uid: 'v4' });
    const v6 = gateway({ uid: 'v6', ipFamily: 'IPv6' });
    const dual = nic({ ips: ['FD00::0:1', '10.0.0.1'] });
    const byGateway = eligibleNicsByGateway([v4, v6], [dual]);
    expect(byGateway.get('v4')?.[0]?.privateIp).toBe('10.0.0.1');
    expect(byGateway.get('v6')?.[0]?.privateIp).toBe('fd00::1');
  });

  it('lists NICs oldest first and uses the first private IP of the family', () => {
    const nics = [
      nic({
        uid: 'n2',
        name: 'b',
        createdAt: '2024-01-03T00:00:00Z',
        ips: ['10.0.0.2', '10.0.0.9'],
      }),
      nic({ uid: 'n1', name: 'a', createdAt: '2024-01-02T00:00:00Z', nodeName: undefined }),
    ];
    expect(eligibleNicsForGateway(gateway(), [gateway()], nics)).toStrictEqual([
      {
        uid: 'n1',
        namespace: 'default',
        name: 'a',
        privateIp: '10.0.0.1',
        createdAt: '2024-01-02T00:00:00Z',
      },
      {
        uid: 'n2',
        namespace: 'default',
        name: 'b',
        privateIp: '10.0.0.2',
        nodeName: 'node-a',
        createdAt: '2024-01-03T00:00:00Z',
      },
    ]);
  });

  it('gives one gateway nothing when an older rival in the network serves the NIC', () => {
    const rival = gateway({ uid: 'rival', createdAt: '2023-01-01T00:00:00Z' });
    expect(eligibleNicsForGateway(gateway(), [gateway(), rival], [nic()])).toEqual([]);
    const otherNetwork = gateway({
      uid: 'elsewhere',
      networkName: 'x',
      createdAt: '2023-01-01T00:00:00Z',
    });
    expect(eligibleNicsForGateway(gateway(), [gateway(), otherNetwork], [nic()])).toHaveLength(1);
  });

  it('refuses a creation time it cannot order', () => {
    expect(() => eligibleNicsByGateway([gateway({ createdAt: 'yesterday' })], [])).toThrow(
      InvalidCreationTimestampError,
    );
  });
  it('orders by creation time, then name, then uid, whichever comes first in the input', () => {
    const early = gateway({ uid: 'z', name: 'z', createdAt: '2024-01-01T00:00:00Z' });
    const lateA = gateway({ uid: 'y', name: 'a', createdAt: '2024-01-01T00:00:01Z' });
    const lateB1 = gateway({ uid: '1', name: 'b', createdAt: '2024-01-01T00:00:01Z' });
    const lateB2 = gateway({ uid: '2', name: 'b', createdAt: '2024-01-01T00:00:01Z' });
    const order = [early, lateA, lateB1, lateB2];
    for (const a of order) {
      for (const b of order) {
        const expected = Math.sign(order.indexOf(a) - order.indexOf(b));
        expect(Math.sign(compareByCreation(a, b))).toBe(expected);
      }
    }
    for (const input of [order, [...order].reverse(), [lateB2, early, lateB1, lateA]]) {
      expect(sortByCreation(input).map((g) => g.uid)).toEqual(['z', 'y', '1', '2']);
      expect(servingGateway(nic(), 'IPv4', input)?.uid).toBe('z');
      const byGateway = eligibleNicsByGateway(input, [nic()]);
      expect(byGateway.get('z')?.map((n) => n.uid)).toEqual(['nic-1']);
      expect([...byGateway.values()].flat()).toHaveLength(1);
    }
  });

  it('lists NICs created in the same second by name, then uid', () => {
    const nics = [
      nic({ uid: 'u2', name: 'b' }),
      nic({ uid: 'u1', name: 'b' }),
      nic({ uid: 'u3', name: 'a' }),
    ];
    expect(eligibleNicsForGateway(gateway(), [gateway()], nics).map((n) => n.uid)).toEqual([
      'u3',
      'u1',
      'u2',
    ]);
  });

  it('names the kind and uid of an object whose creation time it cannot order', () => {
    const badGateway = gateway({ uid: 'gw-bad', createdAt: 'yesterday' });
    const badNic = nic({ uid: 'nic-bad', createdAt: 'soon' });
    expect(() => eligibleNicsByGateway([badGateway], [])).toThrow(
      'NATGateway gw-bad has an invalid createdAt "yesterday" (want RFC 3339)',
    );
    expect(() => eligibleNicsByGateway([gateway()], [badNic])).toThrow(
      'NetworkInterface nic-bad has an invalid createdAt "soon" (want RFC 3339)',
    );
    expect(() => sortByCreation([badNic])).toThrow('object nic-bad has an invalid createdAt');
    expect(() => compareByCreation(badNic, nic())).toThrow(
      'object nic-bad has an invalid createdAt',
    );
    expect(() => compareByCreation(nic(), badNic)).toThrow(
      'object nic-bad has an invalid createdAt',
    );
  });

  it('gives a NIC only to a gateway of the asked family that can serve it', () => {
    const dual = nic({ ips: ['10.0.0.1', 'fd00::1'] });
    const v6 = gateway({ uid: 'v6', ipFamily: 'IPv6' });
    expect(servingGateway(dual, 'IPv4', [v6])).toBeUndefined();
    expect(servingGateway(dual, 'IPv6', [v6])?.uid).toBe('v6');
    const elsewhere = gateway({ uid: 'elsewhere', namespace: 'other' });
    expect(servingGateway(dual, 'IPv4', [elsewhere])).toBeUndefined();
  });

  it('gives a NIC being deleted to no gateway', () => {
    const byGateway = eligibleNicsByGateway(
      [gateway()],
      [nic({ uid: 'gone', deleting: true }), nic({ uid: 'kept' })],
    );
    expect(byGateway.get('gw-1')?.map((n) => n.uid)).toEqual(['kept']);
  });

  it("reads only the gateway's own namespace, network and family for one gateway", () => {
    // A malformed object elsewhere (another namespace, network or family) does not affect it.
    const bad = '2024-13-45';
    const others = [
      gateway({ uid: 'ns', namespace: 'other', createdAt: bad }),
      gateway({ uid: 'net', networkName: 'other', createdAt: bad }),
      gateway({ uid: 'v6', ipFamily: 'IPv6', createdAt: bad }),
    ];
    const nics = [
      nic(),
      nic({ uid: 'n-ns', namespace: 'other', createdAt: bad }),
      nic({ uid: 'n-net', networkName: 'other', createdAt: bad }),
    ];
    expect(
      eligibleNicsForGateway(gateway(), [gateway(), ...others], nics).map((n) => n.uid),
    ).toEqual(['nic-1']);
    const rival = gateway({ uid: 'rival', createdAt: bad });
    expect(() => eligibleNicsForGateway(gateway(), [gateway(), rival], [nic()])).toThrow(
      InvalidCreationTimestampError,
    );
  });
});
