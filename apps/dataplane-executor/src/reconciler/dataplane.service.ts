import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import type { RecordedEvent } from '@natgw/contracts';
import { ALLOCATION_EVENT_TYPES } from '@natgw/domain';
import { checkpointOf, PostgresEventStore, ProjectionHost } from '@natgw/event-store';
import {
  DurableEventConsumer,
  InboxPruneHost,
  JETSTREAM_CLIENT,
  JETSTREAM_MANAGER,
  nestMessagingLogger,
} from '@natgw/messaging';
import { Metrics } from '@natgw/platform';
import { ALL_NODES, NAT_SLOTS_PROJECTION_NAME } from '@natgw/projections';
import { createDataplaneBackend, DataplaneBackend, parseUplinks } from '../backends';
import { ExecutorConfig } from '../executor.config';
import { DataplaneReconciler, dataplaneStreamId } from './dataplane-reconciler';
import { ReconcileLoop } from './reconcile-loop';
import { AllocationPassTrigger } from './allocation-pass-trigger';
import { ConntrackFlusher, type ReleasedRetiringSlot } from '../drain/conntrack-flush';

/**
 * The reason of a pass asked for once the nat-slots projection included the events that
 * asked for it: such a pass does not catch the projection up first.
 */
const EVENT_REASON = 'event';

/** The durable consumer name of one node's executor. */
export function executorDurable(node: string): string {
  return `dataplane-executor-${node === ALL_NODES ? 'all-nodes' : node.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * This node's dataplane: a full resync at start, a pass after every allocation
 * event (once the nat-slots projection has it), and one every
 * RECONCILE_INTERVAL_SECONDS. Failures retry with backoff and never crash.
 * An event's pass starts as soon as this process's nat-slots runner applied it (see
 * AllocationPassTrigger).
 */
@Injectable()
export class DataplaneService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Dataplane');
  readonly backend: DataplaneBackend;
  readonly reconciler: DataplaneReconciler;
  readonly loop: ReconcileLoop;
  private consumer?: DurableEventConsumer;
  private unsubscribeApplied?: () => void;
  private readonly trigger: AllocationPassTrigger;
  private rejectedRules = 0;
  /** The NATGateway objects' version: their spec.timeouts and spec.logging are in the table. */
  private gatewaysVersion = '';
  /** Drain: deletes a released retiring slot's connections (nftables only: memory has none). */
  private readonly flusher?: ConntrackFlusher;
  started = false;

  constructor(
    private readonly config: ExecutorConfig,
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly projections: ProjectionHost,
    private readonly metrics: Metrics,
    @Inject(JETSTREAM_CLIENT) private readonly js: JetStreamClient,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    private readonly inboxPruner: InboxPruneHost,
  ) {
    const node = config.NODE_NAME ?? ALL_NODES;
    // Network mode: both backends key NAT by network (the memory one models the nftables one).
    const network = config.DATAPLANE_NETWORK_INTERFACE
      ? { networkInterface: config.DATAPLANE_NETWORK_INTERFACE }
      : {};
    this.backend = createDataplaneBackend(
      config.DATAPLANE_BACKEND === 'nftables'
        ? {
            backend: 'nftables',
            uplinks: parseUplinks(config.DATAPLANE_UPLINK),
            ...(config.DATAPLANE_NETNS ? { netns: config.DATAPLANE_NETNS } : {}),
            ...network,
          }
        : { backend: 'memory', ...network },
    );
    if (config.DATAPLANE_BACKEND === 'nftables')
      this.flusher = new ConntrackFlusher(config.DATAPLANE_NETNS || undefined);
    // Exported from the start (0), so dashboards and increase() see the first drift.
    metrics.driftDetected.inc({ node }, 0);
    metrics.driftRepaired.inc({ node }, 0);
    this.reconciler = new DataplaneReconciler(dataSource, store, this.backend, node, {
      drift: () => metrics.driftDetected.inc({ node }),
      repaired: () => metrics.driftRepaired.inc({ node }),
      perNetwork: config.DATAPLANE_NETWORK_INTERFACE !== undefined,
      // The node's table is a function of the nat-slots projection: unchanged while its
      // checkpoint is.
      desiredVersion: () => {
        const at = this.projections.runner(NAT_SLOTS_PROJECTION_NAME).checkpoint;
        return `${at.transactionId}/${at.globalPosition}/${this.gatewaysVersion}`;
      },
      verifyIntervalMs: config.DATAPLANE_VERIFY_SECONDS * 1000,
    });
    this.loop = new ReconcileLoop(
      async (reason) => {
        const stop = metrics.reconcileDuration.startTimer({ node });
        try {
          const runner = this.projections.runner(NAT_SLOTS_PROJECTION_NAME);
          // An event's pass starts once the projection has the event: no catch-up first.
          const [, gatewaysVersion] = await Promise.all([
            reason === EVENT_REASON ? undefined : runner.catchUp(),
            this.readGatewaysVersion(),
          ]);
          this.gatewaysVersion = gatewaysVersion;
          // Taken before the pass reads the desired table, which then has every event up to it.
          const through = runner.checkpoint;
          const result = await this.reconciler.reconcile(reason);
          this.trigger.passed(through);
          stop({ outcome: 'ok' });
          if (result.rejected !== this.rejectedRules) {
            this.rejectedRules = result.rejected;
            this.logger.warn(
              `${result.rejected} of ${result.rules} NAT rules could not be programmed (NATRulesRejected on ${dataplaneStreamId(node)} names them)`,
            );
          }
          return result;
        } catch (err) {
          stop({ outcome: 'error' });
          throw err;
        }
      },
      { intervalMs: config.RECONCILE_INTERVAL_SECONDS * 1000 },
    );
    this.trigger = new AllocationPassTrigger(() => this.loop.request(EVENT_REASON));
  }

  async onApplicationBootstrap(): Promise<void> {
    const durable = executorDurable(this.config.NODE_NAME ?? ALL_NODES);
    this.inboxPruner.register(durable);
    this.unsubscribeApplied = this.projections
      .runner(NAT_SLOTS_PROJECTION_NAME)
      .onApplied((events) => this.trigger.applied(events));
    this.consumer = new DurableEventConsumer(
      { dataSource: this.dataSource, store: this.store, js: this.js, jsm: this.jsm },
      {
        streamName: this.config.NATS_STREAM,
        durable,
        // A removed node's consumer goes away by itself.
        inactiveThresholdMs: this.config.NATS_CONSUMER_INACTIVE_SECONDS * 1000,
        filterSubject: `${this.config.NATS_SUBJECT_PREFIX}.events.allocation.>`,
        types: ALLOCATION_EVENT_TYPES,
        handler: async (event) => this.onAllocationEvent(event),
        logger: nestMessagingLogger('DataplaneConsumer'),
      },
    );
    await this.consumer.start();
    this.loop.request('start');
    this.started = true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.started = false;
    this.unsubscribeApplied?.();
    await this.consumer?.stop();
    await this.loop.stop();
    await this.backend.close?.();
  }

  /**
   * A drained IP's retiring slot was released: its connections end now (at the deadline), on the
   * NIC's node. Inside the consumer's handler, so a failure is retried and a crash before the ack
   * redelivers the event: the flush happens at least once (deleting nothing is harmless).
   */
  private async flushRetired(event: RecordedEvent): Promise<void> {
    const slot = event.data as ReleasedRetiringSlot;
    const node = this.config.NODE_NAME ?? ALL_NODES;
    if (!this.flusher || (node !== ALL_NODES && slot.nodeName !== node)) return;
    const deleted = await this.flusher.flush(slot);
    this.logger.log(
      `drain: deleted ${deleted} conntrack entries of ${slot.privateIp} as ${slot.ip}:${slot.port}-${slot.endPort}`,
    );
  }

  get ready(): boolean {
    return this.started && (this.consumer?.isConsuming ?? false);
  }

  /**
   * Changes when any NATGateway object does (a write bumps its resource_version to the newest;
   * a delete lowers the count): a changed spec.timeouts or spec.logging reaches the dataplane on
   * the next pass (RECONCILE_INTERVAL_SECONDS at most) without waiting for a verification.
   */
  private async readGatewaysVersion(): Promise<string> {
    const rows: Array<{ v: string; n: string }> = await this.dataSource.query(
      `SELECT coalesce(max(resource_version), 0)::text AS v, count(*)::text AS n
         FROM natgw_resources WHERE kind = 'NATGateway'`,
    );
    return `${rows[0]?.v ?? '0'}:${rows[0]?.n ?? '0'}`;
  }

  private async onAllocationEvent(event: RecordedEvent): Promise<void> {
    if (event.type === 'NATRetiringSlotReleased') await this.flushRetired(event);
    // Let the nat-slots projection include this event, then reconcile; do not hold
    // the consumer's transaction open meanwhile.
    const runner = this.projections.runner(NAT_SLOTS_PROJECTION_NAME);
    const at = checkpointOf(event);
    void runner
      .waitFor(at, 60_000)
      .then(() => this.trigger.delivered(at))
      .catch((err: Error) => this.logger.warn(`allocation event ${event.id}: ${err.message}`));
  }
}
