import { createDataplaneBackend, parseUplinks } from './create-dataplane-backend';
import { MemoryBackend } from './memory/memory-backend';
import { NftablesBackend, NftablesConfigError } from './nftables/nftables-backend';

describe('createDataplaneBackend', () => {
  it('builds the memory backend', () => {
    expect(createDataplaneBackend({ backend: 'memory' })).toBeInstanceOf(MemoryBackend);
  });

  it('builds the nftables backend from DATAPLANE_* values', () => {
    const backend = createDataplaneBackend({
      backend: 'nftables',
      netns: 'gw',
      uplinks: parseUplinks(' eth0, eth1 ,'),
    });
    expect(backend).toBeInstanceOf(NftablesBackend);
    expect((backend as NftablesBackend).uplinks).toEqual(['eth0', 'eth1']);
    expect((backend as NftablesBackend).target).toBe('table inet natgw (netns gw)');
  });

  it('refuses nftables without an uplink, naming the variable', () => {
    expect(() =>
      createDataplaneBackend({ backend: 'nftables', uplinks: parseUplinks(undefined) }),
    ).toThrow(new NftablesConfigError('DATAPLANE_UPLINK must name at least one interface'));
  });
});
