import type { NatRule } from './nat-rule';
import { NatRuleBook } from './nat-rule-book';
import { sortNatRules } from './nat-rule';

import { natRuleFixture as rule } from '../../test-support/nat-rule-fixture';

/** Port ranges are inclusive: two overlap when each starts at or before the other's end. */
const overlaps = (a: NatRule, b: NatRule) =>
  a.family === b.family && a.natIp === b.natIp && a.port <= b.endPort && b.port <= a.endPort;

describe('NatRuleBook', () => {
  it('finds a slot conflict exactly when the inclusive port ranges on one NAT IP overlap', () => {
    const held = [
      rule({ nicUid: 'h1', privateIp: '10.0.0.11', port: 1024, endPort: 2047 }),
      rule({ nicUid: 'h2', privateIp: '10.0.0.12', port: 4096, endPort: 4096 }),
      rule({ nicUid: 'h3', privateIp: '10.0.0.13', port: 8192, endPort: 9000 }),
    ];
    const book = new NatRuleBook(false);
    for (const h of held) book.add(h);
    let n = 0;
    for (const [port, endPort] of [
      [1, 1023],
      [1, 1024],
      [2047, 2047],
      [2047, 3000],
      [2048, 4095],
      [4095, 4096],
      [4096, 4096],
      [4097, 8191],
      [9000, 65535],
      [9001, 65535],
      [1, 65535],
    ] as const) {
      const candidate = rule({ nicUid: `c${n}`, privateIp: `10.0.1.${n++}`, port, endPort });
      const expected = held.find((h) => overlaps(h, candidate));
      const clash = book.clash(candidate);
      if (expected === undefined) expect(clash).toBeUndefined();
      else expect(clash).toEqual({ kind: 'SlotConflict', holder: expected });
    }
    // Another NAT IP or family has its own ports.
    expect(book.clash(rule({ nicUid: 'x', privateIp: '10.0.2.1', natIp: '203.0.113.2' }))).toBe(
      undefined,
    );
  });

  it('names the NIC, then the private address, as the clash before the ports', () => {
    const book = new NatRuleBook(false);
    const held = rule({});
    book.add(held);
    expect(book.clash(rule({ privateIp: '10.9.9.9', natIp: '198.51.100.1' }))).toEqual({
      kind: 'SameNic',
      holder: held,
    });
    expect(book.clash(rule({ nicUid: 'nic-b' }))).toEqual({
      kind: 'AddressConflict',
      holder: held,
    });
    expect(book.clash(rule({ nicUid: 'nic-b', family: 'IPv6', privateIp: 'fd00::2' }))).toBe(
      undefined,
    );
  });

  it('keeps private addresses per network in network mode and one space otherwise', () => {
    const perNetwork = new NatRuleBook(true);
    perNetwork.add(rule({ vni: 1 }));
    expect(perNetwork.clash(rule({ nicUid: 'nic-b', vni: 2, port: 4096, endPort: 5119 }))).toBe(
      undefined,
    );
    expect(
      perNetwork.clash(rule({ nicUid: 'nic-b', vni: 1, port: 4096, endPort: 5119 }))?.kind,
    ).toBe('AddressConflict');
    const node = new NatRuleBook(false);
    node.add(rule({ vni: 1 }));
    expect(node.clash(rule({ nicUid: 'nic-b', vni: 2, port: 4096, endPort: 5119 }))?.kind).toBe(
      'AddressConflict',
    );
  });

  it('counts shared members as rules come and go, and keeps the rules in canonical order', () => {
    const book = new NatRuleBook(true);
    const a = rule({
      nicUid: 'a',
      vni: 1,
      family: 'IPv6',
      privateIp: 'fd00::2',
      natIp: '2001:db8::1',
      port: 1024,
      endPort: 2047,
    });
    const b = rule({
      nicUid: 'b',
      vni: 2,
      family: 'IPv6',
      privateIp: 'fd00::2',
      natIp: '2001:db8::2',
      port: 1024,
      endPort: 2047,
    });
    const c = rule({
      nicUid: 'c',
      vni: 2,
      family: 'IPv6',
      privateIp: 'fd00::3',
      natIp: '2001:db8::1',
      port: 2048,
      endPort: 4095,
    });
    const d = rule({
      nicUid: 'd',
      vni: 2,
      privateIp: '10.0.0.2',
      natIp: '203.0.113.1',
      port: 2048,
      endPort: 4095,
    });
    for (const r of [c, b, d, a]) book.add(r);
    expect(book.size).toBe(4);
    expect(book.rules()).toEqual(sortNatRules([a, b, c, d]));
    expect(book.get('IPv6', 'a')).toBe(a);
    expect(book.get('IPv4', 'a')).toBeUndefined();
    expect(book.privateIpCount('IPv6', 'fd00::2')).toBe(2);
    expect(book.privateIpCount('IPv4', 'fd00::2')).toBe(0);
    expect(book.range6Count(1024, 2047)).toBe(2);
    expect(book.range6Count(2048, 4095)).toBe(1);
    // d is IPv4: its range is not an IPv6 member.
    expect(book.range6Count(1024, 4095)).toBe(0);
    expect(book.natIpCount('IPv6', '2001:db8::1')).toBe(2);
    expect(book.vniCount(2)).toBe(3);
    expect(book.vniCount(1)).toBe(1);

    book.delete(b);
    book.delete(rule({ ...a })); // not the object that was added: nothing happens
    expect(book.size).toBe(3);
    expect(book.rules()).toEqual(sortNatRules([a, c, d]));
    expect(book.privateIpCount('IPv6', 'fd00::2')).toBe(1);
    expect(book.range6Count(1024, 2047)).toBe(1);
    expect(book.natIpCount('IPv6', '2001:db8::2')).toBe(0);
    expect(book.vniCount(2)).toBe(2);
    // b's NIC, address and ports are free again.
    expect(book.clash(b)).toBeUndefined();

    for (const r of [a, c, d]) book.delete(r);
    expect(book.size).toBe(0);
    expect(book.rules()).toEqual([]);
    expect(book.vniCount(2)).toBe(0);
    expect(book.natIpCount('IPv6', '2001:db8::1')).toBe(0);
  });
});

describe('NatRuleBook asked about a family outside the type (an unchecked value)', () => {
  it('knows no rule and counts none', () => {
    const book = new NatRuleBook(false);
    book.add(rule({}));
    const family = 'IPv5' as NatRule['family'];
    expect(book.get(family, 'nic-a')).toBeUndefined();
    expect(book.natIpCount(family, '203.0.113.1')).toBe(0);
    expect(book.privateIpCount(family, '10.0.0.2')).toBe(0);
  });
});
