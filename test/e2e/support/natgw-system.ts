import {
  ServiceName,
  ServiceProcess,
  createTestDatabase,
  dropTestDatabase,
  testNatsNames,
  deleteTestStream,
} from '@natgw/testing';
import { Client } from 'pg';

/** A whole natgw (real processes from dist/) on its own database and JetStream stream. */
export class NatgwSystem {
  readonly services: ServiceProcess[] = [];

  private constructor(
    readonly databaseUrl: string,
    readonly nats: { stream: string; prefix: string },
    private readonly baseEnv: Record<string, string>,
  ) {}

  /**
   * Creates the database and names; starts nothing yet. `postgresAdminUrl` puts the
   * database on another server than the shared one (a PrivatePostgresServer).
   */
  static async create(
    label: string,
    env: Record<string, string> = {},
    postgresAdminUrl?: string,
  ): Promise<NatgwSystem> {
    const databaseUrl = await createTestDatabase(label, postgresAdminUrl);
    const nats = testNatsNames(label);
    return new NatgwSystem(databaseUrl, nats, {
      DATABASE_URL: databaseUrl,
      NATS_STREAM: nats.stream,
      NATS_SUBJECT_PREFIX: nats.prefix,
      PUBLIC_PREFIXES: '203.0.113.0/24,2001:db8:ffff::/120',
      RECONCILE_INTERVAL_SECONDS: '2',
      // Several systems run at once in CI: PostgreSQL's 100 connections must suffice.
      DATABASE_POOL_SIZE: '3',
      ALLOCATOR_RESYNC_SECONDS: '5',
      // Tests drive the API from one client, faster than a tenant should: no rate limit.
      RATE_LIMIT_QPS: '0',
      ...env,
    });
  }

  /** One more service process of this system, not started yet (destroy() stops it). */
  prepare(service: ServiceName, env: Record<string, string> = {}): ServiceProcess {
    const p = new ServiceProcess(service, { ...this.baseEnv, ...env });
    this.services.push(p);
    return p;
  }

  /** Starts one more service process (waits for /readyz). */
  async start(service: ServiceName, env: Record<string, string> = {}): Promise<ServiceProcess> {
    return this.prepare(service, env).start();
  }

  /**
   * Starts the api-gateway, the allocator and an nftables executor that programs a lab's
   * gateway namespace (`buildNatTopology`'s `gateway`); returns the executor.
   */
  async startOnGateway(
    gateway: { readonly ns: string; readonly uplink: string },
    executorEnv: Record<string, string> = {},
  ): Promise<ServiceProcess> {
    await this.start('api-gateway');
    await this.start('allocator');
    return this.start('dataplane-executor', {
      DATAPLANE_BACKEND: 'nftables',
      DATAPLANE_NETNS: gateway.ns,
      DATAPLANE_UPLINK: gateway.uplink,
      ...executorEnv,
    });
  }

  /** The first api-gateway's base URL for a namespace. */
  async api(namespace = 'default'): Promise<string> {
    const gw = this.services.find((s) => s.service === 'api-gateway');
    if (!gw) throw new Error('no api-gateway started');
    return `${await gw.url}/apis/networking.ironcore.dev/v1alpha1/namespaces/${namespace}`;
  }

  /** Runs a query against the system's database. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const c = new Client({ connectionString: this.databaseUrl });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  /** Stops every process, drops the database and the stream. */
  async destroy(): Promise<void> {
    await Promise.all(this.services.map((s) => s.kill('SIGTERM')));
    await dropTestDatabase(this.databaseUrl).catch(() => undefined);
    await deleteTestStream(this.nats.stream);
  }

  /** Service output for a failing test's message. */
  logs(): string {
    return this.services.map((s) => `--- ${s.service}\n${s.logs(40)}`).join('\n');
  }
}

/** JSON over HTTP, returning status and body. */
export async function http(
  method: string,
  url: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}

const API_VERSION = 'networking.ironcore.dev/v1alpha1';

/** Manifests for the tests, in the seed's shape. */
export const manifests = {
  network: (name: string) => ({
    apiVersion: API_VERSION,
    kind: 'Network',
    metadata: { name },
    spec: {},
  }),
  nic: (name: string, network: string, ips: string[], extra: Record<string, unknown> = {}) => ({
    apiVersion: API_VERSION,
    kind: 'NetworkInterface',
    metadata: { name },
    spec: { networkRef: { name: network }, ips, ...extra },
  }),
  gateway: (name: string, network: string, ppni = 64, ipFamily = 'IPv4') => ({
    apiVersion: API_VERSION,
    kind: 'NATGateway',
    metadata: { name },
    spec: {
      type: 'Public',
      ipFamily,
      portsPerNetworkInterface: ppni,
      networkRef: { name: network },
    },
  }),
  autoscaler: (name: string, gateway: string, min: number, max: number) => ({
    apiVersion: API_VERSION,
    kind: 'NATGatewayAutoscaler',
    metadata: { name },
    spec: { natGatewayRef: { name: gateway }, minPublicIPs: min, maxPublicIPs: max },
  }),
};
