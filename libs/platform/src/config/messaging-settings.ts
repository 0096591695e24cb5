import { BaseConfig } from './base-config';

/**
 * The bus settings every service builds its MessagingModule options from: NATS
 * servers and credentials, the JetStream stream and the subject prefix.
 */
export function messagingSettings(config: BaseConfig, service: string) {
  return {
    nats: {
      servers: config.NATS_URL,
      name: `natgw-${service}`,
      ...(config.NATS_USER ? { user: config.NATS_USER } : {}),
      ...(config.NATS_PASSWORD ? { password: config.NATS_PASSWORD } : {}),
      ...(config.NATS_TOKEN ? { token: config.NATS_TOKEN } : {}),
      ...(config.NATS_CREDS_FILE ? { credsFile: config.NATS_CREDS_FILE } : {}),
    },
    streamName: config.NATS_STREAM,
    subjectPrefix: config.NATS_SUBJECT_PREFIX,
    source: `/natgw/${service}`,
  };
}
