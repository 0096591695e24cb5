import { diffNatRules } from './diff-nat-rules';
import type { NatRule } from './nat-rule';
import { natRuleShapeProblems } from './nat-rule-problems';
import { natTimeoutsProfile, parseNatTimeoutsProfile } from './nat-timeouts';

const rule: NatRule = {
  nicUid: 'nic-1',
  gatewayUid: 'gw',
  family: 'IPv4',
  privateIp: '10.0.0.2',
  natIp: '203.0.113.1',
  port: 1024,
  endPort: 2047,
};

describe('timeout profiles of NAT rules', () => {
  it('writes and reads a profile: TCP established, transitory, TIME_WAIT, UDP', () => {
    const profile = natTimeoutsProfile({
      tcpEstablishedIdleSeconds: 1200,
      tcpTransitoryIdleSeconds: 30,
      tcpTimeWaitSeconds: 120,
      udpIdleSeconds: 30,
    });
    expect(profile).toBe('1200-30-120-30');
    expect(parseNatTimeoutsProfile(profile)).toEqual({
      tcpEstablished: 1200,
      tcpTransitory: 30,
      tcpTimeWait: 120,
      udp: 30,
    });
  });

  it('reads the smallest accepted value, 1 s (spec.timeouts.tcpTimeWaitSeconds may be 1)', () => {
    expect(parseNatTimeoutsProfile('1200-30-1-30')).toEqual({
      tcpEstablished: 1200,
      tcpTransitory: 30,
      tcpTimeWait: 1,
      udp: 30,
    });
  });

  it.each(['', '1200-30-120', '1200-30-120-30-30', '0-30-120-30', 'a-b-c-d', '1234567-1-1-1'])(
    'refuses %j',
    (text) => {
      expect(parseNatTimeoutsProfile(text)).toBeUndefined();
      expect(natRuleShapeProblems({ ...rule, timeouts: text })).toEqual([
        expect.stringContaining('is not a timeout profile'),
      ]);
    },
  );

  it('makes a different or missing profile drift on the field timeouts', () => {
    const timed = { ...rule, timeouts: '1200-30-120-30' };
    expect(diffNatRules([timed], [rule]).changed.map((c) => c.fields)).toEqual([['timeouts']]);
    expect(
      diffNatRules([timed], [{ ...rule, timeouts: '600-30-120-30' }]).changed.map((c) => c.fields),
    ).toEqual([['timeouts']]);
    expect(diffNatRules([timed], [{ ...timed }]).changed).toEqual([]);
  });
});
