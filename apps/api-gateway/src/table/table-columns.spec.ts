import { RESOURCE_COLUMNS, TableSource } from './table-columns';

const NOW = new Date('2026-12-07T18:00:00Z');
const cell = (kind: 'NATGateway' | 'NetworkInterface', name: string, o: TableSource) => {
  const column = RESOURCE_COLUMNS[kind].find((c) => c.name === name);
  if (!column) throw new Error(`no column ${name}`);
  return column.cell(o, NOW);
};

describe('port-usage columns (kubectl get -o wide)', () => {
  it('show a gateway NICs near and at exhaustion, and the extra IPs needed', () => {
    const o = {
      metadata: { name: 'gw' },
      status: { portUsage: { nearExhaustion: 3, exhausted: 1 }, minExtraPublicIPsNeeded: 2 },
    };
    expect(cell('NATGateway', 'Ports Near/Exhausted', o)).toBe('3/1');
    expect(cell('NATGateway', 'Extra IPs Needed', o)).toBe(2);
    expect(cell('NATGateway', 'Ports Near/Exhausted', { metadata: {}, status: {} })).toBe('0/0');
    expect(cell('NATGateway', 'Extra IPs Needed', { metadata: {}, status: {} })).toBe(0);
  });

  it('show a NIC slot in use / peak / size, marking an exhausted slot', () => {
    const o = {
      metadata: { name: 'web-1' },
      status: {
        nat: [
          { ip: '203.0.113.1', port: 1024, endPort: 1087, inUse: 64, peak: 64, exhausted: true },
          { ip: '2001:db8::1', port: 1024, endPort: 2047, inUse: 3, peak: 10, exhausted: false },
          { ip: '203.0.113.2', port: 1024, endPort: 1087 },
        ],
      },
    };
    expect(cell('NetworkInterface', 'Ports Used/Peak', o)).toBe('64/64/64!,3/10/1024');
    expect(cell('NetworkInterface', 'Ports Used/Peak', { metadata: {}, status: { nat: [] } })).toBe(
      '<none>',
    );
  });
});
