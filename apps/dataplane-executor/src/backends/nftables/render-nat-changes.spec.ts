import fc from 'fast-check';
import { IncrementalNatPartition, type NatRule, sortNatRules } from '@natgw/domain';
import { bookUsage, renderNatChanges, renderNatDelta } from './render-nat-changes';
import type { NatNetwork, NatTableLayout } from './render-nat-ruleset';

const a: NatRule = {
  nicUid: 'a',
  gatewayUid: 'gw',
  family: 'IPv4',
  privateIp: '10.0.0.2',
  natIp: '203.0.113.1',
  port: 1024,
  endPort: 2047,
};
const b: NatRule = { ...a, nicUid: 'b', privateIp: '10.0.0.3', natIp: '203.0.113.2' };
const a6: NatRule = { ...a, family: 'IPv6', privateIp: 'fd00::2', natIp: '2001:db8::1' };
const b6: NatRule = { ...a6, nicUid: 'b', privateIp: 'fd00::3', port: 2048, endPort: 3071 };

describe('renderNatChanges', () => {
  it('is empty when nothing changes', () => {
    expect(renderNatChanges(sortNatRules([a, a6]), sortNatRules([a6, a]), 'natgw')).toBe('');
  });

  it('adds one NIC as elements only', () => {
    expect(renderNatChanges([a], sortNatRules([a, b]), 'natgw')).toBe(
      'add element inet natgw snat4 { 10.0.0.3 comment "nic=b gw=gw" : 203.0.113.2 . 1024-2047 }\n' +
        'add element inet natgw nics4 { 10.0.0.3 }\n' +
        'add element inet natgw natips4 { 203.0.113.2 }\n',
    );
  });

  it('moves a NIC to another slot by deleting and re-adding its element', () => {
    const moved = { ...a, port: 2048, endPort: 3071 };
    expect(renderNatChanges([a], [moved], 'natgw')).toBe(
      'delete element inet natgw snat4 { 10.0.0.2 }\n' +
        'add element inet natgw snat4 { 10.0.0.2 comment "nic=a gw=gw" : 203.0.113.1 . 2048-3071 }\n',
    );
  });

  it('drops an IPv6 range chain nobody uses after its last element, and creates new ones first', () => {
    expect(renderNatChanges([a6], [b6], 'natgw')).toBe(
      [
        'delete element inet natgw snat6 { fd00::2 }',
        'delete element inet natgw natip6 { fd00::2 }',
        'delete element inet natgw nics6 { fd00::2 }',
        'flush chain inet natgw snat6-1024-2047',
        'delete chain inet natgw snat6-1024-2047',
        'add chain inet natgw snat6-2048-3071',
        'add rule inet natgw snat6-2048-3071 meta l4proto { tcp, udp, ipv6-icmp } snat ip6 to ip6 saddr map @natip6 : 2048-3071',
        'add element inet natgw snat6 { fd00::3 comment "nic=b gw=gw" : jump snat6-2048-3071 }',
        'add element inet natgw natip6 { fd00::3 : 2001:db8::1 }',
        'add element inet natgw nics6 { fd00::3 }',
        '',
      ].join('\n'),
    );
  });
});

/** A transaction's text as a set of (command, element) pairs: order inside a line is free. */
function edits(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .flatMap((line) => {
      const m = /^(\w+ element inet \w+ \w+) \{ (.*) \}$/.exec(line);
      return m ? (m[2] as string).split(', ').map((e) => `${m[1]} ${e}`) : [line];
    })
    .sort();
}

describe('renderNatDelta', () => {
  const ruleArb = fc
    .record({
      uid: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      name: fc.option(fc.constantFrom('vm1', 'vm2'), { nil: undefined }),
      v6: fc.boolean(),
      vni: fc.constantFrom(1, 2),
      host: fc.integer({ min: 2, max: 4 }),
      nat: fc.integer({ min: 1, max: 2 }),
      slot: fc.integer({ min: 0, max: 2 }),
    })
    .map((r): NatRule => ({
      nicUid: r.uid,
      ...(r.name ? { nicName: r.name } : {}),
      gatewayUid: 'gw',
      family: r.v6 ? 'IPv6' : 'IPv4',
      vni: r.vni,
      privateIp: r.v6 ? `fd00::${r.host}` : `10.0.0.${r.host}`,
      natIp: r.v6 ? `2001:db8::${r.nat}` : `203.0.113.${r.nat}`,
      port: 1024 + r.slot * 1024,
      endPort: 2047 + r.slot * 1024,
    }));

  for (const mode of ['shared', 'network'] as const) {
    it(`says what renderNatChanges says for the same change, from the counts alone (${mode})`, () => {
      const layout: NatTableLayout =
        mode === 'shared'
          ? { mode }
          : {
              mode,
              networks: new Map<number, NatNetwork>([
                [1, { vni: 1, id: 1, ifname: 'vni1' }],
                [2, { vni: 2, id: 2, ifname: 'vni2' }],
              ]),
            };
      fc.assert(
        fc.property(fc.array(ruleArb), fc.array(ruleArb), (first, second) => {
          const options = { addressSpace: mode === 'shared' ? 'node' : 'network' } as const;
          const partition = new IncrementalNatPartition();
          const from = partition.full(first, options).accepted;
          const change = partition.update(second, options, 1_000);
          const book = partition.current;
          if (!change || !book) return; // a NIC twice: nothing to compare
          const delta = renderNatDelta(
            change.removed,
            change.added,
            bookUsage(book),
            'natgw',
            layout,
            layout,
          );
          const full = renderNatChanges(from, change.partition.accepted, 'natgw', layout);
          expect(edits(delta)).toEqual(edits(full));
        }),
        { numRuns: 300 },
      );
    });
  }
});
