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
import { ClaimBatch } from './claim-batch';
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

/** One gateway of a network, with what its reconcile plans from (read once per network). */
interface GatewayInputs {
  gateway: GatewayRecord;
  gateways: GatewayRecord[];
  nics: NicRecord[];
  vni: number | undefined;
  /** The version of the gateway's allocation stream when the network was read (a hint). */
  allocationVersion: number;
  bounds: PublicIpBounds;
  metadata: EventMetadata;
}

/** What one gateway's reconcile decided: pool claims first, then its allocation, then pool releases. */
interface GatewayDecision {
  inputs: GatewayInputs;
  allocation: Folded<AllocationState>;
  /** Pool events by pool stream, in the order they were decided. */
  claims: Map<string, IpPoolEvent[]>;
  allocationEvents: AllocationEvent[];
  /** The allocation with allocationEvents folded in. */
  next: AllocationState;
  releases: Map<string, IpPoolEvent[]>;
  usage: Usage;
}

type Usage = Omit<GatewayUsage, 'namespace' | 'name' | 'uid'>;

/** What one gateway's reconcile appended, and its usage (none when its allocation is closed). */
interface GatewayResult {
  appended: number;
  usage?: Usage;
}

/** The streams a transaction appended to: the caches learn them after the commit, or forget them. */
interface Written {
  pools: Map<string, Folded<IpPoolState>>;
  allocations: Folded<AllocationState>[];
}

/** Thrown out of a reconcile's transaction (nothing appended yet) when its gateway must claim. */
class MustClaim extends Error {
  constructor() {
    super('the gateway must claim pool addresses: it joins a claim batch');
  }
}

/**
 * Recomputes the allocation of every NATGateway in one network from current
 * state (level-triggered) and appends only the differences: pool claims first,
 * then the allocation events, then pool releases, all in one transaction.
 * Deleted gateways and NICs are released and then finalized (`<Kind>Deleted`, a NIC
 * together with the release of its private addresses). Slots carry the network's VNI;
 * a Network older than VNIs is given one first.
 *
 * Gateways that must claim pool addresses are group-committed (ClaimBatch): the
 * reconciles of several networks that arrive while a batch commits share the next
 * transaction, which locks the pool streams once, plans each gateway against the pools
 * folded with the claims decided before it, and appends every claim, then each gateway's
 * allocation, then the releases. A batch that fails in any way (a lost race, one bad
 * gateway) is redone gateway by gateway, each locking the pools alone.
 */
export class ReconcileNetwork {
  /** Retries lost races; races for a pool stream retry one at a time in this process. */
  private readonly retry = new LostRaceRetry();
  private readonly quota: PublicIpQuota;
  private readonly claims: ClaimStreams;
  private readonly claimBatch: ClaimBatch<GatewayInputs, GatewayResult>;

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
    /** The most gateways one claim batch commits together. */
    maxClaimBatch = 64,
  ) {
    this.quota = new PublicIpQuota(store);
    this.claims = new ClaimStreams(store);
    this.claimBatch = new ClaimBatch(
      (batch) => this.commitClaimBatch(batch),
      (inputs) => inputs.gateway.uid,
      maxClaimBatch,
    );
  }

  /** Reconciles every gateway of the network; returns what it appended and each gateway's usage. */
  async run(key: NetworkKey, cause: ReconcileCause = {}): Promise<ReconcileOutcome> {
    const { gateways, nics, bounds, network, allocationVersions } = await new ResourceInputs(
      this.dataSource.manager,
    ).network(key.namespace, key.network);
    const metadata: EventMetadata = {
      source: ALLOCATOR_SOURCE,
      ...(cause.correlationId ? { correlationId: cause.correlationId } : {}),
      ...(cause.eventId ? { causationId: cause.eventId } : {}),
    };
    // The Network as read with the rest; a retry (a VNI claim that lost a race) reads it again.
    let read: { network?: NetworkRecord } | undefined = network ? { network } : {};
    const vni = await this.retry.run(async () => {
      const current = read ?? { network: await this.networkRecord(key) };
      read = undefined;
      return this.networkVni(current.network, metadata);
    });
    // Deleting gateways first: their NICs move to the next gateway in the same pass.
    const ordered = [...gateways].sort(
      (a, b) => Number(b.deleting ?? false) - Number(a.deleting ?? false),
    );
    let appended = 0;
    const usage: GatewayUsage[] = [];
    const removed: Array<{ namespace: string; name: string }> = [];
    for (const gateway of ordered) {
      const result = await this.reconcileGateway({
        gateway,
        gateways,
        nics,
        vni,
        allocationVersion: allocationVersions.get(gateway.uid) ?? 0,
        bounds: capPublicIpBounds(
          bounds.get(gateway.name) ?? this.defaultBounds,
          this.maxPublicIPsPerGateway,
        ),
        metadata,
      });
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
  private async networkVni(
    network: NetworkRecord | undefined,
    metadata: EventMetadata,
  ): Promise<number | undefined> {
    if (!network || network.deleting) return undefined;
    if (network.vni !== undefined) return network.vni;
    // Claimed with its create: status.vni follows, and the claim triggers another reconcile.
    if (typeof network.spec.vni === 'number') return undefined;
    return this.claimVni(network, metadata);
  }

  private networkRecord(key: NetworkKey): Promise<NetworkRecord | undefined> {
    return new ResourceInputs(this.dataSource.manager).networkRecord(key.namespace, key.network);
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

  /**
   * Reconciles one gateway. One that must claim pool addresses joins a claim batch; when the
   * batch fails, it is redone alone (locking the pools itself), as every gateway once was.
   */
  private async reconcileGateway(inputs: GatewayInputs): Promise<GatewayResult> {
    if (!inputs.gateway.deleting) {
      // One below its minimum must claim: straight to the batch, without a trial transaction.
      if (!(await this.belowMinimum(inputs))) {
        try {
          return await this.retry.run(() => this.reconcileAlone(inputs, 'join-batch'));
        } catch (err) {
          if (!(err instanceof MustClaim)) throw err;
        }
      }
      try {
        return await this.claimBatch.submit(inputs);
      } catch {
        // A lost race or any failure in the batch: this gateway alone, below.
      }
    }
    return this.retry.run(() => this.reconcileAlone(inputs, 'lock-pools'));
  }

  /**
   * True when the gateway (its allocation as last read, open) holds fewer IPs than its minimum and
   * its network has a VNI. Only a hint for where to reconcile it: the batch decides on the log.
   */
  private async belowMinimum(inputs: GatewayInputs): Promise<boolean> {
    if (inputs.vni === undefined) return false;
    const { state } = await this.allocations.load(
      allocationStreamId(inputs.gateway.uid),
      undefined,
      inputs.allocationVersion,
    );
    return state.status === 'open' && state.ips.length < inputs.bounds.minPublicIPs;
  }

  /** One gateway in its own transaction; `join-batch` gives up (MustClaim) when it must claim. */
  private async reconcileAlone(
    inputs: GatewayInputs,
    claiming: 'join-batch' | 'lock-pools',
  ): Promise<GatewayResult> {
    const { gateway } = inputs;
    const allocationId = allocationStreamId(gateway.uid);
    const written: Written = { pools: new Map(), allocations: [] };
    let result: GatewayResult;
    try {
      result = await this.dataSource.transaction(async (manager) => {
        // Before the pools are read: the quota's lock makes the namespace's claims current.
        const quota = gateway.deleting
          ? undefined
          : await this.quota.lockLimit(gateway.namespace, manager);
        const book = await PoolBook.load(this.store, this.pools, manager);
        const allocation = await this.allocations.load(allocationId, manager);
        if (gateway.deleting)
          return {
            appended: await this.close(
              gateway,
              book,
              allocation,
              manager,
              inputs.metadata,
              written,
            ),
          };
        if (allocation.state.status === 'closed') return { appended: 0 };
        const budget =
          quota === undefined ? undefined : await this.quota.budget(quota, gateway, book, manager);
        let decision = this.decide(inputs, book, allocation, budget);
        let locked = book;
        if (decision.claims.size > 0) {
          if (claiming === 'join-batch') throw new MustClaim();
          // Every gateway claims from the same pool streams. Lock them now and plan again on
          // their current state: concurrent claims then wait their turn for a few ms instead
          // of losing the race at the append and redoing the whole transaction.
          locked = await PoolBook.lockAndLoad(this.store, this.pools, manager);
          decision = this.decide(inputs, locked, allocation, budget);
        }
        await this.appendDecisions([decision], locked, manager, written);
        return { appended: eventCount(decision), usage: decision.usage };
      });
    } catch (err) {
      // A gateway that gave up to join a batch appended nothing: the cached states are right.
      if (!(err instanceof MustClaim)) {
        this.forget(written);
        this.allocations.forget(allocationId);
      }
      throw err;
    }
    this.remember(written);
    return result;
  }

  /**
   * Commits a claim batch in one transaction: the namespaces' quota locks (in order, as every
   * reconcile takes them before the pools), the pool streams' rows, then each gateway planned
   * against the pools with the batch's earlier claims folded in (not its releases: an address
   * is free again only once its release is in the log, after every claim of the batch).
   */
  private async commitClaimBatch(batch: GatewayInputs[]): Promise<GatewayResult[]> {
    const written: Written = { pools: new Map(), allocations: [] };
    let results: GatewayResult[];
    try {
      results = await this.dataSource.transaction(async (manager) => {
        const limits = new Map<string, number | undefined>();
        for (const namespace of [...new Set(batch.map((i) => i.gateway.namespace))].sort())
          limits.set(namespace, await this.quota.lockLimit(namespace, manager));
        const locked = await PoolBook.lockAndLoad(this.store, this.pools, manager);
        let planning = locked;
        const decisions: GatewayDecision[] = [];
        const outcome: GatewayResult[] = [];
        // Every gateway's allocation version in one round trip: a cached one that is current is not read.
        const allocations = await this.allocations.loadMany(
          batch.map((i) => allocationStreamId(i.gateway.uid)),
          manager,
        );
        for (const [i, inputs] of batch.entries()) {
          const { gateway } = inputs;
          const allocation = allocations[i];
          if (allocation.state.status === 'closed') {
            outcome.push({ appended: 0 });
            continue;
          }
          const limit = limits.get(gateway.namespace);
          const budget =
            limit === undefined
              ? undefined
              : await this.quota.budget(limit, gateway, planning, manager);
          const decision = this.decide(inputs, planning, allocation, budget);
          decisions.push(decision);
          outcome.push({ appended: eventCount(decision), usage: decision.usage });
          planning = withClaims(planning, decision.claims);
        }
        await this.appendDecisions(decisions, locked, manager, written);
        return outcome;
      });
    } catch (err) {
      this.forget(written);
      for (const inputs of batch) this.allocations.forget(allocationStreamId(inputs.gateway.uid));
      throw err;
    }
    this.remember(written);
    return results;
  }

  /** Plans a gateway on these pools and decides the pool and allocation events (no I/O). */
  private decide(
    inputs: GatewayInputs,
    book: PoolBook,
    allocation: Folded<AllocationState>,
    ipBudget: number | undefined,
  ): GatewayDecision {
    const { gateway, gateways, nics, vni, bounds } = inputs;
    // Without a VNI (no such Network) no NIC gets a slot: the dataplane keys NAT by network.
    const eligible = vni === undefined ? [] : eligibleNicsForGateway(gateway, gateways, nics);
    const dynamicPorts = dynamicPortsInput(gateway, nics);
    const plan = planAllocation({
      gateway,
      nics: eligible,
      ...(vni !== undefined ? { vni } : {}),
      current: allocation.state,
      bounds,
      freeIps: book.freeIps(gateway.ipFamily),
      existingNicUids: new Set(nics.filter((n) => !n.deleting).map((n) => n.uid)),
      ...(ipBudget !== undefined ? { ipBudget } : {}),
      drainIPs: gateway.drainIPs,
      now: this.now(),
      ...(dynamicPorts !== undefined ? { dynamicPorts } : {}),
    });
    // Claim in the pool before assigning: an address is never held without a claim.
    const claims = new Map<string, IpPoolEvent[]>();
    for (const ip of plan.claimIps) {
      const pool = book.ownerOf(ip);
      if (!pool) continue;
      const events = claims.get(pool.streamId) ?? [];
      events.push(
        ...decidePool(
          { type: 'ClaimIp', gatewayUid: gateway.uid, family: gateway.ipFamily, ip },
          foldPool(pool.state, events),
        ),
      );
      claims.set(pool.streamId, events);
    }
    const allocationEvents = decideAllocation(
      { type: 'ApplyAllocationPlan', plan },
      allocation.state,
    );
    const next = foldAllocation(allocation.state, allocationEvents);
    // Release from the gateway first, then in the pool.
    const releases = new Map<string, IpPoolEvent[]>();
    for (const ip of plan.releaseIps) {
      const pool = book.ownerOf(ip);
      if (!pool) continue;
      const events = releases.get(pool.streamId) ?? [];
      const state = foldPool(pool.state, [...(claims.get(pool.streamId) ?? []), ...events]);
      events.push(...decidePool({ type: 'ReleaseIp', gatewayUid: gateway.uid, ip }, state));
      releases.set(pool.streamId, events);
    }
    // DPA: an idle slot shrinks at its due time with no other trigger (reports come on change).
    const shrink =
      dynamicPorts === undefined
        ? undefined
        : nextShrinkDue(next.slots.values(), dynamicPorts.usage ?? new Map(), dynamicPorts.config);
    const drain = nextDrainDeadline(next);
    const deadline =
      drain === undefined || (shrink !== undefined && shrink < drain) ? shrink : drain;
    return {
      inputs,
      allocation,
      claims,
      allocationEvents,
      next,
      releases,
      usage: {
        slotsUsed: plan.usage.slotsUsed,
        slotsRequested: plan.usage.nicsRequesting,
        slotsTotal: plan.usage.slotsTotal,
        ...(deadline !== undefined ? { nextDrainDeadline: deadline } : {}),
      },
    };
  }

  /**
   * Appends decisions in the log's order: every pool claim (one append per pool stream), then
   * each gateway's allocation events, then every pool release. `book` holds the pools' versions.
   */
  private async appendDecisions(
    decisions: GatewayDecision[],
    book: PoolBook,
    manager: EntityManager,
    written: Written,
  ): Promise<void> {
    const pools = new Map(book.pools.map((p) => [p.streamId, p]));
    const appendPools = async (pick: (d: GatewayDecision) => Map<string, IpPoolEvent[]>) => {
      const byPool = new Map<string, Array<IpPoolEvent & { metadata: EventMetadata }>>();
      for (const d of decisions)
        for (const [streamId, events] of pick(d))
          byPool.set(streamId, [
            ...(byPool.get(streamId) ?? []),
            ...events.map((e) => ({ ...e, metadata: d.inputs.metadata })),
          ]);
      for (const streamId of [...byPool.keys()].sort()) {
        const pool = pools.get(streamId);
        if (pool)
          pools.set(
            streamId,
            await this.appendPool(pool, byPool.get(streamId) ?? [], manager, written),
          );
      }
    };
    await appendPools((d) => d.claims);
    for (const d of decisions)
      await this.appendAllocation(
        d.allocation,
        d.allocationEvents,
        d.inputs.metadata,
        manager,
        written,
        d.next,
      );
    await appendPools((d) => d.releases);
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
      await this.appendAllocation(allocation, events, metadata, manager, written);
      count += events.length;
    }
    for (const pool of book.poolsClaimedBy(gateway.uid)) {
      const events = decidePool({ type: 'ReleaseGatewayIps', gatewayUid: gateway.uid }, pool.state);
      await this.appendPool(
        pool,
        events.map((e) => ({ ...e, metadata })),
        manager,
        written,
      );
      count += events.length;
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

  /** Appends to a pool stream at the version it was read at; returns the pool after. */
  private async appendPool(
    pool: Folded<IpPoolState>,
    events: Array<IpPoolEvent & { metadata: EventMetadata }>,
    manager: EntityManager,
    written: Written,
  ): Promise<Folded<IpPoolState>> {
    if (events.length === 0) return pool;
    const result = await this.store.append(pool.streamId, events, {
      expectedVersion: pool.version,
      manager,
    });
    const next = {
      streamId: pool.streamId,
      version: result.nextExpectedVersion,
      state: foldPool(pool.state, events),
      lastEventId: result.events[result.events.length - 1]?.id,
    };
    written.pools.set(pool.streamId, next);
    return next;
  }

  private async appendAllocation(
    allocation: Folded<AllocationState>,
    events: AllocationEvent[],
    metadata: EventMetadata,
    manager: EntityManager,
    written: Written,
    next: AllocationState = foldAllocation(allocation.state, events),
  ): Promise<void> {
    if (events.length === 0) return;
    const result = await this.store.append(
      allocation.streamId,
      events.map((e) => ({ ...e, metadata })),
      { expectedVersion: allocation.version, manager },
    );
    written.allocations.push({
      streamId: allocation.streamId,
      version: result.nextExpectedVersion,
      state: next,
      lastEventId: result.events[result.events.length - 1]?.id,
    });
  }

  /** After a commit: the caches hold what the transaction appended. */
  private remember(written: Written): void {
    for (const p of written.pools.values()) this.pools.remember(p);
    for (const a of written.allocations) this.allocations.remember(a);
  }

  /** After a failed transaction: the cached states may be ahead of the log. */
  private forget(written: Written): void {
    for (const streamId of written.pools.keys()) this.pools.forget(streamId);
    for (const a of written.allocations) this.allocations.forget(a.streamId);
  }
}

/** The events a decision appends. */
function eventCount(decision: GatewayDecision): number {
  let count = decision.allocationEvents.length;
  for (const events of [...decision.claims.values(), ...decision.releases.values()])
    count += events.length;
  return count;
}

/** The pools with these claims folded in (for planning only: the versions stay the locked ones). */
function withClaims(book: PoolBook, claims: Map<string, IpPoolEvent[]>): PoolBook {
  if (claims.size === 0) return book;
  return new PoolBook(
    book.pools.map((p) => {
      const events = claims.get(p.streamId);
      return events ? { ...p, state: foldPool(p.state, events) } : p;
    }),
  );
}
