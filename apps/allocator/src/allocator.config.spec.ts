import { ConfigError, loadConfig } from '@natgw/platform';
import { AllocatorConfig } from './allocator.config';
import { AllocatorModule } from './allocator.module';

describe('AllocatorConfig', () => {
  it('caps the public IPs of a gateway at 64 by default, configurable from 1 to 1024', () => {
    expect(loadConfig(AllocatorConfig, {}).MAX_PUBLIC_IPS_PER_GATEWAY).toBe(64);
    expect(
      loadConfig(AllocatorConfig, { MAX_PUBLIC_IPS_PER_GATEWAY: '128' }).MAX_PUBLIC_IPS_PER_GATEWAY,
    ).toBe(128);
    for (const value of ['0', '1025', 'x']) {
      expect(() => loadConfig(AllocatorConfig, { MAX_PUBLIC_IPS_PER_GATEWAY: value })).toThrow(
        /MAX_PUBLIC_IPS_PER_GATEWAY/,
      );
    }
  });

  it('snapshots pool and allocation streams every 500 events by default, 0 (none) to 1000000', () => {
    expect(loadConfig(AllocatorConfig, {}).ALLOCATOR_SNAPSHOT_EVERY).toBe(500);
    expect(
      loadConfig(AllocatorConfig, { ALLOCATOR_SNAPSHOT_EVERY: '0' }).ALLOCATOR_SNAPSHOT_EVERY,
    ).toBe(0);
    expect(
      loadConfig(AllocatorConfig, { ALLOCATOR_SNAPSHOT_EVERY: '1000000' }).ALLOCATOR_SNAPSHOT_EVERY,
    ).toBe(1_000_000);
    for (const value of ['-1', '1000001', '2.5', 'often']) {
      expect(() => loadConfig(AllocatorConfig, { ALLOCATOR_SNAPSHOT_EVERY: value })).toThrow(
        /ALLOCATOR_SNAPSHOT_EVERY must be/,
      );
    }
  });

  it('refuses a default maximum above the cap', () => {
    const config = loadConfig(AllocatorConfig, {
      DEFAULT_MAX_PUBLIC_IPS: '100',
      MAX_PUBLIC_IPS_PER_GATEWAY: '64',
    });
    expect(() => AllocatorModule.forRoot(config)).toThrow(ConfigError);
    expect(() => AllocatorModule.forRoot(config)).toThrow(/MAX_PUBLIC_IPS_PER_GATEWAY 64/);
  });
});
