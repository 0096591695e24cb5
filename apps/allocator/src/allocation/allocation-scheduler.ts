import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  NETWORK_VNI_CLAIMED,
  NetworkVniClaimData,
  parseResourceEventType,
  parseResourceStreamId,
  RecordedEvent,
} from '@natgw/contracts';
import { IpPoolEvent, IpPoolState, poolUsage, QUOTA_EVENT_TYPES, QuotaEvent } from '@natgw/domain';
import {
  checkpointOf,
  PostgresEventStore,
  ProjectionHost,
  StreamSnapshotStore,
} from '@natgw/event-store';
import { Metrics } from '@natgw/platform';
import { NAT_PORT_USAGE_REPORTED, RESOURCE_PROJECTION_NAME } from '@natgw/projections';
import { AllocatorConfig } from '../allocator.config';
import { PoolBook } from '../pools/pool-book';
import { seedDefaultPool } from '../pools/seed-pools';
import { DrainDeadlines } from '../drain/drain-deadlines';
import { allocatorCaches } from '../state/allocator-caches';
import { CoalescedRun } from '../state/coalesced-run';
import { FoldedStreamCache } from '../state/folded-stream';
import { ResourceInputs } from '../state/resource-inputs';
import { NetworkKey, ReconcileCause, ReconcileNetwork } from './reconcile-network';
import { networksOfUsageReport } from './dynamic-port-inputs';
import { ReconcileQueue } from './reconcile-queue';

/** Event types after which some network must be reconciled. */
export const ALLOCATION_TRIGGER_TYPES = [
  'NATGatewayCreated',
  'NATGatewayUpdated',
  'NATGatewayDeletionRequested',
  'NetworkInterfaceCreated',
  'NetworkInterfaceUpdated',
  'NetworkInterfaceDeletionRequested',
  'NATGatewayAutoscalerCreated',
  'NATGatewayAutoscalerUpdated',
  'NATGatewayAutoscalerDeleted',
  'PublicPrefixAdded',
  'PublicPrefixRemoved',
  'PublicIPReleased',
  'NATGatewayQuotaSet',
  'NATGatewayQuotaDeleted',
  // A network got its VNI: its gateways can allocate (slots carry the VNI).
  'NetworkVNIClaimed',
  // Measured usage: dynamic port allocation grows and shrinks slots with it (issue 17.4).
  NAT_PORT_USAGE_REPORTED,
] as const;

/**
 * Decides what to reconcile and when: after trigger events (once the resource
 * read model has caught up with them), at start, and on a resync timer.
 */
@Injectable()
export class AllocationScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AllocationScheduler');
  readonly queue: ReconcileQueue;
  private readonly reconciler: ReconcileNetwork;
  private readonly pools: FoldedStreamCache<IpPoolState, IpPoolEvent>;
  private resyncTimer?: NodeJS.Timeout;
  private readonly shortOfCapacity = new Set<string>();
  /** Reconciles a network at its gateways' drain deadlines (see DrainDeadlines). */
  readonly drainDeadlines = new DrainDeadlines((key, gatewayUid) =>
    this.queue.add(key, { correlationId: `drain-deadline:${gatewayUid}` }),
  );
  private stopped = false;
  /** Pool usage for the metrics: one read serves every reconcile that appended meanwhile. */
  private readonly poolUsage = new CoalescedRun(() => this.recordPoolUsage());
  ready = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly projections: ProjectionHost,
    private readonly config: AllocatorConfig,
    private readonly metrics: Metrics,
  ) {
    const { pools, allocations } = allocatorCaches(store, {
      store: new StreamSnapshotStore(dataSource),
      every: config.ALLOCATOR_SNAPSHOT_EVERY,
      warn: (message) => this.logger.warn(message),
    });
    this.pools = pools;
    this.reconciler = new ReconcileNetwork(
      dataSource,
      store,
      this.pools,
      allocations,
      { minPublicIPs: config.DEFAULT_MIN_PUBLIC_IPS, maxPublicIPs: config.DEFAULT_MAX_PUBLIC_IPS },
      config.MAX_PUBLIC_IPS_PER_GATEWAY,
    );
    // 16 networks at a time: a reconcile waiting for its claim batch holds no connection, and
    // more reconciles waiting means larger batches (one pool lock for all of them).
    this.queue = new ReconcileQueue((key, cause) => this.reconcile(key, cause), 16);
    // Exported from the start (0), so dashboards and increase() see the first failure.
    metrics.allocationFailures.inc(0);
    metrics.gatewaysShortOfCapacity.set(0);
  }

  async onApplicationBootstrap(): Promise<void> {
    const added = await seedDefaultPool(
      this.dataSource,
      this.store,
      this.pools,
      this.config.publicPrefixes,
    );
    if (added.length > 0) this.logger.log(`added ${added.join(', ')} to the default pool`);
    await this.recordPoolUsage();
    this.ready = true;
    void this.resync('start');
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.drainDeadlines.stop();
    await this.queue.stop();
  }

  /** Reacts to one event from the bus (without waiting for the reconcile). */
  trigger(event: RecordedEvent): void {
    this.resolve(event).catch((err: Error) =>
      this.logger.warn(`cannot schedule after ${event.type} ${event.id}: ${err.message}`),
    );
  }

  /**
   * Queues every network that has a gateway or a NIC being deleted, and every Network without
   * a VNI (older than VNIs: the reconcile claims one).
   */
  async resync(reason: string): Promise<void> {
    try {
      const networks = await new ResourceInputs(this.dataSource.manager).allNetworks();
      for (const key of networks)
        this.queue.add(key, { correlationId: `resync:${reason}` }, 'resync');
    } catch (err) {
      this.logger.warn(`resync failed: ${(err as Error).message}`);
    } finally {
      this.scheduleResync();
    }
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    const base = this.config.ALLOCATOR_RESYNC_SECONDS * 1000;
    this.resyncTimer = setTimeout(
      () => void this.resync('timer'),
      base * (0.9 + Math.random() * 0.2),
    );
    this.resyncTimer.unref();
  }

  private async reconcile(key: NetworkKey, cause: ReconcileCause): Promise<void> {
    const outcome = await this.reconciler.run(key, cause).catch((err: unknown) => {
      this.metrics.allocationFailures.inc();
      throw err;
    });
    for (const g of outcome.gateways) {
      const labels = { namespace: g.namespace, gateway: g.name };
      this.metrics.gatewaySlotsUsed.set(labels, g.slotsUsed);
      this.metrics.gatewaySlotsRequested.set(labels, g.slotsRequested);
      this.metrics.gatewaySlotsCapacity.set(labels, g.slotsTotal);
      if (g.slotsRequested > g.slotsUsed) this.shortOfCapacity.add(`${g.namespace}/${g.name}`);
      else this.shortOfCapacity.delete(`${g.namespace}/${g.name}`);
      this.drainDeadlines.set(key, g.uid, g.nextDrainDeadline);
    }
    for (const g of outcome.removed) {
      const labels = { namespace: g.namespace, gateway: g.name };
      this.metrics.gatewaySlotsUsed.remove(labels);
      this.metrics.gatewaySlotsRequested.remove(labels);
      this.metrics.gatewaySlotsCapacity.remove(labels);
      this.shortOfCapacity.delete(`${g.namespace}/${g.name}`);
    }
    this.metrics.gatewaysShortOfCapacity.set(this.shortOfCapacity.size);
    if (outcome.appended > 0) await this.poolUsage.run();
  }

  /** Pool usage per prefix, from the pools as the log has them now. */
  private async recordPoolUsage(): Promise<void> {
    const book = await PoolBook.load(this.store, this.pools, this.dataSource.manager);
    for (const pool of book.pools) {
      for (const u of poolUsage(pool.state)) {
        const labels = { prefix: u.prefix };
        this.metrics.poolAddresses.set(labels, Number(u.total));
        this.metrics.poolAddressesUsed.set(labels, u.used);
        this.metrics.poolAddressesFree.set(labels, Number(u.free));
      }
    }
  }

  private async resolve(event: RecordedEvent): Promise<void> {
    // The reconcile reads the resource read model: it must include this event first.
    await this.projections.runner(RESOURCE_PROJECTION_NAME).waitFor(checkpointOf(event), 60_000);
    const cause: ReconcileCause = {
      eventId: event.id,
      correlationId: event.metadata.correlationId,
    };
    for (const key of await this.networksAffectedBy(event)) this.queue.add(key, cause);
  }

  private async networksAffectedBy(event: RecordedEvent): Promise<NetworkKey[]> {
    const inputs = new ResourceInputs(this.dataSource.manager);
    if (event.type === NAT_PORT_USAGE_REPORTED)
      return networksOfUsageReport(event, this.dataSource.manager);
    if (event.type === NETWORK_VNI_CLAIMED) {
      const { namespace, name } = event.data as NetworkVniClaimData;
      return [{ namespace, network: name }];
    }
    const resource = parseResourceEventType(event.type);
    const quota = QUOTA_EVENT_TYPES.includes(event.type as QuotaEvent['type']);
    if (quota || resource?.kind === 'NATGatewayAutoscaler') {
      // A quota or an autoscaler bounds every gateway of its namespace.
      const namespace = event.streamId.slice(event.streamId.indexOf(':') + 1).split('/')[0];
      return (await inputs.allNetworks()).filter((n) => n.namespace === namespace);
    }
    if (!resource) {
      // Pool changes: every network with a gateway may now get (or lose) addresses.
      return inputs.allNetworks();
    }
    const where = parseResourceStreamId(event.streamId);
    if (!where) return [];
    const data = event.data as { uid?: string; spec?: { networkRef?: { name?: string } } };
    const keys: NetworkKey[] = [];
    const named = data.spec?.networkRef?.name;
    if (typeof named === 'string') keys.push({ namespace: where.namespace, network: named });
    // An object's create names its only network: it was in none before, so no read for its uid.
    if (typeof data.uid === 'string' && !(resource.action === 'Created' && keys.length > 0)) {
      const current = await inputs.networkOfUid(data.uid);
      if (current && !keys.some((k) => k.network === current.network)) keys.push(current);
    }
    return keys;
  }
}
