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

  it('refuses a default maximum above the cap', () => {
    const config = loadConfig(AllocatorConfig, {
      DEFAULT_MAX_PUBLIC_IPS: '100',
      MAX_PUBLIC_IPS_PER_GATEWAY: '64',
    });
    expect(() => AllocatorModule.forRoot(config)).toThrow(ConfigError);
    expect(() => AllocatorModule.forRoot(config)).toThrow(/MAX_PUBLIC_IPS_PER_GATEWAY 64/);
  });
});
