import type { NATGateway, NetworkInterface } from '@natgw/contracts';
import { busiestSlots } from './port-usage';

const gateway = { metadata: { namespace: 'default', name: 'gw' } } as NATGateway;
const nic = (name: string, nat: Array<Record<string, unknown>>, namespace = 'default') =>
  ({ metadata: { name, namespace }, status: { nat } }) as unknown as NetworkInterface;
const slot = (port: number, extra: Record<string, unknown>, gw = 'gw') => ({
  ipFamily: 'IPv4',
  natGatewayRef: { name: gw },
  ip: '203.0.113.1',
  port,
  endPort: port + 63,
  ...extra,
});

describe('busiestSlots', () => {
  it('lists the reported slots of the gateway, busiest share first', () => {
    const rows = busiestSlots(gateway, [
      nic('a', [slot(1024, { inUse: 3, peak: 10, exhausted: false })]),
      nic('b', [slot(1088, { inUse: 64, peak: 64, exhausted: true })]),
      nic('c', [slot(1152, {})]), // not reported yet
      nic('d', [slot(1216, { inUse: 60, peak: 60 }, 'other')]),
      nic('e', [slot(1280, { inUse: 60, peak: 60 })], 'elsewhere'),
    ]);
    expect(rows).toEqual([
      { nic: 'b', slot: '203.0.113.1:1088-1151', inUse: 64, peak: 64, size: 64, exhausted: true },
      { nic: 'a', slot: '203.0.113.1:1024-1087', inUse: 3, peak: 10, size: 64, exhausted: false },
    ]);
    expect(busiestSlots(gateway, [nic('a', [slot(1024, { inUse: 1 })])], 0)).toEqual([]);
  });
});
