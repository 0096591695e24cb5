import { randomInt } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { EventMetadata, MAX_VNI, MIN_VNI, resourceStreamId } from '@natgw/contracts';
import {
  AllocationEvent,
  AllocationState,
  capPublicIpBounds,
  canonicalIp,
  decideAllocation,
  decideClaim,
  decidePool,
  eligibleNicsForGateway,
  foldAllocation,
  foldPool,
  IpPoolEvent,
  IpPoolState,
  nextDrainDeadline,
  nextShrinkDue,
  planAllocation,
  PublicIpBounds,
} from '@natgw/domain';
import { ConcurrencyError, PostgresEventStore } from '@natgw/event-store';
import { ClaimStreams } from '@natgw/projections';
import { PublicIpQuota } from './public-ip-quota';
import { dynamicPortsInput } from './dynamic-port-inputs';
import { LostRaceRetry } from './lost-race-retry';
import { PoolBook } from '../pools/pool-book';
import { Folded, FoldedStreamCache } from '../state/folded-stream';
import {
  ALLOCATION_FINALIZER,
  GatewayRecord,
  NetworkRecord,
  NicRecord,
  ResourceInputs,
} from '../state/resource-inputs';

/** A network whose gateways are reconciled together: they compete for the same NICs. */
export interface NetworkKey {
  namespace: string;
  network: string;
}

/** The event a reconcile answers to, so every decision points at its cause. */
export interface ReconcileCause {
  eventId?: string;
  correlationId?: string;
}

export const ALLOCATOR_SOURCE = '/natgw/allocator';

/** The stream of a gateway's allocation. */
export function allocationStreamId(gatewayUid: string): string {
  return `allocation:${gatewayUid}`;
}

/** One gateway's usage after a reconcile, for metrics. */
export interface GatewayUsage {
  namespace: string;
  name: string;
  slotsUsed: number;
  slotsRequested: number;
  slotsTotal: number;
  /** The gateway's uid and its next drain deadline (ms), when it has one: the allocator looks again then. */
  uid: string;
  nextDrainDeadline?: number;
}

/** What one reconcile of a network did. */
export interface ReconcileOutcome {
  appended: number;
  gateways: GatewayUsage[];
  /** Gateways gone from this network (deleted): their metrics are dropped. */
  removed: Array<{ namespace: string; name: string }>;
}

interface Written {
  pools: Folded<IpPoolState>[];
  allocation?: Folded<AllocationState>;
  usage?: Omit<GatewayUsage, 'namespace' | 'name' | 'uid'>;
}

/**
 * Recomputes the allocation of every NATGateway in one network from current
 * state (level-triggered) and appends only the differences: pool claims first,
 * then the allocation events, then pool releases, all in one transaction.
 * Deleted gateways and NICs are released and then finalized (`<Kind>Deleted`, a NIC
 * together with the release of its private addresses). Slots carry the network's VNI;
 * a Network older than VNIs is given one first.
 */
export class ReconcileNetwork {
  /** Retries lost races; races for a pool stream retry one at a time in this process. */
  private readonly retry = new LostRaceRetry();
  private readonly quota: PublicIpQuota;
  private readonly claims: ClaimStreams;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly pools: FoldedStreamCache<IpPoolState, IpPoolEvent>,
    private readonly allocations: FoldedStreamCache<AllocationState, AllocationEvent>,
    private readonly defaultBounds: PublicIpBounds,
    /** MAX_PUBLIC_IPS_PER_GATEWAY: no gateway holds more, whatever its autoscaler says. */
    private readonly maxPublicIPsPerGateway: number,
    /** The clock drains start and end by (tests set it). */
    private readonly now: () => number = Date.now,
  ) {
    this.quota = new PublicIpQuota(store);
    this.claims = new ClaimStreams(store);
  }

  /** Reconciles every gateway of the network; returns what it appended and each gateway's usage. */
  async run(key: NetworkKey, cause: ReconcileCause = {}): Promise<ReconcileOutcome> {
    const inputs = new ResourceInputs(this.dataSource.manager);
    const { gateways, nics } = await inputs.network(key.namespace, key.network);
    const bounds = await inputs.autoscalerBounds(key.namespace);
    const metadata: EventMetadata = {
      source: ALLOCATOR_SOURCE,
      ...(cause.correlationId ? { correlationId: cause.correlationId } : {}),
      ...(cause.eventId ? { causationId: cause.eventId } : {}),
    };
    const vni = await this.retry.run(() => this.networkVni(key, metadata));
    // Deleting gateways first: their NICs move to the next gateway in the same pass.
    const ordered = [...gateways].sort(
      (a, b) => Number(b.deleting ?? false) - Number(a.deleting ?? false),
    );
    let appended = 0;
    const usage: GatewayUsage[] = [];
    const removed: Array<{ namespace: string; name: string }> = [];
    for (const gateway of ordered) {
      const result = await this.retry.run(() =>
        this.reconcileGateway(
          gateway,
          gateways,
          nics,
          vni,
          capPublicIpBounds(
            bounds.get(gateway.name) ?? this.defaultBounds,
            this.maxPublicIPsPerGateway,
          ),
          metadata,
        ),
      );
      appended += result.appended;
      if (result.usage)
        usage.push({
          namespace: gateway.namespace,
          name: gateway.name,
          uid: gateway.uid,
          ...result.usage,
        });
      else removed.push({ namespace: gateway.namespace, name: gateway.name });
    }
    for (const nic of nics) {
      if (nic.deleting && nic.finalizers.includes(ALLOCATION_FINALIZER)) {
        appended += await this.finalizeNic(nic, gateways, metadata);
      }
    }
    return { appended, gateways: usage, removed };
  }

  /**
   * The VNI of the network (status.vni). A Network older than VNIs gets one here: a random free
   * VNI, written to its spec (NetworkUpdated) and claimed, in one transaction that expects the
   * Network's stream version, so a concurrent delete or update makes it try again. Undefined
   * when the Network does not exist (or its claim is not in the read model yet).
   */
  private async networkVni(key: NetworkKey, metadata: EventMetadata): Promise<number | undefined> {
    const network = await new ResourceInputs(this.dataSource.manager).networkRecord(
      key.namespace,
      key.network,
    );
    if (!network || network.deleting) return undefined;
    if (network.vni !== undefined) return network.vni;
    // Claimed with its create: status.vni follows, and the claim triggers another reconcile.
    if (typeof network.spec.vni === 'number') return undefined;
    return this.claimVni(network, metadata);
  }

  private async claimVni(network: NetworkRecord, metadata: EventMetadata): Promise<number> {
    for (let pick = 1; ; pick++) {
      const vni = randomInt(MIN_VNI, MAX_VNI + 1);
      const decision = decideClaim((await this.claims.vniHolder(vni)).status, network.uid);
      if (decision.action === 'refuse') {
        if (pick >= 64) throw new Error(`no free VNI found in ${pick} random picks`);
        continue;
      }
      const claim =
        decision.action === 'claim'
          ? [this.claims.claimVni({ ...network, vni }, decision.expectedVersion, metadata)]
          : [];
      await this.dataSource.transaction((manager) =>
        this.store.appendToStreams(
          [
            {
              streamId: resourceStreamId('Network', network.namespace, network.name),
              events: [
                {
                  type: 'NetworkUpdated',
                  data: {
                    uid: network.uid,
                    generation: network.generation + 1,
                    spec: { ...network.spec, vni },
                  },
                  metadata,
                },
              ],
              expectedVersion: network.streamVersion,
            },
            ...claim,
          ],
          manager,
        ),
      );
      return vni;
    }
  }

  private async reconcileGateway(
    gateway: GatewayRecord,
    gateways: GatewayRecord[],
    nics: NicRecord[],
    vni: number | undefined,
    bounds: PublicIpBounds,
    metadata: EventMetadata,
  ): Promise<{ appended: number; usage?: Written['usage'] }> {
    const allocationId = allocationStreamId(gateway.uid);
    const written: Written = { pools: [] };
    let count = 0;
    try {
      count = await this.dataSource.transaction(async (manager) => {
        // Before the pools are read: the quota's lock makes the namespace's claims current.
        const quota = gateway.deleting
          ? undefined
          : await this.quota.lockLimit(gateway.namespace, manager);
        const book = await PoolBook.load(this.store, this.pools, manager);
        const allocation = await this.allocations.load(allocationId, manager);
        return gateway.deleting
          ? this.close(gateway, book, allocation, manager, metadata, written)
          : this.allocate(
              gateway,
              gateways,
              nics,
              vni,
              bounds,
              quota === undefined
                ? undefined
                : await this.quota.budget(quota, gateway, book, manager),
              book,
              allocation,
              manager,
              metadata,
              written,
            );
      });
    } catch (err) {
      for (const p of written.pools) this.pools.forget(p.streamId);
      this.allocations.forget(allocationId);
      throw err;
    }
    for (const p of written.pools) this.pools.remember(p);
    if (written.allocation) this.allocations.remember(written.allocation);
    return { appended: count, usage: written.usage };
  }

  private async allocate(
    gateway: GatewayRecord,
    gateways: GatewayRecord[],
    nics: NicRecord[],
    vni: number | undefined,
    bounds: PublicIpBounds,
    ipBudget: number | undefined,
    book: PoolBook,
    allocation: Folded<AllocationState>,
    manager: EntityManager,
    metadata: EventMetadata,
    written: Written,
  ): Promise<number> {
    if (allocation.state.status === 'closed') return 0;
    // Without a VNI (no such Network) no NIC gets a slot: the dataplane keys NAT by network.
    const eligible = vni === undefined ? [] : eligibleNicsForGateway(gateway, gateways, nics);
    const now = this.now();
    const dynamicPorts = dynamicPortsInput(gateway, nics);
    const planWith = (pools: PoolBook) =>
      planAllocation({
        gateway,
        nics: eligible,
        ...(vni !== undefined ? { vni } : {}),
        current: allocation.state,
        bounds,
        freeIps: pools.freeIps(gateway.ipFamily),
        existingNicUids: new Set(nics.filter((n) => !n.deleting).map((n) => n.uid)),
        ...(ipBudget !== undefined ? { ipBudget } : {}),
        drainIPs: gateway.drainIPs,
        now,
        ...(dynamicPorts !== undefined ? { dynamicPorts } : {}),
      });
    let plan = planWith(book);
    if (plan.claimIps.length > 0) {
      // Every gateway claims from the same pool streams. Lock them now and plan again on
      // their current state: concurrent claims then wait their turn for a few ms instead
      // of losing the race at the append and redoing the whole transaction.
      book = await PoolBook.lockAndLoad(this.store, this.pools, manager);
      plan = planWith(book);
    }
    written.usage = {
      slotsUsed: plan.usage.slotsUsed,
      slotsRequested: plan.usage.nicsRequesting,
      slotsTotal: plan.usage.slotsTotal,
    };
    let count = 0;
    // Claim in the pool before assigning: an address is never held without a claim.
    const claims = new Map<Folded<IpPoolState>, IpPoolEvent[]>();
    for (const ip of plan.claimIps) {
      const pool = book.ownerOf(ip);
      if (!pool) continue;
      const state = foldPool(pool.state, claims.get(pool) ?? []);
      const events = decidePool(
        { type: 'ClaimIp', gatewayUid: gateway.uid, family: gateway.ipFamily, ip },
        state,
      );
      claims.set(pool, [...(claims.get(pool) ?? []), ...events]);
    }
    for (const [pool, events] of claims)
      count += await this.appendPool(pool, events, manager, metadata, written);
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, allocation.state);
    count += await this.appendAllocation(allocation, events, manager, metadata, written);
    // Release from the gateway first, then in the pool.
    const releases = new Map<Folded<IpPoolState>, IpPoolEvent[]>();
    for (const ip of plan.releaseIps) {
      const pool =
        written.pools.find((p) => book.ownerOf(ip)?.streamId === p.streamId) ?? book.ownerOf(ip);
      if (!pool) continue;
      const state = foldPool(pool.state, releases.get(pool) ?? []);
      const released = decidePool({ type: 'ReleaseIp', gatewayUid: gateway.uid, ip }, state);
      releases.set(pool, [...(releases.get(pool) ?? []), ...released]);
    }
    for (const [pool, released] of releases)
      count += await this.appendPool(pool, released, manager, metadata, written);
    const after = written.allocation?.state ?? allocation.state;
    // DPA: an idle slot shrinks at its due time with no other trigger (reports come on change).
    const shrink =
      dynamicPorts === undefined
        ? undefined
        : nextShrinkDue(after.slots.values(), dynamicPorts.usage ?? new Map(), dynamicPorts.config);
    const drain = nextDrainDeadline(after);
    const next = drain === undefined || (shrink !== undefined && shrink < drain) ? shrink : drain;
    if (next !== undefined && written.usage)
      written.usage = { ...written.usage, nextDrainDeadline: next };
    return count;
  }

  private async close(
    gateway: GatewayRecord,
    book: PoolBook,
    allocation: Folded<AllocationState>,
    manager: EntityManager,
    metadata: EventMetadata,
    written: Written,
  ): Promise<number> {
    let count = 0;
    if (allocation.state.status !== 'closed') {
      const events = decideAllocation(
        { type: 'CloseAllocation', gatewayUid: gateway.uid, reason: 'GatewayDeleted' },
        allocation.state,
      );
      count += await this.appendAllocation(allocation, events, manager, metadata, written);
    }
    for (const pool of book.poolsClaimedBy(gateway.uid)) {
      const events = decidePool({ type: 'ReleaseGatewayIps', gatewayUid: gateway.uid }, pool.state);
      count += await this.appendPool(pool, events, manager, metadata, written);
    }
    if (gateway.finalizers.includes(ALLOCATION_FINALIZER)) {
      await this.store.append(
        resourceStreamId('NATGateway', gateway.namespace, gateway.name),
        [{ type: 'NATGatewayDeleted', data: { uid: gateway.uid }, metadata }],
        { expectedVersion: gateway.streamVersion, manager },
      );
      count += 1;
    }
    return count;
  }

  private async finalizeNic(
    nic: NicRecord,
    gateways: GatewayRecord[],
    metadata: EventMetadata,
  ): Promise<number> {
    for (const gateway of gateways) {
      const allocation = await this.allocations.load(allocationStreamId(gateway.uid));
      const retiring = [...(allocation.state.retiring?.values() ?? [])];
      if (allocation.state.slots.has(nic.uid) || retiring.some((r) => r.nicUid === nic.uid))
        return 0; // released on a later pass
    }
    try {
      // The NIC's private addresses are free again once it is gone: released in the same transaction.
      const addresses = { ...nic, network: nic.networkName };
      const releases = await this.claims.releaseAddresses(
        addresses,
        [...new Set(nic.ips.map(canonicalIp))],
        metadata,
      );
      await this.dataSource.transaction((manager) =>
        this.store.appendToStreams(
          [
            {
              streamId: resourceStreamId('NetworkInterface', nic.namespace, nic.name),
              events: [{ type: 'NetworkInterfaceDeleted', data: { uid: nic.uid }, metadata }],
              expectedVersion: nic.streamVersion,
            },
            ...releases,
          ],
          manager,
        ),
      );
      return 1 + releases.length;
    } catch (err) {
      // Someone else finalized it, or it changed meanwhile: the next trigger looks again.
      if (err instanceof ConcurrencyError) return 0;
      throw err;
    }
  }

  private async appendPool(
    pool: Folded<IpPoolState>,
    events: IpPoolEvent[],
    manager: EntityManager,
    metadata: EventMetadata,
    written: Written,
  ): Promise<number> {
    if (events.length === 0) return 0;
    const current = written.pools.find((p) => p.streamId === pool.streamId) ?? pool;
    const result = await this.store.append(
      current.streamId,
      events.map((e) => ({ ...e, metadata })),
      { expectedVersion: current.version, manager },
    );
    const next = {
      streamId: current.streamId,
      version: result.nextExpectedVersion,
      state: foldPool(current.state, events),
    };
    written.pools = [...written.pools.filter((p) => p.streamId !== current.streamId), next];
    return events.length;
  }

  private async appendAllocation(
    allocation: Folded<AllocationState>,
    events: AllocationEvent[],
    manager: EntityManager,
    metadata: EventMetadata,
    written: Written,
  ): Promise<number> {
    if (events.length === 0) return 0;
    const result = await this.store.append(
      allocation.streamId,
      events.map((e) => ({ ...e, metadata })),
      { expectedVersion: allocation.version, manager },
    );
    written.allocation = {
      streamId: allocation.streamId,
      version: result.nextExpectedVersion,
      state: foldAllocation(allocation.state, events),
    };
    return events.length;
  }
}
