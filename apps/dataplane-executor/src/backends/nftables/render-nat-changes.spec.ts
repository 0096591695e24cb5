import { type NatRule, sortNatRules } from '@natgw/domain';
import { renderNatChanges } from './render-nat-changes';

const a: NatRule = {
  nicUid: 'a',
  gatewayUid: 'gw',
  family: 'IPv4',
  privateIp: '10.0.0.2',
  natIp: '203.0.113.1',
  port: 1024,
  endPort: 2047,
};
const b: NatRule = { ...a, nicUid: 'b', privateIp: '10.0.0.3', natIp: '203.0.113.2' };
const a6: NatRule = { ...a, family: 'IPv6', privateIp: 'fd00::2', natIp: '2001:db8::1' };
const b6: NatRule = { ...a6, nicUid: 'b', privateIp: 'fd00::3', port: 2048, endPort: 3071 };

describe('renderNatChanges', () => {
  it('is empty when nothing changes', () => {
    expect(renderNatChanges(sortNatRules([a, a6]), sortNatRules([a6, a]), 'natgw')).toBe('');
  });

  it('adds one NIC as elements only', () => {
    expect(renderNatChanges([a], sortNatRules([a, b]), 'natgw')).toBe(
      'add element inet natgw snat4 { 10.0.0.3 comment "nic=b gw=gw" : 203.0.113.2 . 1024-2047 }\n' +
        'add element inet natgw nics4 { 10.0.0.3 }\n' +
        'add element inet natgw natips4 { 203.0.113.2 }\n',
    );
  });

  it('moves a NIC to another slot by deleting and re-adding its element', () => {
    const moved = { ...a, port: 2048, endPort: 3071 };
    expect(renderNatChanges([a], [moved], 'natgw')).toBe(
      'delete element inet natgw snat4 { 10.0.0.2 }\n' +
        'add element inet natgw snat4 { 10.0.0.2 comment "nic=a gw=gw" : 203.0.113.1 . 2048-3071 }\n',
    );
  });

  it('drops an IPv6 range chain nobody uses after its last element, and creates new ones first', () => {
    expect(renderNatChanges([a6], [b6], 'natgw')).toBe(
      [
        'delete element inet natgw snat6 { fd00::2 }',
        'delete element inet natgw natip6 { fd00::2 }',
        'delete element inet natgw nics6 { fd00::2 }',
        'flush chain inet natgw snat6-1024-2047',
        'delete chain inet natgw snat6-1024-2047',
        'add chain inet natgw snat6-2048-3071',
        'add rule inet natgw snat6-2048-3071 meta l4proto { tcp, udp, ipv6-icmp } snat ip6 to ip6 saddr map @natip6 : 2048-3071',
        'add element inet natgw snat6 { fd00::3 comment "nic=b gw=gw" : jump snat6-2048-3071 }',
        'add element inet natgw natip6 { fd00::3 : 2001:db8::1 }',
        'add element inet natgw nics6 { fd00::3 }',
        '',
      ].join('\n'),
    );
  });
});
