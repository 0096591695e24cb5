import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import type { EventStreamOptions } from '../nats/event-stream';
import type { NatsConnectionOptions } from '../nats/nats-connection';
import type { JetStreamRelayOptions } from '../relay/jetstream-relay';
import type { JetStreamEventExtras } from './jetstream-patterns';

/** Relay tuning for MessagingModule; stream, prefix and source come from the module options. */
export type MessagingRelayOptions = Partial<
  Pick<
    JetStreamRelayOptions,
    | 'batchSize'
    | 'pollIntervalMs'
    | 'lockRetryMs'
    | 'publishTimeoutMs'
    | 'retryBackoff'
    | 'databaseUrl'
  >
>;

/** The settings of MessagingModule, usually built from the service's validated config. */
export interface MessagingModuleOptions {
  /** NATS_URL and credentials; logs go to Nest's logger unless a logger is given. */
  nats: NatsConnectionOptions;
  /** `NATS_STREAM`, e.g. `NATGW_EVENTS`. */
  streamName: string;
  /** `NATS_SUBJECT_PREFIX`, e.g. `natgw`. */
  subjectPrefix: string;
  /** This service's CloudEvents source, e.g. `/natgw/allocator`. */
  source: string;
  /**
   * Create or update the event stream at start. Default true. When false, the
   * service waits for the stream to exist (its NATS user may only read it).
   */
  ensureStream?: boolean;
  stream?: EventStreamOptions;
  /**
   * Run a relay candidate in this process. Any number of processes may: a
   * PostgreSQL advisory lock lets exactly one publish. Default false.
   */
  relay?: boolean | MessagingRelayOptions;
  /**
   * Keep consumer inbox rows this long (at least the stream's max age plus a day; see
   * inboxRetention). Unset or 0: never prune.
   */
  inboxRetentionMs?: number;
  /** How often the inbox is pruned. Default 1 hour. */
  inboxPruneIntervalMs?: number;
  /** Defaults for every durable consumer (`@EventPattern` extras) of this service. */
  consumerDefaults?: Partial<Omit<JetStreamEventExtras, 'durable'>>;
}

/** MessagingModule.forRootAsync: options built from other providers (e.g. the config). */
export interface MessagingModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...args: never[]) => MessagingModuleOptions | Promise<MessagingModuleOptions>;
}
