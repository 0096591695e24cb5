import { compactableVersions, type VersionedEvent } from './compactable-events';

const slot = {
  gatewayUid: 'g',
  nicUid: 'a',
  nicName: 'vm',
  namespace: 'ns',
  privateIp: '10.0.0.1',
  ip: '192.0.2.1',
  port: 1024,
  endPort: 2047,
};
const run = (...events: Array<[string, Record<string, unknown>]>): VersionedEvent[] =>
  events.map(([type, data], i) => ({ version: i + 10, type, data }));

describe('compactableVersions', () => {
  it('drops a slot and an IP given back, and every Pending/Satisfied but the last', () => {
    const events = run(
      ['NATGatewayIPAssigned', { gatewayUid: 'g', ip: '192.0.2.1' }],
      ['NATSlotAssigned', slot],
      [
        'AllocationPending',
        { gatewayUid: 'g', waiting: 1, reason: 'QuotaExceeded', missingIps: 0 },
      ],
      ['NATSlotReleased', { ...slot, reason: 'NetworkInterfaceDeleted' }],
      ['AllocationSatisfied', { gatewayUid: 'g' }],
      ['NATGatewayIPReleased', { gatewayUid: 'g', ip: '192.0.2.1' }],
      ['AllocationSatisfied', { gatewayUid: 'g' }],
    );
    expect(compactableVersions('allocation', events)).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it('keeps a slot that replaced another one (its release leaves no slot behind only with both)', () => {
    const events = run(
      ['NATSlotAssigned', slot],
      ['NATSlotAssigned', { ...slot, port: 2048, endPort: 3071 }],
      ['NATSlotReleased', { ...slot, reason: 'NetworkInterfaceDeleted' }],
    );
    expect(compactableVersions('allocation', events)).toEqual([]);
  });

  it('keeps a slot that retired in between, and a stream that closed', () => {
    const retiring = { ...slot, deadline: '2026-01-01T00:00:00Z', reason: 'Drained' };
    expect(
      compactableVersions(
        'allocation',
        run(
          ['NATSlotAssigned', slot],
          ['NATSlotRetiring', retiring],
          ['NATSlotReleased', { ...slot, reason: 'NetworkInterfaceDeleted' }],
        ),
      ),
    ).toEqual([]);
    expect(
      compactableVersions(
        'allocation',
        run(
          ['NATSlotAssigned', slot],
          ['NATSlotReleased', { ...slot, reason: 'NetworkInterfaceDeleted' }],
          ['AllocationClosed', { gatewayUid: 'g', reason: 'GatewayDeleted' }],
        ),
      ),
    ).toEqual([]);
  });

  it('drops pool claims given back, in any spelling of the address, never prefixes', () => {
    const events = run(
      ['PublicPrefixAdded', { prefix: '2001:db8::/126' }],
      ['PublicIPClaimed', { ip: '2001:db8::1', gatewayUid: 'g' }],
      ['PublicIPClaimed', { ip: '2001:db8::2', gatewayUid: 'g' }],
      ['PublicIPReleased', { ip: '2001:0db8::1', gatewayUid: 'g' }],
    );
    expect(compactableVersions('ippool', events)).toEqual([11, 13]);
    expect(compactableVersions('ippool', run(['SomethingElse', {}]))).toEqual([]);
  });
});
