import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import type { JetStreamClient } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import { LogNotifier, PostgresEventStore } from '@natgw/event-store';
import { Metrics } from '@natgw/platform';
import { JetStreamRelay } from '../relay/jetstream-relay';
import { MessagingModuleOptions } from './messaging-module-options';
import { JETSTREAM_CLIENT, MESSAGING_OPTIONS } from './messaging.tokens';
import { nestMessagingLogger } from './nest-messaging-logger';

/** Runs this process's relay candidate (when `relay` is enabled) for as long as the app lives. */
@Injectable()
export class RelayHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** The relay, or undefined when this service runs none. */
  readonly relay?: JetStreamRelay;

  constructor(
    @Inject(MESSAGING_OPTIONS) options: MessagingModuleOptions,
    dataSource: DataSource,
    store: PostgresEventStore,
    @Inject(JETSTREAM_CLIENT) js: JetStreamClient,
    @Optional() notifier?: LogNotifier,
    @Optional() metrics?: Metrics,
  ) {
    if (!options.relay) return;
    const tuning = options.relay === true ? {} : options.relay;
    const databaseUrl = tuning.databaseUrl ?? (dataSource.options as { url?: string }).url;
    if (!databaseUrl) {
      throw new Error('MessagingModule relay: set relay.databaseUrl (the DataSource has no url)');
    }
    this.relay = new JetStreamRelay(
      { dataSource, store, js, notifier },
      {
        ...tuning,
        databaseUrl,
        streamName: options.streamName,
        subjectPrefix: options.subjectPrefix,
        source: options.source,
        logger: nestMessagingLogger('JetStreamRelay'),
        onPublished: (events) => {
          for (const e of events) metrics?.eventsPublished.inc({ event_type: e.type });
        },
      },
    );
  }

  onApplicationBootstrap(): void {
    this.relay?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }
}
