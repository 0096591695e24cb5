import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import { fromCloudEvent } from '@natgw/contracts';
import { PostgresEventStore } from '@natgw/event-store';
import { Metrics } from '@natgw/platform';
import { relayCheckpointName } from '../relay/jetstream-relay';
import { JetStreamServer } from './jetstream.server';
import { MessagingModuleOptions } from './messaging-module-options';
import { JETSTREAM_MANAGER, MESSAGING_OPTIONS } from './messaging.tokens';
import { RelayHost } from './relay-host';

/** How often lag is measured. */
export const LAG_INTERVAL_MS = 10_000;

/**
 * Measures how far the relay (the leader only) and this service's consumers are
 * behind, in events and in seconds (the age of the oldest event not yet handled),
 * for the relay and consumer lag metrics and their alerts.
 */
@Injectable()
export class MessagingLag implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MessagingLag');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly relays: RelayHost,
    private readonly consumers: JetStreamServer,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.metrics) return;
    this.timer = setInterval(() => void this.collect(), LAG_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Measures once (also used by tests). */
  async collect(): Promise<void> {
    const metrics = this.metrics;
    if (!metrics) return;
    try {
      const relay = this.relays.relay;
      if (relay?.isLeader) {
        const checkpoint = await this.store.loadCheckpoint(
          relayCheckpointName(this.options.streamName),
        );
        const rows: Array<{ n: string; age: number | null }> = await this.dataSource.query(
          `SELECT count(*)::text AS n, extract(epoch FROM now() - min(recorded_at))::float8 AS age
             FROM natgw_events WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)`,
          [checkpoint.transactionId, checkpoint.globalPosition],
        );
        metrics.relayLagEvents.set(Number(rows[0].n));
        metrics.relayLagSeconds.set(Math.max(0, rows[0].age ?? 0));
      }
      for (const consumer of this.consumers.all) {
        const info = await this.jsm.consumers.info(this.options.streamName, consumer.name);
        const pending = info.num_pending + info.num_ack_pending;
        metrics.consumerLagEvents.set({ consumer: consumer.name }, pending);
        let age = 0;
        if (pending > 0) {
          const oldest = await this.jsm.streams.getMessage(this.options.streamName, {
            seq: info.ack_floor.stream_seq + 1,
          });
          if (oldest) age = (Date.now() - fromCloudEvent(oldest.data).recordedAt.getTime()) / 1000;
        }
        metrics.consumerLagSeconds.set({ consumer: consumer.name }, Math.max(0, age));
      }
    } catch (err) {
      this.logger.debug?.(`lag not measured: ${(err as Error).message}`);
    }
  }
}
