// The fault suite's workload: a seeded random mix of creates, updates and
// deletes of Networks, NetworkInterfaces (on node-a and node-b, with virtual IPs
// added and removed), NATGateways and IP pools, plus reads, sent by concurrent
// clients to either api-gateway over REST and, when the api-gateway serves it,
// over the inbound NATS subject. Each client keeps a model of what it created,
// sends one operation per object at a time and never reuses a name, so every
// answer can be judged: a 404 for an object the model holds is a lost object.
import { headers as natsHeaders, NatsConnection } from '@nats-io/nats-core';
import { resourceStreamId } from '@natgw/contracts';
import { sleep } from '@natgw/testing';
import type { ServiceProcess } from '@natgw/testing';
import { FaultFleet } from './fault-fleet';
import { FaultLedger } from './fault-ledger';
import { rawRequest } from './raw-http';

const API_VERSION = 'networking.ironcore.dev/v1alpha1';
const ADMIN_API_VERSION = 'natgw.ironcore.dev/v1alpha1';
/** A request that takes longer than this is a hang. */
const REQUEST_TIMEOUT_MS = 15_000;
/** An operation that found no answer in this long is given up (and reported). */
const OPERATION_DEADLINE_MS = 120_000;
/** After a NATS restart, api-gateways need a moment to subscribe again. */
const NATS_SETTLE_MS = 30_000;

/** A seeded PRNG (mulberry32): the same seed gives the same workload choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type ModelKind = 'Network' | 'NetworkInterface' | 'NATGateway' | 'IPPool';

interface NicSpec {
  networkRef: { name: string };
  ips: string[];
  nodeName: string;
  virtualIP?: { ip: string };
}

/** One object the workload created and may still touch. */
interface ModelObject {
  kind: ModelKind;
  namespace: string;
  name: string;
  busy: boolean;
  /** NICs: the spec last sent (inbound upserts replace the whole object). */
  nic?: NicSpec;
  /** Pools: the prefixes the pool has. */
  prefixes?: string[];
  poolIndex?: number;
}

/** Workload size and shape. */
export interface WorkloadOptions {
  operations: number;
  clients: number;
  namespaces: number;
  seed: number;
  /** Serve pool operations (the api-gateway answers /apis/natgw.ironcore.dev/v1alpha1/ippools). */
  pools: boolean;
  /** Send a share of NIC writes over `<prefix>.inbound.networkinterfaces.*` through this connection. */
  inbound?: { nc: NatsConnection; prefix: string };
  /** Called before operation `i` starts; may wait (the fault schedule gates the workload). */
  beforeOperation?: (i: number) => Promise<void>;
}

type Outcome = 'ok' | 'conflict' | 'gone' | 'failed';

interface WriteSpec {
  what: string;
  method: string;
  path: string;
  body?: unknown;
  contentType?: string;
  stream: string;
  expect: Record<string, number>;
}

/**
 * The Networks every namespace has from the start. NICs and gateways are spread over them, and
 * every network of every namespace draws private addresses from the same range (10.0.0.1,
 * 10.0.0.2, ..., fd00::1, ...), as tenants do: addresses are unique only within a network.
 */
const BASE_NETWORKS = ['net', 'net2'];

const plural: Record<ModelKind, string> = {
  Network: 'networks',
  NetworkInterface: 'networkinterfaces',
  NATGateway: 'natgateways',
  IPPool: 'ippools',
};

/** Runs the workload against the fleet and records every outcome in the ledger. */
export class FaultWorkload {
  private readonly random: () => number;
  private readonly objects: ModelObject[] = [];
  /** Sequences for unique names, addresses and correlation ids. */
  private nameSeq = 0;
  private poolSeq = 0;
  private vipSeq = 0;
  private cidSeq = 0;
  /** The next private address index of each network (`<namespace>/<network>`). */
  private readonly addressSeq = new Map<string, number>();
  private started = 0;
  private lastNatsRestartSeen = 0;
  private natsRestartEndedAt = 0;
  readonly byVia = { rest: 0, nats: 0 };
  readonly byKind = new Map<string, number>();

  constructor(
    private readonly fleet: FaultFleet,
    private readonly ledger: FaultLedger,
    private readonly options: WorkloadOptions,
  ) {
    this.random = seededRandom(options.seed);
  }

  /** The namespaces the workload uses. */
  get namespaces(): string[] {
    return Array.from({ length: this.options.namespaces }, (_, i) => `f${i}`);
  }

  /** Creates each namespace's base Networks (counted as operations too). */
  async setUp(): Promise<void> {
    for (const ns of this.namespaces) {
      for (const network of BASE_NETWORKS) {
        const outcome = await this.restWrite({
          what: `POST network ${ns}/${network}`,
          method: 'POST',
          path: this.path(ns, 'Network'),
          body: {
            apiVersion: API_VERSION,
            kind: 'Network',
            metadata: { name: network },
            spec: {},
          },
          stream: resourceStreamId('Network', ns, network),
          expect: { NetworkCreated: 1 },
        });
        // The database is fresh, so a 409 means an earlier attempt of this create committed
        // although its answer was lost or was a 503 (restWrite retries both): the network exists.
        if (outcome !== 'ok' && outcome !== 'conflict') {
          throw new Error(`could not create ${ns}/${network}: ${outcome}`);
        }
      }
    }
  }

  /** Runs every operation on `clients` concurrent clients. */
  async run(): Promise<void> {
    await Promise.all(
      Array.from({ length: this.options.clients }, async () => {
        while (this.started < this.options.operations) {
          const i = this.started++;
          await this.options.beforeOperation?.(i);
          this.ledger.operations += 1;
          await this.operation(i);
        }
      }),
    );
  }

  private pick<T>(items: T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  private free(kind: ModelKind, filter: (o: ModelObject) => boolean = () => true) {
    return this.objects.filter((o) => o.kind === kind && !o.busy && filter(o));
  }

  private path(namespace: string, kind: ModelKind, name = ''): string {
    const tail = name ? `/${name}` : '';
    if (kind === 'IPPool') return `/apis/${ADMIN_API_VERSION}/ippools${tail}`;
    return `/apis/${API_VERSION}/namespaces/${namespace}/${plural[kind]}${tail}`;
  }

  private async operation(i: number): Promise<void> {
    const weights: Array<[string, number]> = [
      ['nic.create', 26],
      ['nic.update', 22],
      ['nic.delete', 11],
      ['gateway.create', 5],
      ['gateway.update', 4],
      ['gateway.delete', 3],
      ['network.create', 4],
      ['network.update', 3],
      ['network.delete', 3],
      ['read', 9],
      ...(this.options.pools
        ? ([
            ['pool.create', 3],
            ['pool.update', 3],
            ['pool.delete', 2],
          ] as Array<[string, number]>)
        : []),
    ];
    const total = weights.reduce((s, [, w]) => s + w, 0);
    let r = this.random() * total;
    let choice = weights[0][0];
    for (const [name, w] of weights) {
      if ((r -= w) < 0) {
        choice = name;
        break;
      }
    }
    const [kind, action] = choice.split('.');
    this.byKind.set(choice, (this.byKind.get(choice) ?? 0) + 1);
    const id = `op${i}`;
    switch (kind) {
      case 'nic':
        return this.nicOperation(action, id);
      case 'gateway':
        return this.gatewayOperation(action, id);
      case 'network':
        return this.networkOperation(action, id);
      case 'pool':
        return this.poolOperation(action);
      default:
        return this.read();
    }
  }

  /**
   * A new NIC's spec: in one of the namespace's networks, with the network's next private
   * addresses, which every other network of every namespace uses too (never twice in one
   * network, also not after a delete).
   */
  private nextNicSpec(ns: string): NicSpec {
    const network = this.pick(BASE_NETWORKS);
    const key = `${ns}/${network}`;
    const k = this.addressSeq.get(key) ?? 0;
    this.addressSeq.set(key, k + 1);
    const ips = [`10.0.${Math.floor(k / 200)}.${(k % 200) + 1}`];
    if (this.random() < 0.35) ips.push(`fd00::${(k + 1).toString(16)}`);
    return {
      networkRef: { name: network },
      ips,
      nodeName: this.random() < 0.5 ? 'node-a' : 'node-b',
      ...(this.random() < 0.1 ? { virtualIP: { ip: this.virtualIp() } } : {}),
    };
  }

  private virtualIp(): string {
    const k = this.vipSeq++;
    return `198.18.${Math.floor(k / 250) % 250}.${(k % 250) + 1}`;
  }

  private useInbound(): boolean {
    return this.options.inbound !== undefined && this.random() < 1 / 3;
  }

  private async nicOperation(action: string, id: string): Promise<void> {
    const candidates = this.free('NetworkInterface');
    if (action === 'create' || candidates.length === 0) {
      const nsIndex = Math.floor(this.random() * this.options.namespaces);
      const ns = `f${nsIndex}`;
      const k = this.nameSeq++;
      const obj: ModelObject = {
        kind: 'NetworkInterface',
        namespace: ns,
        name: `nic-${k}`,
        busy: true,
        nic: this.nextNicSpec(ns),
      };
      const manifest = {
        apiVersion: API_VERSION,
        kind: 'NetworkInterface',
        metadata: { name: obj.name, namespace: ns, labels: { op: id } },
        spec: obj.nic,
      };
      const stream = resourceStreamId('NetworkInterface', ns, obj.name);
      const outcome = this.useInbound()
        ? await this.inbound('upsert', id, { requestId: id, object: manifest }, stream, {
            NetworkInterfaceCreated: 1,
          })
        : await this.restWrite({
            what: `POST networkinterface ${ns}/${obj.name}`,
            method: 'POST',
            path: this.path(ns, 'NetworkInterface'),
            body: manifest,
            stream,
            expect: { NetworkInterfaceCreated: 1 },
          });
      return this.settleCreate(obj, outcome);
    }
    const obj = this.pick(candidates);
    obj.busy = true;
    const stream = resourceStreamId('NetworkInterface', obj.namespace, obj.name);
    if (action === 'update') {
      const nic = obj.nic as NicSpec;
      const roll = this.random();
      const next: NicSpec = { ...nic };
      let specPatch: Record<string, unknown> = {};
      if (roll < 0.3) {
        next.nodeName = nic.nodeName === 'node-a' ? 'node-b' : 'node-a';
        specPatch = { nodeName: next.nodeName };
      } else if (roll < 0.6) {
        // Virtual IPs come and go: with one the NIC needs no NAT in that family.
        if (nic.virtualIP) delete next.virtualIP;
        else next.virtualIP = { ip: this.virtualIp() };
        specPatch = { virtualIP: next.virtualIP ?? null };
      }
      let outcome: Outcome;
      if (this.useInbound()) {
        const manifest = {
          apiVersion: API_VERSION,
          kind: 'NetworkInterface',
          metadata: { name: obj.name, namespace: obj.namespace, labels: { op: id } },
          spec: next,
        };
        outcome = await this.inbound('upsert', id, { requestId: id, object: manifest }, stream, {
          NetworkInterfaceUpdated: 1,
        });
      } else {
        outcome = await this.restWrite(
          {
            what: `PATCH networkinterface ${obj.namespace}/${obj.name}`,
            method: 'PATCH',
            path: this.path(obj.namespace, 'NetworkInterface', obj.name),
            contentType: 'application/merge-patch+json',
            body: { metadata: { labels: { op: id } }, spec: specPatch },
            stream,
            expect: { NetworkInterfaceUpdated: 1 },
          },
          (attempt) => ({ metadata: { labels: { op: `${id}.${attempt}` } }, spec: specPatch }),
        );
      }
      if (outcome === 'ok') obj.nic = next;
      return this.settleUpdate(obj, outcome);
    }
    const outcome = this.useInbound()
      ? await this.inbound(
          'delete',
          id,
          { requestId: id, namespace: obj.namespace, name: obj.name },
          stream,
          { NetworkInterfaceDeletionRequested: 1 },
        )
      : await this.restWrite({
          what: `DELETE networkinterface ${obj.namespace}/${obj.name}`,
          method: 'DELETE',
          path: this.path(obj.namespace, 'NetworkInterface', obj.name),
          stream,
          expect: { NetworkInterfaceDeletionRequested: 1 },
        });
    return this.settleDelete(obj, outcome);
  }

  private async gatewayOperation(action: string, id: string): Promise<void> {
    const candidates = this.free('NATGateway');
    const ns = this.pick(this.namespaces);
    const liveIn = (n: string) =>
      this.objects.filter((o) => o.kind === 'NATGateway' && o.namespace === n).length;
    if ((action === 'create' && liveIn(ns) < 3) || candidates.length === 0) {
      const obj: ModelObject = {
        kind: 'NATGateway',
        namespace: ns,
        name: `gw-${this.nameSeq++}`,
        busy: true,
      };
      const outcome = await this.restWrite({
        what: `POST natgateway ${ns}/${obj.name}`,
        method: 'POST',
        path: this.path(ns, 'NATGateway'),
        body: {
          apiVersion: API_VERSION,
          kind: 'NATGateway',
          metadata: { name: obj.name, labels: { op: id } },
          spec: {
            type: 'Public',
            ipFamily: this.random() < 0.7 ? 'IPv4' : 'IPv6',
            portsPerNetworkInterface: this.random() < 0.5 ? 1024 : 2048,
            networkRef: { name: this.pick(BASE_NETWORKS) },
          },
        },
        stream: resourceStreamId('NATGateway', ns, obj.name),
        expect: { NATGatewayCreated: 1 },
      });
      return this.settleCreate(obj, outcome);
    }
    const obj = this.pick(candidates);
    obj.busy = true;
    const stream = resourceStreamId('NATGateway', obj.namespace, obj.name);
    if (action === 'update' || action === 'create') {
      // A new port budget re-slots every NIC of the gateway.
      const spec = this.random() < 0.4 ? { portsPerNetworkInterface: this.pick([1024, 2048]) } : {};
      const outcome = await this.restWrite(
        {
          what: `PATCH natgateway ${obj.namespace}/${obj.name}`,
          method: 'PATCH',
          path: this.path(obj.namespace, 'NATGateway', obj.name),
          contentType: 'application/merge-patch+json',
          stream,
          expect: { NATGatewayUpdated: 1 },
        },
        (attempt) => ({ metadata: { labels: { op: `${id}.${attempt}` } }, spec }),
      );
      return this.settleUpdate(obj, outcome);
    }
    const outcome = await this.restWrite({
      what: `DELETE natgateway ${obj.namespace}/${obj.name}`,
      method: 'DELETE',
      path: this.path(obj.namespace, 'NATGateway', obj.name),
      stream,
      expect: { NATGatewayDeletionRequested: 1 },
    });
    return this.settleDelete(obj, outcome);
  }

  private async networkOperation(action: string, id: string): Promise<void> {
    const candidates = this.free('Network');
    if (action === 'create' || candidates.length === 0) {
      const ns = this.pick(this.namespaces);
      const obj: ModelObject = {
        kind: 'Network',
        namespace: ns,
        name: `xnet-${this.nameSeq++}`,
        busy: true,
      };
      const outcome = await this.restWrite({
        what: `POST network ${ns}/${obj.name}`,
        method: 'POST',
        path: this.path(ns, 'Network'),
        body: {
          apiVersion: API_VERSION,
          kind: 'Network',
          metadata: { name: obj.name, labels: { op: id } },
          spec: {},
        },
        stream: resourceStreamId('Network', ns, obj.name),
        expect: { NetworkCreated: 1 },
      });
      return this.settleCreate(obj, outcome);
    }
    const obj = this.pick(candidates);
    obj.busy = true;
    const stream = resourceStreamId('Network', obj.namespace, obj.name);
    if (action === 'update') {
      const outcome = await this.restWrite(
        {
          what: `PATCH network ${obj.namespace}/${obj.name}`,
          method: 'PATCH',
          path: this.path(obj.namespace, 'Network', obj.name),
          contentType: 'application/merge-patch+json',
          stream,
          expect: { NetworkUpdated: 1 },
        },
        (attempt) => ({ metadata: { labels: { op: `${id}.${attempt}` } } }),
      );
      return this.settleUpdate(obj, outcome);
    }
    const outcome = await this.restWrite({
      what: `DELETE network ${obj.namespace}/${obj.name}`,
      method: 'DELETE',
      path: this.path(obj.namespace, 'Network', obj.name),
      stream,
      // Without finalizers the API appends both at once.
      expect: { NetworkDeletionRequested: 1, NetworkDeleted: 1 },
    });
    return this.settleDelete(obj, outcome);
  }

  private poolPrefixes(index: number, wide: boolean): string[] {
    const base = `198.19.${index % 250}`;
    return wide ? [`${base}.0/28`, `${base}.16/28`] : [`${base}.0/28`];
  }

  private async poolOperation(action: string): Promise<void> {
    const candidates = this.free('IPPool');
    if (action === 'create' || candidates.length === 0) {
      const index = this.poolSeq++;
      const obj: ModelObject = {
        kind: 'IPPool',
        namespace: '',
        name: `fpool-${index}`,
        busy: true,
        poolIndex: index,
        prefixes: this.poolPrefixes(index, false),
      };
      const outcome = await this.restWrite({
        what: `POST ippool ${obj.name}`,
        method: 'POST',
        path: this.path('', 'IPPool'),
        body: {
          apiVersion: ADMIN_API_VERSION,
          kind: 'IPPool',
          metadata: { name: obj.name },
          spec: { prefixes: obj.prefixes },
        },
        stream: `ippool:${obj.name}`,
        expect: { PublicPrefixAdded: 1 },
      });
      return this.settleCreate(obj, outcome);
    }
    const obj = this.pick(candidates);
    obj.busy = true;
    const current = obj.prefixes as string[];
    if (action === 'update') {
      const next = this.poolPrefixes(obj.poolIndex as number, current.length === 1);
      const added = next.filter((p) => !current.includes(p)).length;
      const removed = current.filter((p) => !next.includes(p)).length;
      const outcome = await this.restWrite({
        what: `PATCH ippool ${obj.name}`,
        method: 'PATCH',
        path: this.path('', 'IPPool', obj.name),
        contentType: 'application/merge-patch+json',
        body: { spec: { prefixes: next } },
        stream: `ippool:${obj.name}`,
        expect: {
          ...(added > 0 ? { PublicPrefixAdded: added } : {}),
          ...(removed > 0 ? { PublicPrefixRemoved: removed } : {}),
        },
      });
      if (outcome === 'ok') obj.prefixes = next;
      // A removed prefix whose addresses a gateway holds is refused (409): the pool is unchanged.
      return this.settleUpdate(obj, outcome);
    }
    const outcome = await this.restWrite({
      what: `DELETE ippool ${obj.name}`,
      method: 'DELETE',
      path: this.path('', 'IPPool', obj.name),
      stream: `ippool:${obj.name}`,
      expect: { PublicPrefixRemoved: current.length },
    });
    if (outcome === 'conflict') {
      // In use: the pool keeps its prefixes.
      obj.busy = false;
      return;
    }
    return this.settleDelete(obj, outcome);
  }

  private async read(): Promise<void> {
    const ns = this.pick(this.namespaces);
    const path =
      this.random() < 0.5 ? this.path(ns, 'NetworkInterface') : this.path(ns, 'Network', 'net');
    await this.restWrite({ what: `GET ${path}`, method: 'GET', path, stream: '', expect: {} });
  }

  private settleCreate(obj: ModelObject, outcome: Outcome): void {
    // 409 after an attempt whose answer was lost: that attempt created it.
    if (outcome === 'ok' || outcome === 'conflict') {
      obj.busy = false;
      this.objects.push(obj);
    }
  }

  private settleUpdate(obj: ModelObject, outcome: Outcome): void {
    if (outcome === 'failed' || outcome === 'gone') this.forget(obj);
    else obj.busy = false;
  }

  private settleDelete(obj: ModelObject, outcome: Outcome): void {
    if (outcome === 'conflict') obj.busy = false;
    else this.forget(obj);
  }

  private forget(obj: ModelObject): void {
    const at = this.objects.indexOf(obj);
    if (at >= 0) this.objects.splice(at, 1);
  }

  /** True when a request to `gw` that started at `epoch` may have been cut by a deliberate kill. */
  private killed(gw: ServiceProcess, epoch: number): boolean {
    return this.fleet.isDown(gw) || this.fleet.epochOf(gw) !== epoch;
  }

  /**
   * One REST operation, retried like a careful client: a failed connection to a
   * killed api-gateway goes to the other one; 503 and 429 wait for Retry-After.
   * Writes carry a fresh `x-correlation-id` per attempt, which the API records on
   * the events it appends.
   */
  private async restWrite(
    spec: WriteSpec,
    bodyFor?: (attempt: number) => unknown,
  ): Promise<Outcome> {
    const deadline = Date.now() + OPERATION_DEADLINE_MS;
    const attempts: string[] = [];
    const isWrite = spec.method !== 'GET';
    let ambiguous = false;
    let avoid: ServiceProcess | undefined;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      const gw = this.fleet.pickGateway(this.random, avoid);
      const epoch = this.fleet.epochOf(gw);
      const cid = `${spec.what.split(' ')[0].toLowerCase()}-${this.cidSeq++}-${attempt}`;
      attempts.push(cid);
      const body = bodyFor ? bodyFor(attempt) : spec.body;
      const result = await rawRequest(`${await gw.url}${spec.path}`, {
        method: spec.method,
        timeoutMs: REQUEST_TIMEOUT_MS,
        headers: {
          'x-correlation-id': cid,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': spec.contentType ?? 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (isWrite) this.byVia.rest += 1;
      if (result.kind !== 'response') {
        const cut = this.killed(gw, epoch);
        if (cut) this.ledger.count(`no response from a killed api-gateway (${result.kind})`);
        else
          this.ledger.violation(
            spec.what,
            `${result.kind === 'timeout' ? 'hang' : 'dropped connection'}: ${result.error}`,
          );
        ambiguous = true;
        avoid = gw;
        await sleep(cut ? 100 : 500);
        continue;
      }
      const { status } = result;
      if (status >= 200 && status < 300) {
        this.ledger.count(`${status}`);
        if (isWrite) {
          this.ledger.acked.push({
            what: spec.what,
            via: 'rest',
            stream: spec.stream,
            correlationId: cid,
            attempts,
            ambiguousBefore: ambiguous,
            expect: spec.expect,
          });
        }
        return 'ok';
      }
      if (status === 503 || status === 429) {
        const retryAfter = result.headers['retry-after'];
        if (retryAfter === undefined || !/^\d+$/.test(retryAfter)) {
          this.ledger.violation(spec.what, `${status} without Retry-After: ${result.body}`);
        } else {
          this.ledger.count(`${status} with Retry-After`);
        }
        // The write may have been committed before the failure that answered 503.
        ambiguous = true;
        await sleep(Math.min(Number(retryAfter ?? 1), 2) * 1000);
        continue;
      }
      if (status === 409) {
        this.ledger.count(ambiguous ? '409 (after a lost answer)' : '409');
        if (!ambiguous && isWrite)
          this.ledger.refused.push({
            what: spec.what,
            stream: spec.stream,
            correlationId: cid,
            status,
          });
        return 'conflict';
      }
      if (status === 404 && ambiguous && spec.method === 'DELETE') {
        // An earlier attempt whose answer was lost deleted it.
        this.ledger.count('404 (after a lost answer)');
        return 'gone';
      }
      this.ledger.violation(spec.what, `${status}: ${result.body.slice(0, 300)}`);
      return 'failed';
    }
    this.ledger.count('given up after the operation deadline');
    return 'failed';
  }

  /** True while inbound requests may go unanswered for a fault's sake. */
  private natsDisturbed(restartsAtStart: number): boolean {
    const restarts = this.fleet.natsRestarts;
    if (restarts !== this.lastNatsRestartSeen && !this.fleet.natsIsDown) {
      this.lastNatsRestartSeen = restarts;
      this.natsRestartEndedAt = Date.now();
    }
    return (
      this.fleet.natsIsDown ||
      restarts !== restartsAtStart ||
      Date.now() - this.natsRestartEndedAt < NATS_SETTLE_MS
    );
  }

  /**
   * One inbound request/reply on `<prefix>.inbound.networkinterfaces.<op>`. A
   * retry sends the same request id, which the api-gateway uses to apply the
   * request once.
   */
  private async inbound(
    operation: 'upsert' | 'delete',
    requestId: string,
    envelope: Record<string, unknown>,
    stream: string,
    expect: Record<string, number>,
  ): Promise<Outcome> {
    const { nc, prefix } = this.options.inbound as { nc: NatsConnection; prefix: string };
    const subject = `${prefix}.inbound.networkinterfaces.${operation}`;
    const what = `NATS ${operation} ${stream}`;
    const deadline = Date.now() + OPERATION_DEADLINE_MS;
    let ambiguous = false;
    while (Date.now() < deadline) {
      const natsEpoch = this.fleet.natsRestarts;
      const gatewayEpochs = this.fleet.gateways.map((g) => this.fleet.epochOf(g));
      // A request published while a gateway is being killed may be delivered to it.
      const gatewayDownAtStart = this.fleet.gateways.some((g) => this.fleet.isDown(g));
      this.byVia.nats += 1;
      let reply: { status: number; body: string } | undefined;
      let failure = '';
      try {
        const h = natsHeaders();
        h.set('Nats-Msg-Id', requestId);
        const msg = await nc.request(subject, JSON.stringify(envelope), {
          timeout: REQUEST_TIMEOUT_MS,
          headers: h,
        });
        reply = {
          status: Number(msg.headers?.get('Natgw-Status-Code') ?? 0),
          body: msg.string(),
        };
      } catch (err) {
        failure = (err as Error).message;
      }
      if (!reply) {
        const gatewayKilled =
          gatewayDownAtStart ||
          this.fleet.gateways.some(
            (g, i) => this.fleet.isDown(g) || this.fleet.epochOf(g) !== gatewayEpochs[i],
          );
        if (this.natsDisturbed(natsEpoch) || gatewayKilled) {
          this.ledger.count('inbound: no reply during a NATS restart or api-gateway kill');
        } else {
          this.ledger.violation(what, `no reply: ${failure}`);
        }
        ambiguous = true;
        await sleep(250);
        continue;
      }
      const { status } = reply;
      if (status >= 200 && status < 300) {
        this.ledger.count(`inbound ${status}`);
        this.ledger.acked.push({
          what,
          via: 'nats',
          stream,
          correlationId: requestId,
          attempts: [requestId],
          ambiguousBefore: ambiguous,
          expect,
        });
        return 'ok';
      }
      if (status === 503 || status === 429) {
        this.ledger.count(`inbound ${status}`);
        ambiguous = true;
        await sleep(1000);
        continue;
      }
      if (status === 409) {
        this.ledger.count('inbound 409');
        return 'conflict';
      }
      this.ledger.violation(what, `inbound ${status}: ${reply.body.slice(0, 300)}`);
      return 'failed';
    }
    this.ledger.count('inbound: given up after the operation deadline');
    return 'failed';
  }
}
