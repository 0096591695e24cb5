import { BaseConfig } from './base-config';

/**
 * The bus settings every service builds its MessagingModule options from: NATS
 * servers, credentials and TLS files, the JetStream stream and the subject prefix.
 */
export function messagingSettings(config: BaseConfig, service: string) {
  const tlsFiles = {
    ...(config.NATS_TLS_CA_FILE ? { caFile: config.NATS_TLS_CA_FILE } : {}),
    ...(config.NATS_TLS_CERT_FILE ? { certFile: config.NATS_TLS_CERT_FILE } : {}),
    ...(config.NATS_TLS_KEY_FILE ? { keyFile: config.NATS_TLS_KEY_FILE } : {}),
  };
  const tls = Object.keys(tlsFiles).length > 0 ? tlsFiles : undefined;
  return {
    nats: {
      servers: config.NATS_URL,
      name: `natgw-${service}`,
      ...(config.NATS_USER ? { user: config.NATS_USER } : {}),
      ...(config.NATS_PASSWORD ? { password: config.NATS_PASSWORD } : {}),
      ...(config.NATS_TOKEN ? { token: config.NATS_TOKEN } : {}),
      ...(config.NATS_CREDS_FILE ? { credsFile: config.NATS_CREDS_FILE } : {}),
      ...(config.NATS_NKEY_SEED_FILE ? { nkeySeedFile: config.NATS_NKEY_SEED_FILE } : {}),
      ...(tls ? { tls } : {}),
      // Replies come to `_INBOX.natgw-<service>.>`: deploy/nats/nats-server.conf lets each
      // service user subscribe to its own replies only.
      inboxPrefix: `_INBOX.natgw-${service}`,
    },
    streamName: config.NATS_STREAM,
    subjectPrefix: config.NATS_SUBJECT_PREFIX,
    stream: {
      replicas: config.NATS_STREAM_REPLICAS,
      maxAgeMs: config.NATS_STREAM_MAX_AGE_SECONDS * 1000,
      maxBytes: config.NATS_STREAM_MAX_BYTES,
      maxMessages: config.NATS_STREAM_MAX_MESSAGES,
    },
    consumerDefaults: { inactiveThresholdMs: config.NATS_CONSUMER_INACTIVE_SECONDS * 1000 },
    inboxRetentionMs: config.INBOX_RETENTION_SECONDS * 1000,
    source: `/natgw/${service}`,
    relay: config.NATS_RELAY === 'true' ? { databaseUrl: sessionUrl(config) } : false,
    ensureStream: config.NATS_ENSURE_STREAM === 'true',
  };
}

/** The URL of a direct database session (LISTEN, advisory locks): DATABASE_SESSION_URL or DATABASE_URL. */
export function sessionUrl(config: BaseConfig): string {
  return config.DATABASE_SESSION_URL ?? config.DATABASE_URL;
}
