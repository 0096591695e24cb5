import { DynamicModule, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { jetstream, JetStreamClient, jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { awaitEventStream, ensureEventStream } from '../nats/event-stream';
import { connectNats } from '../nats/nats-connection';
import { InboxPruneHost } from './inbox-prune-host';
import { JetStreamServer } from './jetstream.server';
import { MessagingHealth } from './messaging-health';
import { MessagingLag } from './messaging-lag';
import { MessagingModuleAsyncOptions, MessagingModuleOptions } from './messaging-module-options';
import {
  JETSTREAM_CLIENT,
  JETSTREAM_MANAGER,
  MESSAGING_OPTIONS,
  NATS_CONNECTION,
} from './messaging.tokens';
import { NatsRequestClient } from './nats-request.client';
import { nestMessagingLogger } from './nest-messaging-logger';
import { RelayHost } from './relay-host';

const SHARED_PROVIDERS: Provider[] = [
  {
    provide: NATS_CONNECTION,
    inject: [MESSAGING_OPTIONS],
    useFactory: (options: MessagingModuleOptions) =>
      connectNats({ logger: nestMessagingLogger('NATS'), ...options.nats }),
  },
  {
    provide: JETSTREAM_MANAGER,
    inject: [NATS_CONNECTION, MESSAGING_OPTIONS],
    useFactory: async (
      nc: NatsConnection,
      options: MessagingModuleOptions,
    ): Promise<JetStreamManager> => {
      const jsm = await jetstreamManager(nc);
      if (options.ensureStream !== false) {
        const logger = nestMessagingLogger('NATS');
        await ensureEventStream(jsm, options.streamName, options.subjectPrefix, {
          onDifference: (differences) => {
            for (const d of differences) {
              logger.warn(
                {
                  stream: options.streamName,
                  setting: d.setting,
                  kept: d.stream,
                  configured: d.config,
                },
                `the event stream's ${d.setting} differs from the configuration; the stream's value is kept (change it with nats stream edit, see docs/operations.md)`,
              );
            }
          },
          ...options.stream,
        });
      } else {
        const logger = nestMessagingLogger('NATS');
        await awaitEventStream(jsm, options.streamName, {
          onWait: () =>
            logger.warn(
              { stream: options.streamName },
              'waiting for the event stream: this service does not create it (NATS_ENSURE_STREAM=false)',
            ),
        });
      }
      return jsm;
    },
  },
  {
    provide: JETSTREAM_CLIENT,
    // After the manager: the stream exists before anyone publishes or consumes.
    inject: [NATS_CONNECTION, JETSTREAM_MANAGER],
    useFactory: (nc: NatsConnection): JetStreamClient => jetstream(nc),
  },
  JetStreamServer,
  NatsRequestClient,
  RelayHost,
  InboxPruneHost,
  MessagingHealth,
  MessagingLag,
];

const EXPORTS = [
  NatsRequestClient,
  NATS_CONNECTION,
  JETSTREAM_CLIENT,
  JETSTREAM_MANAGER,
  JetStreamServer,
  RelayHost,
  InboxPruneHost,
  MessagingHealth,
  MessagingLag,
];

/**
 * NATS, the event stream, the JetStream transport for this service's @EventPattern and
 * @MessagePattern handlers (start it with startJetStreamTransport) and (optionally)
 * a relay candidate, as Nest providers. Needs EventStoreModule (DataSource,
 * PostgresEventStore, LogNotifier) and MESSAGING_MIGRATIONS among its migrations.
 */
@Module({})
export class MessagingModule {
  /** The module with fixed options. */
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [{ provide: MESSAGING_OPTIONS, useValue: options }, ...SHARED_PROVIDERS],
      exports: EXPORTS,
    };
  }

  /** The module with options built from other providers, e.g. the service config. */
  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        {
          provide: MESSAGING_OPTIONS,
          inject: options.inject ?? [],
          useFactory: options.useFactory,
        },
        ...SHARED_PROVIDERS,
      ],
      exports: EXPORTS,
    };
  }
}
