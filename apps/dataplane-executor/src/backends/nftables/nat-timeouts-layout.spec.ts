import type { NatRule } from '@natgw/domain';
import {
  addTimeoutProfile,
  deleteTimeoutProfile,
  isNatgwTimeoutObject,
  parseTimeoutsChainName,
  renderTimeoutProfile,
  timeoutProfileKeys,
} from './nat-timeouts-layout';
import { renderNatChanges } from './render-nat-changes';

const values = { tcpEstablished: 777, tcpTransitory: 20, tcpTimeWait: 60, udp: 45 };
const rule = (nic: string, privateIp: string, timeouts?: string): NatRule => ({
  nicUid: nic,
  gatewayUid: 'gw',
  family: 'IPv4',
  privateIp,
  natIp: '203.0.113.1',
  port: nic === 'a' ? 1024 : 2048,
  endPort: nic === 'a' ? 2047 : 3071,
  ...(timeouts ? { timeouts } : {}),
});

describe('timeout profiles in the nftables table', () => {
  it('renders two ct timeout objects and the chain that sets them', () => {
    expect(renderTimeoutProfile('IPv4', '777-20-60-45')).toBe(
      [
        '\tct timeout ctt-tcp4-777-20-60-45 {',
        '\t\tprotocol tcp',
        '\t\tl3proto ip',
        '\t\tpolicy = { syn_sent : 20, syn_recv : 20, established : 777, fin_wait : 20, close_wait : 20, last_ack : 20, time_wait : 60, close : 20, syn_sent2 : 20 }',
        '\t}',
        '\tct timeout ctt-udp4-777-20-60-45 {',
        '\t\tprotocol udp',
        '\t\tl3proto ip',
        '\t\tpolicy = { unreplied : 45, replied : 45 }',
        '\t}',
        '\tchain timeouts4-777-20-60-45 {',
        '\t\tmeta l4proto tcp ct timeout set "ctt-tcp4-777-20-60-45"',
        '\t\tmeta l4proto udp ct timeout set "ctt-udp4-777-20-60-45"',
        '\t}',
      ].join('\n'),
    );
    expect(parseTimeoutsChainName('timeouts6-777-20-60-45')).toEqual({
      family: 'IPv6',
      profile: '777-20-60-45',
      values,
    });
    expect(parseTimeoutsChainName('timeouts4-nope')).toBeUndefined();
  });

  it("recognizes natgw's object as nft -j lists it (values equal to nft's defaults left out), and nothing else", () => {
    // What nft 1.0.6 printed for such an object: last_ack 30 and time_wait 120 are its defaults.
    const listed = {
      protocol: 'tcp',
      l3proto: 'ip',
      policy: {
        syn_sent: 30,
        syn_recv: 30,
        established: 1200,
        fin_wait: 30,
        close_wait: 30,
        close: 30,
        syn_sent2: 30,
      },
    };
    const gcp = { tcpEstablished: 1200, tcpTransitory: 30, tcpTimeWait: 120, udp: 30 };
    expect(isNatgwTimeoutObject(listed, 'IPv4', 'tcp', gcp)).toBe(true);
    expect(isNatgwTimeoutObject(listed, 'IPv6', 'tcp', gcp)).toBe(false);
    expect(
      isNatgwTimeoutObject(
        { ...listed, policy: { ...listed.policy, established: 99 } },
        'IPv4',
        'tcp',
        gcp,
      ),
    ).toBe(false);
    expect(isNatgwTimeoutObject({ protocol: 'udp', l3proto: 'ip' }, 'IPv4', 'udp', gcp)).toBe(
      false, // replied would be the default 120, not 30
    );
    expect(
      isNatgwTimeoutObject(
        { protocol: 'udp', l3proto: 'ip', policy: { replied: 30 } },
        'IPv4',
        'udp',
        gcp,
      ),
    ).toBe(true);
  });

  it('adds a profile with its first user and deletes it with its last, in one change', () => {
    const before = [rule('a', '10.0.0.2'), rule('b', '10.0.0.3')];
    const after = [rule('a', '10.0.0.2', '777-20-60-45'), rule('b', '10.0.0.3')];
    const adding = renderNatChanges(before, after, 'natgw');
    expect(adding).toContain(addTimeoutProfile('natgw', 'IPv4', '777-20-60-45').join('\n'));
    expect(adding).toContain(
      'add element inet natgw timeouts4 { 10.0.0.2 : jump timeouts4-777-20-60-45 }',
    );
    // The chain exists before the element that jumps to it.
    expect(adding.indexOf('add chain')).toBeLessThan(
      adding.indexOf('add element inet natgw timeouts4'),
    );
    const removing = renderNatChanges(after, before, 'natgw');
    expect(removing).toContain('delete element inet natgw timeouts4 { 10.0.0.2 }');
    expect(removing).toContain(deleteTimeoutProfile('natgw', 'IPv4', '777-20-60-45').join('\n'));
    expect(removing.indexOf('delete element inet natgw timeouts4')).toBeLessThan(
      removing.indexOf('delete chain'),
    );
    expect(timeoutProfileKeys(after)).toEqual(new Set(['IPv4/777-20-60-45']));
    expect(renderNatChanges(after, after, 'natgw')).toBe('');
  });
});
