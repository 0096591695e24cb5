import { BaseConfig } from './base-config';
import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('applies defaults when variables are unset', () => {
    const c = loadConfig(BaseConfig, {});
    expect(c.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/natgw');
    expect(c.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(c.NATS_STREAM).toBe('NATGW_EVENTS');
    expect(c.NATS_SUBJECT_PREFIX).toBe('natgw');
    expect(c.DATABASE_POOL_SIZE).toBe(10);
  });

  it('converts numbers and ignores unrelated variables', () => {
    const c = loadConfig(BaseConfig, { DATABASE_POOL_SIZE: '4', HOME: '/root' });
    expect(c.DATABASE_POOL_SIZE).toBe(4);
    expect((c as unknown as Record<string, unknown>).HOME).toBeUndefined();
  });

  it('names every bad variable and the rule it broke', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(BaseConfig, {
        DATABASE_URL: 'mysql://x',
        NATS_URL: 'http://nats',
        NATS_SUBJECT_PREFIX: 'a..b',
        DATABASE_POOL_SIZE: 'many',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('DATABASE_URL must be a postgres://');
    expect(error!.message).toContain('NATS_URL must be one or more');
    expect(error!.message).toContain('NATS_SUBJECT_PREFIX must be dot-separated');
    expect(error!.message).toContain('DATABASE_POOL_SIZE must be an integer');
  });
});
