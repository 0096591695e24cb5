import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import { InboxRetention, inboxRetention, pruneInbox } from '../consumer/inbox-pruner';
import { errorMessage } from '../logger';
import { JetStreamServer } from './jetstream.server';
import { MessagingModuleOptions } from './messaging-module-options';
import { JETSTREAM_MANAGER, MESSAGING_OPTIONS } from './messaging.tokens';
import { nestMessagingLogger } from './nest-messaging-logger';

const HOUR_MS = 3_600_000;

/** What one pruning pass did. */
export interface InboxPruneResult {
  retention: InboxRetention;
  consumers: string[];
  deleted: number;
}

/**
 * Prunes the inbox rows of this service's consumers (its @EventPattern consumers and
 * those registered with `register`) once an hour, keeping them longer than the stream
 * could redeliver their events (see inboxRetention). Runs only when `inboxRetentionMs`
 * is set.
 */
@Injectable()
export class InboxPruneHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = nestMessagingLogger('InboxPruner');
  private readonly extra = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    private readonly dataSource: DataSource,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    private readonly consumers: JetStreamServer,
  ) {}

  /** Adds a consumer this service runs outside @EventPattern (e.g. the executor's). */
  register(durable: string): void {
    this.extra.add(durable);
  }

  /** One pass: reads the stream's max age, then deletes what is safely old. */
  async pruneOnce(): Promise<InboxPruneResult> {
    const consumers = [...new Set([...this.consumers.all.map((c) => c.name), ...this.extra])];
    const info = await this.jsm.streams.info(this.options.streamName);
    const retention = inboxRetention(
      this.options.inboxRetentionMs ?? 0,
      info.config.max_age / 1_000_000,
    );
    if (!retention.prune) return { retention, consumers, deleted: 0 };
    const deleted = await pruneInbox(this.dataSource, consumers, retention.retentionMs);
    return { retention, consumers, deleted };
  }

  onApplicationBootstrap(): void {
    if (!this.options.inboxRetentionMs) return;
    const every = this.options.inboxPruneIntervalMs ?? HOUR_MS;
    let first = true;
    const tick = () => {
      this.running = this.pruneOnce().then(
        (r) => {
          if (!r.retention.prune) {
            if (first) this.logger.info({ reason: r.retention.reason }, 'inbox is not pruned');
          } else {
            if (first && r.retention.raised) {
              this.logger.warn(
                { retentionMs: r.retention.retentionMs },
                'INBOX_RETENTION_SECONDS is shorter than the stream max age plus a day: using that',
              );
            }
            if (r.deleted > 0) this.logger.info({ deleted: r.deleted }, 'inbox rows pruned');
          }
          first = false;
        },
        (err) => this.logger.warn({ err: errorMessage(err) }, 'inbox pruning failed'),
      );
      this.timer = setTimeout(tick, every);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, Math.min(every, 60_000));
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
