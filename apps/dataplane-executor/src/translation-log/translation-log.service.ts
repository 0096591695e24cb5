import { randomUUID } from 'node:crypto';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  type TranslationLogRecord,
  toTranslationLogCloudEvent,
  translationLogSubject,
} from '@natgw/contracts';
import type { NatRule } from '@natgw/domain';
import { NATS_CONNECTION } from '@natgw/messaging';
import { Metrics, NATGW_METRICS } from '@natgw/platform';
import { ALL_NODES } from '@natgw/projections';
import type { ConntrackEntry } from '../conntrack';
import { ExecutorConfig } from '../executor.config';
import { DataplaneService } from '../reconciler/dataplane.service';
import { SlotIndex } from '../usage/slot-index';
import { PortUsageService } from '../usage/port-usage.service';
import type { SlotUsage } from '../usage/usage-tracker';
import { exhaustionRecord } from './exhaustion-record';
import { ConntrackEventStream } from './conntrack-event-stream';
import { KeyedRateLimiter } from './rate-limiter';
import { translationRecord } from './translation-record';

/** How often the set of gateways with logging on this node is looked at. */
const SYNC_MS = 1_000;
/** How long after `conntrack -E` ended by itself it is started again (no tight restart loop). */
const RESTART_DELAY_MS = 10_000;

/**
 * Translation logs (issue 17.5): while a gateway with NICs on this node has spec.logging enabled,
 * reads conntrack's NEW and DESTROY events in DATAPLANE_NETNS (`conntrack -E`), turns those of
 * its NICs' translations into records, rate-limits them per gateway
 * (TRANSLATION_LOG_RATE_PER_SECOND) and publishes each as a CloudEvent on core NATS,
 * `<prefix>.translationlogs.<gateway uid>`. nftables backend only (the memory backend has no
 * conntrack). Best-effort like GCP's logs: nothing is retried or stored.
 */
@Injectable()
export class TranslationLogService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TranslationLog');
  private readonly node: string;
  private readonly limiter: KeyedRateLimiter;
  private readonly stream: ConntrackEventStream;
  private timer?: NodeJS.Timeout;
  private slots = new SlotIndex([]);
  private indexed?: readonly NatRule[];
  private wanted = false;
  private exitedAt = -Infinity;
  /** Records published and dropped by this process (for tests and logs). */
  published = 0;
  dropped = 0;

  constructor(
    private readonly config: ExecutorConfig,
    private readonly dataplane: DataplaneService,
    private readonly metrics: Metrics,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Optional() portUsage?: PortUsageService,
  ) {
    // Error records (ErrorsOnly, All): the exhaustion episodes the port-usage count finds.
    portUsage?.exhaustedListeners.push((slots, at) => this.onExhausted(slots, at));
    this.node = config.NODE_NAME ?? ALL_NODES;
    this.limiter = new KeyedRateLimiter(config.TRANSLATION_LOG_RATE_PER_SECOND);
    this.stream = new ConntrackEventStream(
      config.DATAPLANE_NETNS ? { netns: config.DATAPLANE_NETNS } : {},
      (entry) => this.onEntry(entry),
      (reason) => this.onExit(reason),
    );
  }

  get enabled(): boolean {
    return this.config.DATAPLANE_BACKEND === 'nftables';
  }

  /** Whether `conntrack -E` is running (some gateway on the node logs). */
  get reading(): boolean {
    return this.stream.running;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.sync(), SYNC_MS);
    this.timer.unref();
    this.sync();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.wanted = false;
    await this.stream.stop();
  }

  /** Starts or stops the reader as gateways turn logging on or off, and re-indexes the slots. */
  sync(): void {
    const gateways = this.dataplane.reconciler.desiredGateways;
    const logging = new Set(
      Object.entries(gateways)
        .filter(([, g]) => g.logging?.enabled === true)
        .map(([uid]) => uid),
    );
    this.limiter.retain(logging);
    this.wanted = logging.size > 0;
    const restartDue = Date.now() - this.exitedAt >= RESTART_DELAY_MS;
    if (this.wanted && !this.stream.running && restartDue) this.stream.start();
    if (!this.wanted && this.stream.running) void this.stream.stop();
  }

  private slotIndex(): SlotIndex {
    const rules = this.dataplane.reconciler.programmedRules;
    if (rules !== this.indexed) {
      this.slots = new SlotIndex(rules);
      this.indexed = rules;
    }
    return this.slots;
  }

  private onEntry(entry: ConntrackEntry): void {
    const gateways = this.dataplane.reconciler.desiredGateways;
    const record = translationRecord(entry, this.slotIndex(), gateways, this.node);
    if (record) this.publish(record);
  }

  /** Publishes the Error record of each slot that became exhausted (gateways that log errors). */
  onExhausted(slots: readonly SlotUsage[], at: number): void {
    const gateways = this.dataplane.reconciler.desiredGateways;
    for (const usage of slots) {
      const record = exhaustionRecord(usage, gateways, this.node, at);
      if (record) this.publish(record);
    }
  }

  private publish(record: TranslationLogRecord): void {
    const labels = {
      namespace: record.gateway.namespace ?? '',
      gateway: record.gateway.name ?? record.gateway.uid,
    };
    if (!this.limiter.take(record.gateway.uid, Date.now())) {
      this.dropped += 1;
      this.metrics
        .counter(NATGW_METRICS.translationLogsDropped)
        .inc({ ...labels, reason: 'rate_limit' });
      return;
    }
    try {
      const event = toTranslationLogCloudEvent(randomUUID(), record);
      this.nc.publish(
        translationLogSubject(this.config.NATS_SUBJECT_PREFIX, record.gateway.uid),
        JSON.stringify(event),
      );
      this.published += 1;
      this.metrics.counter(NATGW_METRICS.translationLogsPublished).inc(labels);
    } catch (error) {
      this.dropped += 1;
      this.metrics
        .counter(NATGW_METRICS.translationLogsDropped)
        .inc({ ...labels, reason: 'publish_failed' });
      this.logger.warn(`translation record not published: ${(error as Error).message}`);
    }
  }

  private onExit(reason: string): void {
    this.exitedAt = Date.now();
    this.logger.warn(
      `conntrack -E stopped: ${reason}; translation logs resume within ${RESTART_DELAY_MS / 1000}s`,
    );
  }
}
