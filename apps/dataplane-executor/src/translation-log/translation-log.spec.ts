import type { NatRule } from '@natgw/domain';
import type { NodeNatGateway } from '@natgw/projections';
import { parseConntrackLine } from '../conntrack';
import { SlotIndex } from '../usage/slot-index';
import { KeyedRateLimiter } from './rate-limiter';
import { filterPasses, rfc3339Micros, translationRecord } from './translation-record';

const rule: NatRule = {
  nicUid: 'nic-1',
  nicName: 'vm1-nic0',
  gatewayUid: 'gw-1',
  family: 'IPv4',
  privateIp: '10.0.0.2',
  natIp: '203.0.113.1',
  port: 1024,
  endPort: 2047,
};
const gateways = (logging?: NodeNatGateway['logging']): Record<string, NodeNatGateway> => ({
  'gw-1': { namespace: 'default', name: 'gw', ...(logging ? { logging } : {}) },
});
const NEW_TCP =
  '[1765100000.123456]\t    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=10.0.0.2 dst=198.51.100.2 sport=40000 dport=443 [UNREPLIED] src=198.51.100.2 dst=203.0.113.1 sport=443 dport=1500';
const DESTROY_UDP =
  '[1765100001.000001]\t[DESTROY] ipv4     2 udp      17 src=10.0.0.2 dst=198.51.100.2 sport=5353 dport=53 src=198.51.100.2 dst=203.0.113.1 sport=53 dport=1600';

describe('translation records from conntrack events', () => {
  const slots = new SlotIndex([rule]);

  it('turns a NEW event of a logging gateway NIC into an Opened record with the public ip:port', () => {
    const entry = parseConntrackLine(NEW_TCP);
    expect(entry).toBeDefined();
    const record = translationRecord(
      entry!,
      slots,
      gateways({ enabled: true, filter: 'All' }),
      'node-a',
    );
    expect(record).toEqual({
      kind: 'Translation',
      event: 'Opened',
      node: 'node-a',
      gateway: { uid: 'gw-1', namespace: 'default', name: 'gw' },
      networkInterface: { uid: 'nic-1', name: 'vm1-nic0' },
      protocol: 'tcp',
      privateIP: '10.0.0.2',
      privatePort: 40000,
      publicIP: '203.0.113.1',
      publicPort: 1500,
      destinationIP: '198.51.100.2',
      destinationPort: 443,
      time: '2025-12-07T09:33:20.123456Z',
    });
    const closed = translationRecord(
      parseConntrackLine(DESTROY_UDP)!,
      slots,
      gateways({ enabled: true, filter: 'TranslationsOnly' }),
      'node-a',
    );
    expect(closed).toMatchObject({ event: 'Closed', protocol: 'udp', publicPort: 1600 });
  });

  it('logs nothing for gateways without logging, disabled, or ErrorsOnly, nor for foreign slots', () => {
    const entry = parseConntrackLine(NEW_TCP)!;
    expect(translationRecord(entry, slots, gateways(), 'n')).toBeUndefined();
    expect(
      translationRecord(entry, slots, gateways({ enabled: false, filter: 'All' }), 'n'),
    ).toBeUndefined();
    expect(
      translationRecord(entry, slots, gateways({ enabled: true, filter: 'ErrorsOnly' }), 'n'),
    ).toBeUndefined();
    const elsewhere = new SlotIndex([{ ...rule, port: 4096, endPort: 5119 }]);
    expect(
      translationRecord(entry, elsewhere, gateways({ enabled: true, filter: 'All' }), 'n'),
    ).toBeUndefined();
    const spoofed = new SlotIndex([{ ...rule, privateIp: '10.0.0.9' }]);
    expect(
      translationRecord(entry, spoofed, gateways({ enabled: true, filter: 'All' }), 'n'),
    ).toBeUndefined();
  });

  it('applies the filters as GCP does', () => {
    expect(filterPasses('All', 'Translation')).toBe(true);
    expect(filterPasses('All', 'Error')).toBe(true);
    expect(filterPasses('TranslationsOnly', 'Translation')).toBe(true);
    expect(filterPasses('TranslationsOnly', 'Error')).toBe(false);
    expect(filterPasses('ErrorsOnly', 'Translation')).toBe(false);
    expect(filterPasses('ErrorsOnly', 'Error')).toBe(true);
  });

  it('writes conntrack timestamps as RFC 3339 with microseconds', () => {
    expect(rfc3339Micros(0.5)).toBe('1970-01-01T00:00:00.500000Z');
  });
});

describe('KeyedRateLimiter', () => {
  it('lets a burst of one second through per key, then refills at the rate', () => {
    const limiter = new KeyedRateLimiter(5);
    const taken = Array.from({ length: 8 }, () => limiter.take('a', 1000));
    expect(taken.filter(Boolean)).toHaveLength(5);
    expect(limiter.take('b', 1000)).toBe(true); // another gateway has its own bucket
    expect(limiter.take('a', 1100)).toBe(false); // 0.5 token
    expect(limiter.take('a', 1200)).toBe(true); // 1 token after 200 ms
    // Over a long run, no more than the rate (plus the first burst) gets through.
    let passed = 0;
    for (let t = 2000; t < 12_000; t += 10) if (limiter.take('c', t)) passed += 1;
    expect(passed).toBeGreaterThanOrEqual(50);
    expect(passed).toBeLessThanOrEqual(55);
  });

  it('forgets keys that are no longer kept', () => {
    const limiter = new KeyedRateLimiter(1);
    expect(limiter.take('a', 0)).toBe(true);
    expect(limiter.take('a', 0)).toBe(false);
    limiter.retain(new Set());
    expect(limiter.take('a', 0)).toBe(true);
  });
});
