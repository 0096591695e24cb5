import type { NatRule } from '@natgw/domain';
import type { NodeNatGateway } from '@natgw/projections';
import type { ReplyTuple } from '../conntrack';
import { countSlotUsage } from '../usage/count-slot-usage';
import { SlotIndex } from '../usage/slot-index';
import { UsageTracker } from '../usage/usage-tracker';
import { exhaustionRecord } from './exhaustion-record';

// Error records (ErrorsOnly / All): a slot that runs out of ports toward one destination.

const rule: NatRule = {
  nicUid: 'nic-1',
  nicName: 'vm1-nic0',
  gatewayUid: 'gw-1',
  family: 'IPv4',
  privateIp: '10.0.0.2',
  natIp: '203.0.113.1',
  port: 1024,
  endPort: 1027,
  vni: 42,
};
const gateways = (logging?: NodeNatGateway['logging']): Record<string, NodeNatGateway> => ({
  'gw-1': { namespace: 'default', name: 'gw', ...(logging ? { logging } : {}) },
});
const AT = Date.parse('2026-12-07T18:00:00.250Z');

/** Connections of the slot: `count` to 198.51.100.2:443/tcp, one to 198.51.100.9:53/udp. */
function replies(count: number): ReplyTuple[] {
  const tcp = Array.from({ length: count }, (_, i) => ({
    protocolNumber: 6,
    src: '198.51.100.2',
    dst: '203.0.113.1',
    sport: 443,
    port: 1024 + i,
  }));
  return [
    ...tcp,
    { protocolNumber: 17, src: '198.51.100.9', dst: '203.0.113.1', sport: 53, port: 1024 },
  ];
}

async function newlyExhausted(tracker: UsageTracker, count: number, now: number) {
  const index = new SlotIndex([rule]);
  return tracker.observe(now, index, await countSlotUsage(replies(count), index));
}

describe('exhaustion records', () => {
  it('names the NIC, its slot, the busiest destination and the time, once per episode', async () => {
    const tracker = new UsageTracker(60_000);
    expect(await newlyExhausted(tracker, 3, AT - 2000)).toEqual([]);
    const [usage, ...rest] = await newlyExhausted(tracker, 4, AT);
    expect(rest).toEqual([]);
    const record = exhaustionRecord(
      usage!,
      gateways({ enabled: true, filter: 'ErrorsOnly' }),
      'node-a',
      AT,
    );
    expect(record).toEqual({
      kind: 'Error',
      event: 'Exhausted',
      node: 'node-a',
      gateway: { uid: 'gw-1', namespace: 'default', name: 'gw' },
      networkInterface: { uid: 'nic-1', name: 'vm1-nic0' },
      vni: 42,
      protocol: 'tcp',
      privateIP: '10.0.0.2',
      publicIP: '203.0.113.1',
      slot: { port: 1024, endPort: 1027 },
      inUse: 4,
      destinationIP: '198.51.100.2',
      destinationPort: 443,
      time: '2026-12-07T18:00:00.250000Z',
    });
    // Still exhausted on the next count: the same episode, nothing new.
    expect(await newlyExhausted(tracker, 4, AT + 1000)).toEqual([]);
    // Relieved, then exhausted again: a new episode.
    expect(await newlyExhausted(tracker, 2, AT + 2000)).toEqual([]);
    expect(await newlyExhausted(tracker, 4, AT + 3000)).toHaveLength(1);
  });

  it.each([
    [{ enabled: true, filter: 'ErrorsOnly' as const }, true],
    [{ enabled: true, filter: 'All' as const }, true],
    [{ enabled: true, filter: 'TranslationsOnly' as const }, false],
    [{ enabled: false, filter: 'All' as const }, false],
    [undefined, false],
  ])('with logging %j gives a record: %s', async (logging, expected) => {
    const [usage] = await newlyExhausted(new UsageTracker(60_000), 4, AT);
    expect(exhaustionRecord(usage!, gateways(logging), 'node-a', AT) !== undefined).toBe(expected);
  });

  it('gives no record for ICMP or a NIC of an unknown gateway', async () => {
    const [usage] = await newlyExhausted(new UsageTracker(60_000), 4, AT);
    const icmp = { ...usage!, destination: { protocolNumber: 1, ip: '198.51.100.2' } };
    const all = gateways({ enabled: true, filter: 'All' });
    expect(exhaustionRecord(icmp, all, 'node-a', AT)).toBeUndefined();
    expect(exhaustionRecord(usage!, {}, 'node-a', AT)).toBeUndefined();
  });
});
