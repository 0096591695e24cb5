import type { NATGateway, NetworkInterface } from '@natgw/contracts';
import { waitingNics } from './waiting-nics';

const gateway = {
  metadata: { name: 'gw', namespace: 'default' },
  spec: { ipFamily: 'IPv4', networkRef: { name: 'net' } },
} as unknown as NATGateway;

const nic = (name: string, extra: Record<string, unknown> = {}, status?: unknown) =>
  ({
    metadata: { name, namespace: 'default', ...((extra.metadata as object) ?? {}) },
    spec: { networkRef: { name: 'net' }, ips: ['10.0.0.1'], ...extra },
    ...(status ? { status } : {}),
  }) as unknown as NetworkInterface;

describe('waitingNics', () => {
  it('lists the eligible NICs of the network that hold no slot of the gateway', () => {
    const nics = [
      nic('waits'),
      nic(
        'served',
        {},
        {
          nat: [
            {
              ipFamily: 'IPv4',
              natGatewayRef: { name: 'gw' },
              ip: '203.0.113.1',
              port: 1024,
              endPort: 1087,
            },
          ],
        },
      ),
      nic('other-net', { networkRef: { name: 'net-2' } }),
      nic('v6-only', { ips: ['fd00::1'] }),
      nic('own-ip', { virtualIP: { ip: '198.51.100.1' } }),
      nic('leaving', { metadata: { deletionTimestamp: '2026-12-07T00:00:00Z' } }),
    ];
    expect(waitingNics(gateway, nics).map((n) => n.metadata.name)).toEqual(['waits']);
  });
});
