import { BaseConfig } from './base-config';
import { ConfigError, loadConfig } from './load-config';
import { messagingSettings, sessionUrl } from './messaging-settings';

describe('cluster, retention and session settings', () => {
  it('accepts a NATS_URL list (a cluster) and hands every server to the client', () => {
    const c = loadConfig(BaseConfig, {
      NATS_URL: 'nats://n1:4222,nats://n2:4222,tls://n3:4222',
    });
    expect(messagingSettings(c, 'allocator').nats.servers).toBe(
      'nats://n1:4222,nats://n2:4222,tls://n3:4222',
    );
  });

  it('turns the stream limits and retention into the messaging options, in ms', () => {
    const c = loadConfig(BaseConfig, {
      NATS_STREAM_REPLICAS: '3',
      NATS_STREAM_MAX_AGE_SECONDS: '604800',
      NATS_STREAM_MAX_BYTES: '1073741824',
      NATS_STREAM_MAX_MESSAGES: '1000000',
      NATS_CONSUMER_INACTIVE_SECONDS: '3600',
      INBOX_RETENTION_SECONDS: '1209600',
    });
    const s = messagingSettings(c, 'allocator');
    expect(s.stream).toEqual({
      replicas: 3,
      maxAgeMs: 604_800_000,
      maxBytes: 1_073_741_824,
      maxMessages: 1_000_000,
    });
    expect(s.consumerDefaults).toEqual({ inactiveThresholdMs: 3_600_000 });
    expect(s.inboxRetentionMs).toBe(1_209_600_000);
  });

  it('defaults to a 30-day stream, 1-day consumer expiry and 45-day inbox', () => {
    const s = messagingSettings(loadConfig(BaseConfig, {}), 'api-gateway');
    expect(s.stream.maxAgeMs).toBe(30 * 86_400_000);
    expect(s.consumerDefaults.inactiveThresholdMs).toBe(86_400_000);
    expect(s.inboxRetentionMs).toBe(45 * 86_400_000);
  });

  it('takes LISTEN and the relay lock to DATABASE_SESSION_URL when set, else DATABASE_URL', () => {
    const pooled = loadConfig(BaseConfig, {
      DATABASE_URL: 'postgres://u@pgbouncer:6432/natgw',
      DATABASE_SESSION_URL: 'postgres://u@pg-rw:5432/natgw',
    });
    expect(sessionUrl(pooled)).toBe('postgres://u@pg-rw:5432/natgw');
    expect(messagingSettings(pooled, 'allocator').relay).toEqual({
      databaseUrl: 'postgres://u@pg-rw:5432/natgw',
    });
    const direct = loadConfig(BaseConfig, { DATABASE_URL: 'postgres://u@pg:5432/natgw' });
    expect(sessionUrl(direct)).toBe('postgres://u@pg:5432/natgw');
    expect(messagingSettings(direct, 'x').relay).toEqual({
      databaseUrl: 'postgres://u@pg:5432/natgw',
    });
    expect(messagingSettings(loadConfig(BaseConfig, { NATS_RELAY: 'false' }), 'x').relay).toBe(
      false,
    );
  });

  it('names each bad value and its rule', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(BaseConfig, {
        DATABASE_SESSION_URL: 'mysql://x',
        NATS_STREAM_MAX_AGE_SECONDS: '-5',
        NATS_STREAM_MAX_BYTES: '-2',
        NATS_STREAM_MAX_MESSAGES: 'lots',
        NATS_CONSUMER_INACTIVE_SECONDS: '1.5',
        INBOX_RETENTION_SECONDS: '-1',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      'DATABASE_SESSION_URL must be a postgres:// or postgresql:// URL',
      'NATS_STREAM_MAX_AGE_SECONDS must be 0 (no limit) or more',
      'NATS_STREAM_MAX_BYTES must be -1 (no limit) or more',
      'NATS_STREAM_MAX_MESSAGES must be an integer',
      'NATS_CONSUMER_INACTIVE_SECONDS must be an integer',
      'INBOX_RETENTION_SECONDS must be 0 (never prune) or more',
    ]);
  });
});
