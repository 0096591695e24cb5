import { compareIps, formatIp, parseIp } from './addresses';
import { initialAllocationState } from './allocation-state';
import type { EligibleNic } from './eligibility';
import { decidePool, foldPool, freeIps, initialIpPoolState, type IpPoolEvent } from './ip-pool';
import { parsePrefix } from './ip-prefix';
import { capPublicIpBounds, planAllocation } from './plan-allocation';

// The allocator's work for one gateway must grow with what the gateway needs (its NICs and its
// public IP bounds, capped), never with the size of the pool: an IPv6 /64 holds 2^64 addresses.

const PREFIX = '2001:db8:0:1::/64';
const network = parsePrefix(PREFIX).network;
const address = (offset: bigint) => formatIp({ family: 'IPv6', value: network + offset });

/** The pool after `gateways` gateways each claimed `perGateway` addresses, lowest first. */
function poolWithClaims(gateways: number, perGateway: number) {
  const events: IpPoolEvent[] = [{ type: 'PublicPrefixAdded', data: { prefix: PREFIX } }];
  for (let g = 0; g < gateways; g++) {
    for (let i = 0; i < perGateway; i++) {
      const ip = address(BigInt(g * perGateway + i));
      events.push({ type: 'PublicIPClaimed', data: { ip, gatewayUid: `gw-${g}` } });
    }
  }
  return foldPool(initialIpPoolState(), events);
}

/** Wraps an iterable and counts how many items the consumer pulled. */
function counted<T>(items: Iterable<T>): { items: Iterable<T>; pulled: () => number } {
  let pulled = 0;
  return {
    items: (function* () {
      for (const item of items) {
        pulled++;
        yield item;
      }
    })(),
    pulled: () => pulled,
  };
}

const nic = (n: number): EligibleNic => ({
  uid: `nic-${n}`,
  namespace: 'default',
  name: `vm-${n}`,
  privateIp: formatIp({ family: 'IPv6', value: parseIp('fd00::').value + BigInt(n) }),
  createdAt: '2024-01-01T00:00:00Z',
});

describe('allocation work is bounded by what a gateway needs, not by the pool', () => {
  it('a gateway whose autoscaler asks for 2^31-1 public IPs of a /64 pool claims only the cap, pulling no more free addresses than it claims', () => {
    const cap = 64;
    const pool = poolWithClaims(64, 64); // 4096 addresses taken at the start of the /64
    const free = counted(freeIps(pool, 'IPv6'));
    const plan = planAllocation({
      gateway: { uid: 'greedy', ipFamily: 'IPv6', portsPerNetworkInterface: 64 },
      nics: [nic(1), nic(2)],
      current: initialAllocationState(),
      bounds: capPublicIpBounds({ minPublicIPs: 2 ** 31 - 1, maxPublicIPs: 2 ** 31 - 1 }, cap),
      freeIps: free.items,
    });
    // Oracle from the rules: the lowest free addresses are those right after the 4096 claimed.
    const expected = Array.from({ length: cap }, (_, i) => address(BigInt(4096 + i)));
    expect(plan.claimIps).toEqual(expected);
    expect(plan.ips).toEqual(expected);
    expect(free.pulled()).toBe(cap);
    expect(plan.pending).toBeUndefined();
  });

  it('claiming the lowest free address of a /64 skips only claimed addresses, whatever the pool size', () => {
    // Holes the claims left below: released addresses are found first, without a scan.
    let pool = poolWithClaims(16, 64);
    pool = foldPool(pool, [
      { type: 'PublicIPReleased', data: { ip: address(700n), gatewayUid: 'gw-10' } },
    ]);
    expect(decidePool({ type: 'ClaimIp', gatewayUid: 'new', family: 'IPv6' }, pool)).toEqual([
      { type: 'PublicIPClaimed', data: { ip: address(700n), gatewayUid: 'new' } },
    ]);
    // With the hole filled, the next is the first address above every claim.
    pool = foldPool(pool, [
      { type: 'PublicIPClaimed', data: { ip: address(700n), gatewayUid: 'new' } },
    ]);
    const next = counted(freeIps(pool, 'IPv6'));
    const taken: string[] = [];
    for (const ip of next.items) {
      taken.push(ip);
      if (taken.length === 3) break;
    }
    expect(taken).toEqual([address(1024n), address(1025n), address(1026n)]);
    expect(next.pulled()).toBe(3);
    expect([...taken].sort(compareIps)).toEqual(taken);
  });

  it('a /64 pool with the cap of claims per gateway for many gateways folds and plans in time linear in the claims', () => {
    const time = (gateways: number) => {
      const started = process.hrtime.bigint();
      const pool = poolWithClaims(gateways, 64);
      const plan = planAllocation({
        gateway: { uid: 'next', ipFamily: 'IPv6', portsPerNetworkInterface: 64 },
        nics: [nic(1)],
        current: initialAllocationState(),
        bounds: { minPublicIPs: 64, maxPublicIPs: 64 },
        freeIps: freeIps(pool, 'IPv6'),
      });
      expect(plan.claimIps).toHaveLength(64);
      expect(plan.claimIps[0]).toBe(address(BigInt(gateways * 64)));
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    time(8); // warm up
    const small = time(32);
    const large = time(256);
    // 8x the claims: well under the 64x a quadratic fold would take (generous for a shared
    // machine; a ratio, not a wall-clock bound, so load and instrumentation cancel out).
    expect(large).toBeLessThan(Math.max(small, 5) * 40);
  });
});

describe('the publicIPs quota budget', () => {
  const pool = () => poolWithClaims(0, 0);
  const base = {
    gateway: { uid: 'gw', ipFamily: 'IPv6' as const, portsPerNetworkInterface: 32768 },
    current: initialAllocationState(),
  };

  it('claims no more than the budget and says the quota is why NICs wait', () => {
    // ppni 32768: floor(64512 / 32768) = 1 slot per IP, so 5 NICs want 5 IPs.
    const plan = planAllocation({
      ...base,
      nics: [1, 2, 3, 4, 5].map(nic),
      bounds: { minPublicIPs: 1, maxPublicIPs: 10 },
      freeIps: freeIps(pool(), 'IPv6'),
      ipBudget: 2,
    });
    expect(plan.claimIps).toHaveLength(2);
    expect(plan.waitingNicUids).toHaveLength(3);
    expect(plan.pending).toEqual({ waiting: 3, reason: 'QuotaExceeded', missingIps: 3 });
  });

  it('a budget of 0 below minPublicIPs claims nothing and reports the missing IPs', () => {
    const plan = planAllocation({
      ...base,
      nics: [],
      bounds: { minPublicIPs: 2, maxPublicIPs: 2 },
      freeIps: freeIps(pool(), 'IPv6'),
      ipBudget: 0,
    });
    expect(plan.claimIps).toEqual([]);
    expect(plan.pending).toEqual({ waiting: 0, reason: 'QuotaExceeded', missingIps: 2 });
  });

  it('a budget that does not bind changes nothing', () => {
    const input = {
      ...base,
      nics: [1, 2].map(nic),
      bounds: { minPublicIPs: 1, maxPublicIPs: 10 },
    };
    const free = () => freeIps(pool(), 'IPv6');
    const without = planAllocation({ ...input, freeIps: free() });
    const withBudget = planAllocation({ ...input, freeIps: free(), ipBudget: 2 });
    expect(withBudget).toEqual(without);
    expect(without.pending).toBeUndefined();
  });
});
