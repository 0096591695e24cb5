import { type NatRule, canonicalNatRule, natRuleKey, sameNatRule, sortNatRules } from './nat-rule';
import { natRuleFixture } from '../../test-support/nat-rule-fixture';

const rule = natRuleFixture;

describe('canonicalNatRule', () => {
  it('spells IPv6 addresses as RFC 5952 and keeps IPv4 as dotted decimal', () => {
    const r = canonicalNatRule(
      rule({ family: 'IPv6', privateIp: 'FD00:0200:0:0:0:0:0:0002', natIp: '2001:DB8:0:0:1::1' }),
    );
    expect(r.privateIp).toBe('fd00:200::2');
    expect(r.natIp).toBe('2001:db8::1:0:0:1');
  });

  it('drops an empty nicName and keeps a given one', () => {
    expect('nicName' in canonicalNatRule(rule({ nicName: '' }))).toBe(false);
    expect(canonicalNatRule(rule({ nicName: 'vm1-nic' })).nicName).toBe('vm1-nic');
  });

  it('leaves an unparseable address alone for validation to report', () => {
    expect(canonicalNatRule(rule({ natIp: 'not-an-ip' })).natIp).toBe('not-an-ip');
  });
});

describe('sameNatRule / natRuleKey', () => {
  it('keys by family and NIC uid', () => {
    expect(natRuleKey(rule({}))).toBe('IPv4/nic-a');
    expect(natRuleKey(rule({ family: 'IPv6' }))).toBe('IPv6/nic-a');
  });

  it('ignores nicName but not the gateway', () => {
    expect(sameNatRule(rule({ nicName: 'x' }), rule({ nicName: 'y' }))).toBe(true);
    expect(sameNatRule(rule({}), rule({ gatewayUid: 'gw-2' }))).toBe(false);
  });
});

describe('sortNatRules', () => {
  it('orders IPv4 before IPv6, then NAT IP numerically, then port', () => {
    const sorted = sortNatRules([
      rule({ nicUid: 'v6', family: 'IPv6', privateIp: 'fd00::2', natIp: '2001:db8::1' }),
      rule({ nicUid: 'b', natIp: '203.0.113.10', port: 1024, endPort: 2047 }),
      rule({ nicUid: 'c', natIp: '203.0.113.9', port: 2048, endPort: 3071 }),
      rule({ nicUid: 'd', natIp: '203.0.113.9', port: 1024, endPort: 2047 }),
    ]);
    expect(sorted.map((r) => r.nicUid)).toEqual(['d', 'c', 'b', 'v6']);
  });

  it('orders ports and end ports numerically whatever their digit counts, then by NIC uid', () => {
    const expected = [
      rule({ nicUid: 'p1', port: 1024, endPort: 9215 }),
      rule({ nicUid: 'p2', port: 1024, endPort: 10239 }),
      rule({ nicUid: 'p3', port: 9216, endPort: 10239 }),
      rule({ nicUid: 'p4a', port: 10240, endPort: 11263 }),
      rule({ nicUid: 'p4b', port: 10240, endPort: 11263 }),
      rule({ nicUid: 'p5', port: 65535, endPort: 65535 }),
    ];
    const ids = expected.map((r) => r.nicUid);
    expect(sortNatRules([...expected].reverse()).map((r) => r.nicUid)).toEqual(ids);
    const shuffled = [expected[3], expected[0], expected[5], expected[2], expected[4], expected[1]];
    expect(sortNatRules(shuffled as NatRule[]).map((r) => r.nicUid)).toEqual(ids);
  });

  it('returns canonical copies and leaves the input alone', () => {
    const input = [rule({ family: 'IPv6', privateIp: 'FD00::2', natIp: '2001:DB8::1' })];
    const sorted = sortNatRules(input);
    expect(sorted[0]?.privateIp).toBe('fd00::2');
    expect(input[0]?.privateIp).toBe('FD00::2');
  });
});
