import type { NatRule } from './nat-rule';
import { findNatRuleProblems } from './nat-rule-problems';

const rule = (over: Partial<NatRule>): NatRule => ({
  nicUid: 'nic-a',
  gatewayUid: 'gw-1',
  family: 'IPv4',
  privateIp: '10.0.0.2',
  natIp: '203.0.113.1',
  port: 1024,
  endPort: 2047,
  ...over,
});

const messages = (rules: NatRule[]) => findNatRuleProblems(rules).map((p) => p.message);

describe('findNatRuleProblems', () => {
  it('accepts a valid table of both families', () => {
    expect(
      findNatRuleProblems([
        rule({}),
        rule({ nicUid: 'nic-b', privateIp: '10.0.0.3', port: 2048, endPort: 3071 }),
        rule({ family: 'IPv6', privateIp: 'fd00::2', natIp: '2001:db8::1' }),
      ]),
    ).toEqual([]);
  });

  it('names the rule and the field of a malformed rule', () => {
    expect(messages([rule({ natIp: '2001:db8::1' })])).toEqual([
      'NAT rule IPv4/nic-a: natIp "2001:db8::1" is not an IPv4 address',
    ]);
    expect(messages([rule({ privateIp: '10.0.0.02', nicName: 'vm1' })])).toEqual([
      'NAT rule IPv4/nic-a (nic vm1): privateIp "10.0.0.02" is not an IPv4 address',
    ]);
    expect(messages([rule({ port: 3000, endPort: 2999 })])).toEqual([
      'NAT rule IPv4/nic-a: port 3000 is above endPort 2999',
    ]);
    expect(messages([rule({ endPort: 65536 })])).toEqual([
      'NAT rule IPv4/nic-a: ports 1024-65536 are not both integers in 1..65535',
    ]);
    expect(messages([rule({ gatewayUid: '' })])).toEqual([
      'NAT rule IPv4/nic-a: gatewayUid is empty',
    ]);
  });

  it('rejects two rules for one NIC and family', () => {
    expect(messages([rule({}), rule({ port: 2048, endPort: 3071 })])).toEqual([
      'NAT rule IPv4/nic-a: the NIC has two rules for IPv4',
    ]);
  });

  it('rejects overlapping port ranges on one NAT IP, even behind a wide range', () => {
    const problems = findNatRuleProblems([
      rule({ nicUid: 'wide', port: 1024, endPort: 8191 }),
      rule({ nicUid: 'a', privateIp: '10.0.0.3', port: 2048, endPort: 3071 }),
      rule({ nicUid: 'b', privateIp: '10.0.0.4', port: 6144, endPort: 7167 }),
      rule({ nicUid: 'ok', privateIp: '10.0.0.5', port: 8192, endPort: 9215 }),
      rule({ nicUid: 'other-ip', privateIp: '10.0.0.6', natIp: '203.0.113.2' }),
    ]);
    expect(problems.map((p) => p.key).sort()).toEqual(['IPv4/a', 'IPv4/b']);
    expect(problems[0]?.message).toContain('overlap NAT rule IPv4/wide (1024-8191)');
  });

  it('treats single-port ranges that touch as overlapping', () => {
    const problems = findNatRuleProblems([
      rule({ nicUid: 'a', port: 5000, endPort: 5000 }),
      rule({ nicUid: 'b', privateIp: '10.0.0.3', port: 5000, endPort: 5000 }),
    ]);
    expect(problems).toHaveLength(1);
  });
});
