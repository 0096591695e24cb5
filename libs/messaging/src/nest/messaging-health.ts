import { Inject, Injectable, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { ReadinessRegistry } from '@natgw/platform';
import type { ConsumerStats } from '../consumer/durable-event-consumer';
import { NatsConnectionWatch } from '../nats/nats-connection';
import { JetStreamServer } from './jetstream.server';
import { NATS_CONNECTION } from './messaging.tokens';
import { RelayHost } from './relay-host';

/** A snapshot of the messaging side of a service, for /readyz and metrics. */
export interface MessagingStatus {
  natsConnected: boolean;
  consumersRunning: boolean;
  consumers: Array<{ durable: string; consuming: boolean; stats: ConsumerStats }>;
  relay?: { running: boolean; leader: boolean; published: number; failures: number };
}

/**
 * Readiness of NATS and the consumers; registers `nats` and `consumers` checks
 * with the platform's ReadinessRegistry when the service has one. Closes the
 * NATS connection last, after consumers and relay have stopped.
 */
@Injectable()
export class MessagingHealth implements OnModuleInit, OnApplicationShutdown {
  private readonly watch: NatsConnectionWatch;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly consumers: JetStreamServer,
    private readonly relays: RelayHost,
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {
    this.watch = new NatsConnectionWatch(nc);
  }

  /** True while NATS is connected. */
  get natsConnected(): boolean {
    return this.watch.connected;
  }

  /** NATS connection, consumers and relay in one object. */
  status(): MessagingStatus {
    const relay = this.relays.relay;
    return {
      natsConnected: this.natsConnected,
      consumersRunning: this.consumers.ready,
      consumers: this.consumers.all.map((c) => ({
        durable: c.name,
        consuming: c.isConsuming,
        stats: c.stats,
      })),
      relay: relay && {
        running: relay.isRunning,
        leader: relay.isLeader,
        published: relay.published,
        failures: relay.failures,
      },
    };
  }

  onModuleInit(): void {
    this.readiness?.register('nats', () => this.natsConnected);
    this.readiness?.register('consumers', () => this.consumers.ready);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}
