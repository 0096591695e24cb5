import type { NatRule } from '@natgw/domain';
import type { RejectedNatRule } from '../backends';
import { rejectedNics, rejectionsKey, withoutRejected } from './rejected-rules';

const rule = (nicUid: string, family: NatRule['family'] = 'IPv4'): NatRule => ({
  nicUid,
  nicName: `nic-${nicUid}`,
  gatewayUid: 'gw',
  family,
  privateIp: family === 'IPv4' ? '10.0.0.1' : 'fd00::1',
  natIp: family === 'IPv4' ? '203.0.113.1' : '2001:db8::1',
  port: 1024,
  endPort: 2047,
});

const rejection = (r: NatRule, message = 'clash'): RejectedNatRule => ({
  rule: r,
  reason: 'AddressConflict',
  message,
});

describe('rejected rules', () => {
  it('leaves out exactly the rejected NIC and family', () => {
    const rules = [rule('a'), rule('a', 'IPv6'), rule('b')];
    expect(withoutRejected(rules, [rejection(rule('a'))])).toEqual([rule('a', 'IPv6'), rule('b')]);
    expect(withoutRejected(rules, [])).toEqual(rules);
  });

  it('lists rejections in a stable order, so the same set gives the same key', () => {
    const one = rejectedNics([
      rejection(rule('b')),
      rejection(rule('a', 'IPv6')),
      rejection(rule('a')),
    ]);
    const two = rejectedNics([
      rejection(rule('a')),
      rejection(rule('b')),
      rejection(rule('a', 'IPv6')),
    ]);
    expect(one.map((n) => `${n.nicUid}/${n.family}`)).toEqual(['a/IPv4', 'a/IPv6', 'b/IPv4']);
    expect(rejectionsKey(one)).toBe(rejectionsKey(two));
    expect(one[0]).toEqual({
      nicUid: 'a',
      nicName: 'nic-a',
      gatewayUid: 'gw',
      family: 'IPv4',
      reason: 'AddressConflict',
      message: 'clash',
    });
  });

  it('changes the key when a reason or message changes, and caps long messages', () => {
    const base = rejectedNics([rejection(rule('a'))]);
    expect(rejectionsKey(rejectedNics([rejection(rule('a'), 'other')]))).not.toBe(
      rejectionsKey(base),
    );
    const [long] = rejectedNics([rejection(rule('a'), 'x'.repeat(5000))]);
    expect(long.message).toHaveLength(300);
  });
});
