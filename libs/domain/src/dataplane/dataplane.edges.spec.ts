// Edge cases that the mutation run (npm run test:mutation) showed no test pinned down.
import { diffNatRules } from './diff-nat-rules';
import { canonicalNatRule, type NatRule, natRuleKey, sortNatRules } from './nat-rule';
import { compareNatRulesInOrder, natIpOrderKey } from './nat-rule-book';

import { natRuleFixture as rule } from '../../test-support/nat-rule-fixture';

describe('natIpOrderKey', () => {
  it('orders NAT IPs that are no address after every address, and among themselves by text', () => {
    const addresses = ['0.0.0.0', '9.0.0.1', '203.0.113.1', '255.255.255.255'];
    const others = ['0.0.0.0.0', 'a-name', 'not-an-ip'];
    const keys = [...addresses, ...others].map((natIp) => natIpOrderKey(rule({ natIp })));
    const sorted = [...keys].sort();
    expect(sorted).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('compareNatRulesInOrder', () => {
  it('is 0 only for rules that agree on every field it looks at, and antisymmetric otherwise', () => {
    const a = rule({});
    const nat = natIpOrderKey(a);
    expect(compareNatRulesInOrder(a, nat, { ...a }, nat)).toBe(0);
    const differing: NatRule[] = [
      rule({ family: 'IPv6' }),
      rule({ port: 1025 }),
      rule({ endPort: 2048 }),
      rule({ nicUid: 'nic-b' }),
      rule({ privateIp: '10.0.0.3' }),
      rule({ vni: 7 }),
      rule({ gatewayUid: 'gw-2' }),
      rule({ nicName: 'eth1' }),
    ];
    for (const b of differing) {
      const bNat = natIpOrderKey(b);
      const ab = compareNatRulesInOrder(a, nat, b, bNat);
      expect(ab).not.toBe(0);
      expect(Math.sign(compareNatRulesInOrder(b, bNat, a, nat))).toBe(-Math.sign(ab));
    }
  });
});

describe('diffNatRules with two desired rules for one NIC', () => {
  it('matches the actual rule once; the other desired rule is missing', () => {
    const first = rule({ natIp: '203.0.113.1' });
    const second = rule({ natIp: '203.0.113.2' });
    const diff = diffNatRules([first, second], [first]);
    expect(diff.changed).toEqual([]);
    expect(diff.extra).toEqual([]);
    expect(diff.missing).toEqual([second]);
    expect(diff.missing.map(natRuleKey)).toEqual(['IPv4/nic-a']);
  });
});

describe('compareNatRulesInOrder on nicName', () => {
  it('puts a rule without a name before the same rule with any name', () => {
    const nameless = rule({});
    const nat = natIpOrderKey(nameless);
    for (const nicName of ['A', 'Z', 'a', 'eth0', '~']) {
      const named = rule({ nicName });
      expect(compareNatRulesInOrder(nameless, nat, named, nat)).toBeLessThan(0);
      expect(compareNatRulesInOrder(named, nat, nameless, nat)).toBeGreaterThan(0);
    }
  });
});

describe('sortNatRules on NAT IPs that are no address', () => {
  it('puts them after every address of the family, in text order', () => {
    const names = ['zz', 'a-name', '10.0.0.300'].map((natIp, i) =>
      rule({ nicUid: `n${i}`, natIp }),
    );
    const addresses = ['203.0.113.9', '9.9.9.9'].map((natIp, i) =>
      rule({ nicUid: `a${i}`, natIp }),
    );
    expect(sortNatRules([...names, ...addresses]).map((r) => r.natIp)).toEqual([
      '9.9.9.9',
      '203.0.113.9',
      '10.0.0.300',
      'a-name',
      'zz',
    ]);
  });
});

describe('canonicalNatRule of a respelled rule', () => {
  it('keeps the vni, the timeouts and a name, and leaves out absent ones', () => {
    const respelled = rule({
      family: 'IPv6',
      privateIp: 'FD00:0::2',
      natIp: '2001:DB8::1',
      vni: 7,
      timeouts: '1200-30-120-30',
      nicName: 'eth0',
    });
    expect(canonicalNatRule(respelled)).toEqual({
      ...respelled,
      privateIp: 'fd00::2',
      natIp: '2001:db8::1',
    });
    const bare = rule({ family: 'IPv6', privateIp: 'FD00::2', natIp: '2001:db8::1', nicName: '' });
    expect(canonicalNatRule(bare)).toStrictEqual({
      nicUid: 'nic-a',
      gatewayUid: 'gw-1',
      family: 'IPv6',
      privateIp: 'fd00::2',
      natIp: '2001:db8::1',
      port: 1024,
      endPort: 2047,
    });
  });
});
