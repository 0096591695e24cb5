import type { NatRule } from './nat-rule';
import { describeNatRule, isVni, natRuleShapeProblems } from './nat-rule-problems';
import { natRuleFixture } from '../../test-support/nat-rule-fixture';

const rule = natRuleFixture;

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

  it('accepts the edges of the ranges: ports 1 and 65535, a one-port range, vni 1', () => {
    expect(natRuleShapeProblems(rule({ port: 1, endPort: 65535 }))).toEqual([]);
    expect(natRuleShapeProblems(rule({ port: 65535, endPort: 65535 }))).toEqual([]);
    expect(natRuleShapeProblems(rule({ port: 1, endPort: 1 }))).toEqual([]);
    expect(natRuleShapeProblems(rule({ vni: 1 }))).toEqual([]);
  });

  it('refuses ports just outside the range, fractional or not numbers at all', () => {
    const unbounded = (port: unknown, endPort: unknown) =>
      natRuleShapeProblems({ ...rule({}), port, endPort } as unknown as NatRule);
    expect(unbounded(0, 2047)).toEqual(['ports 0-2047 are not both integers in 1..65535']);
    expect(unbounded(1024.5, 2047)).toEqual([
      'ports 1024.5-2047 are not both integers in 1..65535',
    ]);
    expect(unbounded('1024', 2047)).toEqual(['ports 1024-2047 are not both integers in 1..65535']);
    expect(unbounded(1024, '2047')).toEqual(['ports 1024-2047 are not both integers in 1..65535']);
  });

  it('refuses an empty or missing uid, an unknown family, and a vni that is not a number', () => {
    expect(natRuleShapeProblems(rule({ nicUid: '' }))).toEqual(['nicUid is empty']);
    const loose = (over: Record<string, unknown>) =>
      natRuleShapeProblems({ ...rule({}), ...over } as unknown as NatRule);
    expect(loose({ nicUid: undefined, gatewayUid: 7 })).toEqual([
      'nicUid is empty',
      'gatewayUid is empty',
    ]);
    expect(loose({ family: 'IPv5', port: 0 })).toEqual(['family "IPv5" is not IPv4 or IPv6']);
    expect(loose({ vni: '5' })).toEqual(['vni 5 is not an integer in 1..16777215']);
    expect(loose({ vni: 2.5 })).toEqual(['vni 2.5 is not an integer in 1..16777215']);
    expect(
      natRuleShapeProblems(rule({ family: 'IPv6', privateIp: '10.0.0.2', natIp: 'fe80::1%eth0' })),
    ).toEqual([
      'privateIp "10.0.0.2" is not an IPv6 address',
      'natIp "fe80::1%eth0" is not an IPv6 address',
    ]);
  });

  it('describes a rule by key and name', () => {
    expect(describeNatRule(rule({ nicName: 'vm1' }))).toBe('NAT rule IPv4/nic-a (nic vm1)');
    expect(describeNatRule(rule({}))).toBe('NAT rule IPv4/nic-a');
    expect(describeNatRule(rule({ nicName: '' }))).toBe('NAT rule IPv4/nic-a');
    expect(isVni(1.5)).toBe(false);
    expect(isVni('7')).toBe(false);
    expect([0, 1, 16_777_215, 16_777_216].map(isVni)).toEqual([false, true, true, false]);
  });
});
