import fc from 'fast-check';
import { type NatRule, natRuleKey } from './nat-rule';
import { type NatAddressSpace, partitionNatRules } from './partition-nat-rules';
import { natRuleFixture } from '../../test-support/nat-rule-fixture';

const rule = natRuleFixture;

const reasons = (p: ReturnType<typeof partitionNatRules>) =>
  p.rejected.map((r) => [natRuleKey(r.rule), r.reason]);

describe('partitionNatRules', () => {
  it('accepts a valid table of both families', () => {
    const table = [
      rule({}),
      rule({ nicUid: 'nic-b', privateIp: '10.0.0.3', port: 2048, endPort: 3071 }),
      rule({ family: 'IPv6', privateIp: 'FD00::2', natIp: '2001:db8::1' }),
    ];
    const p = partitionNatRules(table, { addressSpace: 'node' });
    expect(p.rejected).toEqual([]);
    expect(p.accepted.map(natRuleKey)).toEqual(['IPv4/nic-a', 'IPv4/nic-b', 'IPv6/nic-a']);
    expect(p.accepted[2]?.privateIp).toBe('fd00::2');
  });

  it('rejects a malformed rule alone, naming the field', () => {
    const p = partitionNatRules(
      [rule({ nicName: 'vm1', port: 3000, endPort: 2999 }), rule({ nicUid: 'b', port: 2048 })],
      { addressSpace: 'node' },
    );
    expect(p.accepted.map(natRuleKey)).toEqual([]);
    // b's endPort 2047 is below its port too: both are malformed, independently.
    const good = rule({ nicUid: 'c', privateIp: '10.0.0.9', port: 4096, endPort: 5119 });
    const q = partitionNatRules([rule({ port: 3000, endPort: 2999, nicName: 'vm1' }), good], {
      addressSpace: 'node',
    });
    expect(q.accepted).toEqual([good]);
    expect(q.rejected).toEqual([
      {
        rule: rule({ port: 3000, endPort: 2999, nicName: 'vm1' }),
        reason: 'InvalidRule',
        message: 'NAT rule IPv4/nic-a (nic vm1): port 3000 is above endPort 2999',
      },
    ]);
    expect(p.rejected.every((r) => r.reason === 'InvalidRule')).toBe(true);
  });

  it('in one address space, rejects the newcomer that reuses a private address, naming the holder', () => {
    const a = rule({ nicUid: 'a', nicName: 'vm-a', vni: 100 });
    const b = rule({ nicUid: 'b', nicName: 'vm-b', vni: 200, natIp: '203.0.113.2' });
    const other = rule({ nicUid: 'c', privateIp: '10.0.0.3', port: 2048, endPort: 3071 });
    // b comes first in canonical order, but a is in effect: a keeps its address.
    const p = partitionNatRules([b, a, other], { addressSpace: 'node', incumbents: [a] });
    expect(p.accepted.map((r) => r.nicUid)).toEqual(['a', 'c']);
    expect(p.rejected).toEqual([
      {
        rule: b,
        reason: 'AddressConflict',
        message:
          "NAT rule IPv4/b (nic vm-b): private IP 10.0.0.2 on this node is already NIC vm-a (a)'s",
      },
    ]);
    // Without incumbents the first in canonical order (lower NAT IP) wins.
    expect(partitionNatRules([b, a], { addressSpace: 'node' }).accepted[0]?.nicUid).toBe('a');
    expect(
      partitionNatRules([b, a], { addressSpace: 'node', incumbents: [b] }).accepted[0]?.nicUid,
    ).toBe('b');
  });

  it('per network, the same address in two networks is fine and within one it clashes', () => {
    const a = rule({ nicUid: 'a', vni: 100 });
    const b = rule({ nicUid: 'b', vni: 200, port: 2048, endPort: 3071 });
    const c = rule({ nicUid: 'c', vni: 100, port: 4096, endPort: 5119 });
    const p = partitionNatRules([a, b, c], { addressSpace: 'network' });
    expect(p.accepted.map((r) => r.nicUid)).toEqual(['a', 'b']);
    expect(p.rejected[0]?.message).toBe(
      "NAT rule IPv4/c: private IP 10.0.0.2 in network vni 100 is already NIC a's",
    );
  });

  it('per network, a rule without a vni is invalid and a missing interface is reported', () => {
    const p = partitionNatRules(
      [
        rule({ nicUid: 'a' }),
        rule({ nicUid: 'b', vni: 7, port: 2048, endPort: 3071 }),
        rule({ nicUid: 'c', vni: 8, port: 4096, endPort: 5119 }),
      ],
      { addressSpace: 'network', networkPresent: (vni) => vni !== 7 },
    );
    expect(p.accepted.map((r) => r.nicUid)).toEqual(['c']);
    expect(reasons(p)).toEqual([
      ['IPv4/a', 'InvalidRule'],
      ['IPv4/b', 'NetworkInterfaceMissing'],
    ]);
    expect(p.rejected[1]?.message).toBe(
      'NAT rule IPv4/b: the interface of network vni 7 does not exist on this node',
    );
  });

  it('rejects overlapping port ranges on one NAT IP, even behind a wide range', () => {
    const p = partitionNatRules(
      [
        rule({ nicUid: 'wide', port: 1024, endPort: 8191 }),
        rule({ nicUid: 'a', privateIp: '10.0.0.3', port: 2048, endPort: 3071 }),
        rule({ nicUid: 'b', privateIp: '10.0.0.4', port: 6144, endPort: 7167 }),
        rule({ nicUid: 'ok', privateIp: '10.0.0.5', port: 8192, endPort: 9215 }),
        rule({ nicUid: 'other-ip', privateIp: '10.0.0.6', natIp: '203.0.113.2' }),
      ],
      { addressSpace: 'node' },
    );
    expect(reasons(p)).toEqual([
      ['IPv4/a', 'SlotConflict'],
      ['IPv4/b', 'SlotConflict'],
    ]);
    expect(p.rejected[0]?.message).toBe(
      "NAT rule IPv4/a: ports 2048-3071 on 203.0.113.1 overlap NIC wide's (1024-8191)",
    );
  });

  it('keeps an incumbent slot against a newcomer that comes first in canonical order', () => {
    const incumbent = rule({ nicUid: 'z', port: 2000, endPort: 2999 });
    const newcomer = rule({ nicUid: 'a', privateIp: '10.0.0.3', port: 1024, endPort: 2047 });
    const p = partitionNatRules([newcomer, incumbent], {
      addressSpace: 'node',
      incumbents: [incumbent],
    });
    expect(p.accepted).toEqual([incumbent]);
    expect(reasons(p)).toEqual([['IPv4/a', 'SlotConflict']]);
  });

  it('programs one of two rules for one NIC and family', () => {
    const p = partitionNatRules([rule({}), rule({ privateIp: '10.0.0.3', port: 2048 })], {
      addressSpace: 'node',
    });
    expect(p.accepted).toHaveLength(1);
    expect(reasons(p)).toEqual([['IPv4/nic-a', 'InvalidRule']]);
  });

  it('takes a dataplane limit on single rules as InvalidRule', () => {
    const p = partitionNatRules([rule({})], {
      addressSpace: 'node',
      dataplaneProblem: () => 'too long',
    });
    expect(p.rejected.map((r) => r.message)).toEqual(['NAT rule IPv4/nic-a: too long']);
  });

  describe('against an oracle written from the rules (property)', () => {
    interface Generated {
      rule: NatRule;
      malformed: boolean;
    }
    const generated = fc
      .record({
        nic: fc.integer({ min: 0, max: 7 }),
        family: fc.constantFrom<'IPv4' | 'IPv6'>('IPv4', 'IPv6'),
        host: fc.integer({ min: 2, max: 4 }),
        nat: fc.integer({ min: 1, max: 2 }),
        port: fc.integer({ min: 1, max: 12 }),
        width: fc.integer({ min: 0, max: 5 }),
        vni: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        malformed: fc.boolean(),
        spelling: fc.boolean(),
      })
      .map((g): Generated => {
        const v6 = g.family === 'IPv6';
        const privateIp = v6 ? `${g.spelling ? 'FD00' : 'fd00'}::${g.host}` : `10.0.0.${g.host}`;
        return {
          malformed: g.malformed && g.width > 0,
          rule: {
            nicUid: `nic-${g.nic}`,
            gatewayUid: 'gw',
            family: g.family,
            privateIp,
            natIp: v6 ? `2001:db8::${g.nat}` : `203.0.113.${g.nat}`,
            // A malformed rule has its range reversed.
            port: g.malformed && g.width > 0 ? g.port + g.width : g.port,
            endPort: g.malformed && g.width > 0 ? g.port : g.port + g.width,
            ...(g.vni === undefined ? {} : { vni: g.vni }),
          },
        };
      });

    const canonicalIp = (r: NatRule) => r.privateIp.toLowerCase();
    const sameAddress = (a: NatRule, b: NatRule, space: NatAddressSpace) =>
      a.family === b.family &&
      canonicalIp(a) === canonicalIp(b) &&
      (space === 'node' || a.vni === b.vni);
    const overlap = (a: NatRule, b: NatRule) =>
      a.family === b.family && a.natIp === b.natIp && a.port <= b.endPort && b.port <= a.endPort;
    const sameKey = (a: NatRule, b: NatRule) => a.family === b.family && a.nicUid === b.nicUid;
    const clash = (a: NatRule, b: NatRule, space: NatAddressSpace) =>
      sameKey(a, b) || sameAddress(a, b, space) || overlap(a, b);
    const same = (a: NatRule, b: NatRule) =>
      sameKey(a, b) &&
      canonicalIp(a) === canonicalIp(b) &&
      a.natIp === b.natIp &&
      a.port === b.port &&
      a.endPort === b.endPort &&
      a.vni === b.vni;

    it('accepts a conflict-free set, rejects only real conflicts, keeps incumbents, ignores order', () => {
      fc.assert(
        fc.property(
          fc.array(generated, { maxLength: 14 }),
          fc.array(generated, { maxLength: 8 }),
          fc.constantFrom<NatAddressSpace>('node', 'network'),
          fc.integer({ min: 0, max: 3 }),
          fc.nat(),
          (desiredGen, incumbentGen, space, missingVni, seed) => {
            const desired = desiredGen.map((g) => g.rule);
            const malformed = (r: NatRule) =>
              desiredGen.some((g) => g.malformed && g.rule === r) ||
              (space === 'network' && r.vni === undefined);
            // Incumbents as a real dataplane would hold them: well-formed and conflict-free.
            const incumbents: NatRule[] = [];
            for (const g of incumbentGen) {
              if (g.malformed || (space === 'network' && g.rule.vni === undefined)) continue;
              if (incumbents.some((i) => clash(i, g.rule, space))) continue;
              incumbents.push(g.rule);
            }
            const present = (vni: number) => vni !== missingVni;
            const options = { addressSpace: space, incumbents, networkPresent: present };
            const p = partitionNatRules(desired, options);

            // Every desired rule is accounted for exactly once.
            expect(p.accepted.length + p.rejected.length).toBe(desired.length);
            // The accepted set is well-formed and conflict-free.
            for (const [i, a] of p.accepted.entries()) {
              expect(malformed(a)).toBe(false);
              for (const b of p.accepted.slice(i + 1)) expect(clash(a, b, space)).toBe(false);
            }
            // Nothing is rejected without a real reason.
            for (const { rule: r, reason } of p.rejected) {
              expect(desired.some((d) => same(d, r))).toBe(true);
              const isMalformed = desired.some((d) => same(d, r) && malformed(d));
              switch (reason) {
                case 'InvalidRule':
                  expect(isMalformed || p.accepted.some((a) => sameKey(a, r))).toBe(true);
                  break;
                case 'NetworkInterfaceMissing':
                  expect(space === 'network' && r.vni === missingVni).toBe(true);
                  break;
                case 'AddressConflict':
                  expect(p.accepted.some((a) => sameAddress(a, r, space))).toBe(true);
                  break;
                case 'SlotConflict':
                  expect(p.accepted.some((a) => overlap(a, r))).toBe(true);
                  break;
              }
            }
            // A well-formed rule that conflicts with nothing accepted is accepted.
            for (const d of desired) {
              if (malformed(d) || (space === 'network' && d.vni === missingVni)) continue;
              const isAccepted = p.accepted.some((a) => same(a, d));
              if (!isAccepted) expect(p.accepted.some((a) => clash(a, d, space))).toBe(true);
            }
            // Incumbents that are still desired and programmable keep their place.
            for (const i of incumbents) {
              const wanted = desired.find((d) => same(d, i) && !malformed(d));
              if (!wanted || (space === 'network' && i.vni === missingVni)) continue;
              expect(p.accepted.some((a) => same(a, i))).toBe(true);
            }
            // Input order never matters.
            const cut = desired.length === 0 ? 0 : seed % desired.length;
            const shuffled = [...desired.slice(cut), ...desired.slice(0, cut)].reverse();
            expect(partitionNatRules(shuffled, options)).toEqual(p);
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});
