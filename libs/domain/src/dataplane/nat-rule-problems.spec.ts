import type { NatRule } from './nat-rule';
import { describeNatRule, isVni, natRuleShapeProblems } from './nat-rule-problems';

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

describe('natRuleShapeProblems', () => {
  it('accepts well-formed rules of both families, with or without a vni', () => {
    expect(natRuleShapeProblems(rule({}))).toEqual([]);
    expect(natRuleShapeProblems(rule({ vni: 16_777_215 }))).toEqual([]);
    expect(
      natRuleShapeProblems(rule({ family: 'IPv6', privateIp: 'fd00::2', natIp: '2001:db8::1' })),
    ).toEqual([]);
  });

  it('names the field of a malformed rule', () => {
    expect(natRuleShapeProblems(rule({ natIp: '2001:db8::1' }))).toEqual([
      'natIp "2001:db8::1" is not an IPv4 address',
    ]);
    expect(natRuleShapeProblems(rule({ privateIp: '10.0.0.02' }))).toEqual([
      'privateIp "10.0.0.02" is not an IPv4 address',
    ]);
    expect(natRuleShapeProblems(rule({ port: 3000, endPort: 2999 }))).toEqual([
      'port 3000 is above endPort 2999',
    ]);
    expect(natRuleShapeProblems(rule({ endPort: 65536 }))).toEqual([
      'ports 1024-65536 are not both integers in 1..65535',
    ]);
    expect(natRuleShapeProblems(rule({ gatewayUid: '' }))).toEqual(['gatewayUid is empty']);
    expect(natRuleShapeProblems(rule({ vni: 0 }))).toEqual([
      'vni 0 is not an integer in 1..16777215',
    ]);
    expect(natRuleShapeProblems(rule({ vni: 2 ** 24 }))).toEqual([
      'vni 16777216 is not an integer in 1..16777215',
    ]);
  });

  it('describes a rule by key and name', () => {
    expect(describeNatRule(rule({ nicName: 'vm1' }))).toBe('NAT rule IPv4/nic-a (nic vm1)');
    expect(isVni(1.5)).toBe(false);
  });
});
