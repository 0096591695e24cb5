import type { GatewayNatTable } from '../allocation';
import { natRulesForNode } from './nat-rules-for-node';

const table: GatewayNatTable = {
  ips: [
    {
      ip: '203.0.113.1',
      sections: [
        {
          ip: '10.0.0.2',
          port: 1024,
          endPort: 2047,
          targetRef: { uid: 'a', name: 'nic-a', nodeName: 'node-a' },
        },
        {
          ip: '10.0.0.3',
          port: 2048,
          endPort: 3071,
          targetRef: { uid: 'b', name: 'nic-b', nodeName: 'node-b' },
        },
        { ip: '10.0.0.4', port: 3072, endPort: 4095, targetRef: { uid: 'c', name: 'nic-c' } },
      ],
    },
    { ip: '203.0.113.2', sections: [] },
  ],
};

describe('natRulesForNode', () => {
  it('keeps only the NICs on the node', () => {
    expect(natRulesForNode('gw', table, 'node-b')).toEqual([
      {
        nicUid: 'b',
        nicName: 'nic-b',
        gatewayUid: 'gw',
        family: 'IPv4',
        privateIp: '10.0.0.3',
        natIp: '203.0.113.1',
        port: 2048,
        endPort: 3071,
      },
    ]);
  });

  it('keeps every NIC in single-node mode', () => {
    expect(natRulesForNode('gw', table).map((r) => r.nicUid)).toEqual(['a', 'b', 'c']);
  });

  it('takes the family from the NAT IP', () => {
    const v6: GatewayNatTable = {
      ips: [
        {
          ip: '2001:db8::1',
          sections: [
            { ip: 'fd00::2', port: 1024, endPort: 2047, targetRef: { uid: 'a', name: 'a' } },
          ],
        },
      ],
    };
    expect(natRulesForNode('gw', v6)[0]?.family).toBe('IPv6');
  });
});
