import type { NatRule } from '@natgw/domain';
import { parseReplyTuple, type ReplyTuple } from '../conntrack';
import { countSlotUsage } from './count-slot-usage';
import { portUsageReports } from './port-usage-report';
import { SlotIndex } from './slot-index';
import { reportStep, UsageTracker } from './usage-tracker';

const GW = '11111111-1111-4111-8111-111111111111';

function rule(nicUid: string, natIp: string, port: number, endPort: number): NatRule {
  return {
    nicUid,
    nicName: `vm-${nicUid}`,
    gatewayUid: GW,
    family: natIp.includes(':') ? 'IPv6' : 'IPv4',
    privateIp: '10.0.0.2',
    natIp,
    port,
    endPort,
  };
}

/** A conntrack line of a connection translated to natIp:port toward dst:dport. */
function entry(
  proto: 'tcp' | 'udp' | 'icmp',
  dst: string,
  dport: number,
  natIp: string,
  port: number,
): ReplyTuple {
  const family = natIp.includes(':') ? 'ipv6     10' : 'ipv4     2';
  const line =
    proto === 'icmp'
      ? `${family} icmp     1 29 src=10.0.0.2 dst=${dst} type=8 code=0 id=7 src=${dst} dst=${natIp} type=0 code=0 id=${port} mark=0 use=1`
      : `${family} ${proto}      ${proto === 'tcp' ? 6 : 17} 100 ${proto === 'tcp' ? 'ESTABLISHED ' : ''}src=10.0.0.2 dst=${dst} sport=40000 dport=${dport} src=${dst} dst=${natIp} sport=${dport} dport=${port} [ASSURED] mark=0 use=1`;
  return parseReplyTuple(line) as ReplyTuple;
}

describe('SlotIndex', () => {
  const index = new SlotIndex([
    rule('a', '203.0.113.1', 1024, 1027),
    rule('b', '203.0.113.1', 1028, 1031),
    rule('c', '2001:db8::1', 1024, 2047),
  ]);
  it('finds the slot holding a NAT IP and port, both ends inclusive', () => {
    expect(index.find('203.0.113.1', 1024)?.rule.nicUid).toBe('a');
    expect(index.find('203.0.113.1', 1027)?.rule.nicUid).toBe('a');
    expect(index.find('203.0.113.1', 1028)?.rule.nicUid).toBe('b');
    expect(index.find('2001:db8::1', 2047)?.rule.nicUid).toBe('c');
  });
  it('finds nothing outside every slot or on another IP', () => {
    expect(index.find('203.0.113.1', 1023)).toBeUndefined();
    expect(index.find('203.0.113.1', 1032)).toBeUndefined();
    expect(index.find('203.0.113.2', 1024)).toBeUndefined();
  });
});

describe('countSlotUsage', () => {
  it('counts per slot the busiest destination (protocol, address, port) and every connection', async () => {
    const a = rule('a', '203.0.113.1', 1024, 1027);
    const b = rule('b', '203.0.113.1', 1028, 1031);
    const index = new SlotIndex([a, b]);
    const count = await countSlotUsage(
      [
        entry('tcp', '198.51.100.2', 80, '203.0.113.1', 1024),
        entry('tcp', '198.51.100.2', 80, '203.0.113.1', 1025),
        entry('tcp', '198.51.100.2', 443, '203.0.113.1', 1024), // same port, other destination
        entry('udp', '198.51.100.2', 80, '203.0.113.1', 1026), // other protocol
        entry('icmp', '198.51.100.2', 0, '203.0.113.1', 1029),
        entry('tcp', '198.51.100.9', 80, '198.51.100.1', 5000), // the node's own traffic
      ],
      index,
    );
    const slotA = index.slots.find((s) => s.rule === a)!;
    const slotB = index.slots.find((s) => s.rule === b)!;
    expect(count.bySlot.get(slotA)).toEqual({
      connections: 4,
      inUse: 2,
      exhausted: false,
      destination: { protocolNumber: 6, ip: '198.51.100.2', port: 80 },
    });
    expect(count.bySlot.get(slotB)).toEqual({
      connections: 1,
      inUse: 1,
      exhausted: false,
      destination: { protocolNumber: 1, ip: '198.51.100.2' }, // ICMP: no port
    });
    expect(count).toMatchObject({ entries: 6, foreign: 1 });
  });

  it('calls a slot exhausted when one destination holds every port of it', async () => {
    const a = rule('a', '203.0.113.1', 1024, 1025);
    const index = new SlotIndex([a]);
    const count = await countSlotUsage(
      [
        entry('tcp', '198.51.100.2', 80, '203.0.113.1', 1024),
        entry('tcp', '198.51.100.2', 80, '203.0.113.1', 1025),
      ],
      index,
    );
    expect(count.bySlot.get(index.slots[0])).toEqual({
      connections: 2,
      inUse: 2,
      exhausted: true,
      destination: { protocolNumber: 6, ip: '198.51.100.2', port: 80 },
    });
  });

  it('agrees with an oracle on random tables', async () => {
    for (let round = 0; round < 20; round += 1) {
      const rules = [
        rule('a', '203.0.113.1', 1024, 1031),
        rule('b', '203.0.113.1', 1032, 1035),
        rule('c', '203.0.113.2', 1024, 1024),
      ];
      const index = new SlotIndex(rules);
      const entries: ReplyTuple[] = [];
      for (let i = 0; i < 60; i += 1) {
        const ip = Math.random() < 0.7 ? '203.0.113.1' : '203.0.113.2';
        entries.push(
          entry(
            Math.random() < 0.5 ? 'tcp' : 'udp',
            `198.51.100.${1 + Math.floor(Math.random() * 3)}`,
            80 + Math.floor(Math.random() * 2),
            ip,
            1020 + Math.floor(Math.random() * 20),
          ),
        );
      }
      const count = await countSlotUsage(entries, index);
      for (const r of rules) {
        // Oracle: group the slot's entries by destination class, the largest group is inUse.
        const mine = entries.filter(
          (e) => e.dst === r.natIp && e.port! >= r.port && e.port! <= r.endPort,
        );
        const groups = new Map<string, number>();
        for (const e of mine) {
          const k = `${e.protocolNumber}/${e.src}/${e.sport}`;
          groups.set(k, (groups.get(k) ?? 0) + 1);
        }
        const inUse = Math.max(0, ...groups.values());
        const got = count.bySlot.get(index.slots.find((s) => s.rule === r)!);
        expect(got?.inUse ?? 0).toBe(inUse);
        expect(got?.connections ?? 0).toBe(mine.length);
        expect(got?.exhausted ?? false).toBe(inUse >= r.endPort - r.port + 1);
      }
    }
  });
});

describe('UsageTracker', () => {
  const a = rule('a', '203.0.113.1', 1024, 1027);
  const index = new SlotIndex([a]);
  const slot = index.slots[0];
  const sample = (inUse: number) => ({
    bySlot: new Map(
      inUse > 0 ? [[slot, { connections: inUse, inUse, exhausted: inUse >= 4 }]] : [],
    ),
    entries: inUse,
    foreign: 0,
  });

  it('keeps the peak of the window and lets it fall when the window passes', () => {
    const t = new UsageTracker(60_000);
    t.observe(0, index, sample(3));
    t.observe(10_000, index, sample(1));
    expect(t.current()[0]).toMatchObject({ inUse: 1, peak: 3 });
    t.observe(61_000, index, sample(2));
    expect(t.current()[0]).toMatchObject({ inUse: 2, peak: 2 });
  });

  it('reports only changes, and exhaustion once per episode', () => {
    const t = new UsageTracker(60_000);
    expect(t.observe(0, index, sample(0))).toEqual([]);
    expect(t.changed()).toEqual([]); // an idle slot is not reported
    t.observe(1, index, sample(2));
    expect(t.changed().map((u) => u.inUse)).toEqual([2]);
    t.markReported(t.changed());
    t.observe(2, index, sample(2));
    expect(t.changed()).toEqual([]);
    expect(t.observe(3, index, sample(4)).map((u) => u.exhausted)).toEqual([true]);
    expect(t.observe(4, index, sample(4))).toEqual([]); // still the same episode
    expect(t.changed()[0]).toMatchObject({ inUse: 4, peak: 4, exhausted: true });
  });

  it('forgets slots that are no longer programmed', () => {
    const t = new UsageTracker(60_000);
    t.observe(0, index, sample(1));
    t.observe(1, new SlotIndex([]), { bySlot: new Map(), entries: 0, foreign: 0 });
    expect(t.current()).toEqual([]);
  });

  it('needs a change of 1/64 of a large slot before it reports again', () => {
    expect(reportStep(4)).toBe(1);
    expect(reportStep(2048)).toBe(32);
  });
});

describe('portUsageReports', () => {
  it('builds the event data in the contract shape, split per event, without unknown gateways', () => {
    const t = new UsageTracker(900_000);
    const rules = [
      rule('a', '203.0.113.1', 1024, 1027),
      rule('b', '203.0.113.1', 1028, 1031),
      { ...rule('c', '203.0.113.1', 1032, 1035), gatewayUid: 'gone' },
    ];
    const index = new SlotIndex(rules);
    t.observe(0, index, {
      bySlot: new Map(index.slots.map((s) => [s, { connections: 2, inUse: 2, exhausted: false }])),
      entries: 6,
      foreign: 0,
    });
    const names = (uid: string) => (uid === GW ? { namespace: 'default', name: 'gw' } : undefined);
    const { reports, reported } = portUsageReports(
      'node-1',
      new Date('2026-12-07T18:00:00Z'),
      900,
      t.changed(),
      names,
      1,
    );
    expect(reported).toHaveLength(2);
    expect(reports).toEqual([
      {
        nodeName: 'node-1',
        observedAt: '2026-12-07T18:00:00.000Z',
        windowSeconds: 900,
        slots: [
          {
            namespace: 'default',
            gateway: 'gw',
            networkInterface: 'vm-a',
            networkInterfaceUID: 'a',
            publicIP: '203.0.113.1',
            port: 1024,
            endPort: 1027,
            inUse: 2,
            peak: 2,
            exhausted: false,
          },
        ],
      },
      {
        nodeName: 'node-1',
        observedAt: '2026-12-07T18:00:00.000Z',
        windowSeconds: 900,
        slots: [
          {
            namespace: 'default',
            gateway: 'gw',
            networkInterface: 'vm-b',
            networkInterfaceUID: 'b',
            publicIP: '203.0.113.1',
            port: 1028,
            endPort: 1031,
            inUse: 2,
            peak: 2,
            exhausted: false,
          },
        ],
      },
    ]);
  });
});
