// A natgw for fault injection: two api-gateways, two allocators and one executor
// per node (node-a: nftables in a scratch namespace, node-b: memory), all on a
// private nats-server that can be restarted without disturbing other tests. It
// injects the faults (kill -9 and restart a service, restart NATS, cut every
// PostgreSQL connection of the system's database) and remembers when each
// target was down, so a client can tell an expected failure from a real one.
import { spawn } from 'node:child_process';
import {
  NetnsLab,
  PrivateNatsServer,
  PrivatePostgresServer,
  ServiceName,
  ServiceProcess,
  sleep,
} from '@natgw/testing';
import { NatgwSystem } from './natgw-system';

/** One executor: its node, backend and process. */
export interface FleetExecutor {
  node: string;
  backend: 'nftables' | 'memory';
  process: ServiceProcess;
}

/** What one injected fault was, for the report. */
export interface InjectedFault {
  kind: 'kill' | 'kill-relay-holder' | 'restart-nats' | 'cut-database' | 'restart-postgres';
  target: string;
  /** ms after the workload started. */
  at: number;
  downMs: number;
  detail?: string;
}

/** Runs a command and returns its stdout (empty on failure). */
function output(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', () => resolve(''));
    child.on('close', () => resolve(out));
  });
}

/** The natgw processes, the private NATS, and the fault bookkeeping. */
export class FaultFleet {
  readonly gateways: ServiceProcess[] = [];
  readonly allocators: ServiceProcess[] = [];
  readonly executors: FleetExecutor[] = [];
  readonly faults: InjectedFault[] = [];
  private readonly epochs = new Map<ServiceProcess, number>();
  private readonly down = new Set<ServiceProcess>();
  private natsEpoch = 0;
  private natsDown = false;
  private postgresRestarts = 0;
  private started = Date.now();

  private constructor(
    readonly system: NatgwSystem,
    readonly nats: PrivateNatsServer,
    readonly lab: NetnsLab,
    readonly nftablesNamespace: string,
    /** The system's own PostgreSQL server, when it has one (it can then be restarted). */
    readonly postgres?: PrivatePostgresServer,
  ) {}

  /**
   * Starts everything: NATS, the namespace for node-a, and six service processes.
   * With `privatePostgres` the system's database lives on a PostgreSQL server of
   * its own, which restartPostgres() may restart; otherwise on the shared one.
   */
  static async start(
    label: string,
    env: Record<string, string> = {},
    options: { privatePostgres?: boolean } = {},
  ): Promise<FaultFleet> {
    const nats = await PrivateNatsServer.start();
    const lab = new NetnsLab();
    let system: NatgwSystem | undefined;
    let postgres: PrivatePostgresServer | undefined;
    try {
      const ns = await lab.namespace('faults');
      if (options.privatePostgres) postgres = await PrivatePostgresServer.start();
      // Small pools: six processes share a PostgreSQL that other tests may use too.
      system = await NatgwSystem.create(
        label,
        { NATS_URL: nats.url, DATABASE_POOL_SIZE: '4', ...env },
        postgres?.url(),
      );
      const fleet = new FaultFleet(system, nats, lab, ns, postgres);
      const s = system;
      const launch = async (service: ServiceName, extra: Record<string, string> = {}) => {
        const p = s.prepare(service, extra);
        await fleet.restart(p);
        return p;
      };
      const [gw1, gw2] = await Promise.all([launch('api-gateway'), launch('api-gateway')]);
      fleet.gateways.push(gw1, gw2);
      const [a1, a2] = await Promise.all([launch('allocator'), launch('allocator')]);
      fleet.allocators.push(a1, a2);
      const [ea, eb] = await Promise.all([
        launch('dataplane-executor', {
          NODE_NAME: 'node-a',
          DATAPLANE_BACKEND: 'nftables',
          DATAPLANE_NETNS: ns,
          DATAPLANE_UPLINK: 'lo',
        }),
        launch('dataplane-executor', { NODE_NAME: 'node-b', DATAPLANE_BACKEND: 'memory' }),
      ]);
      fleet.executors.push(
        { node: 'node-a', backend: 'nftables', process: ea },
        { node: 'node-b', backend: 'memory', process: eb },
      );
      for (const p of fleet.all) fleet.epochs.set(p, 0);
      return fleet;
    } catch (err) {
      await system?.destroy().catch(() => undefined);
      await postgres?.destroy();
      await nats.destroy();
      await lab.destroy();
      throw err;
    }
  }

  /** Every service process. */
  get all(): ServiceProcess[] {
    return [...this.gateways, ...this.allocators, ...this.executors.map((e) => e.process)];
  }

  /** Marks the start of the workload (fault times are relative to it). */
  markStart(): void {
    this.started = Date.now();
  }

  /** A label for a process in reports: `api-gateway#1`. */
  label(p: ServiceProcess): string {
    const gw = this.gateways.indexOf(p);
    if (gw >= 0) return `api-gateway#${gw + 1}`;
    const al = this.allocators.indexOf(p);
    if (al >= 0) return `allocator#${al + 1}`;
    const ex = this.executors.find((e) => e.process === p);
    return ex ? `executor(${ex.node}, ${ex.backend})` : p.service;
  }

  /** How often `p` was killed so far; a request that saw it change was cut by a kill. */
  epochOf(p: ServiceProcess): number {
    return this.epochs.get(p) ?? 0;
  }

  /** True while `p` is deliberately down (killed and not yet ready again). */
  isDown(p: ServiceProcess): boolean {
    return this.down.has(p);
  }

  /** NATS restarts so far, for inbound requests to tell a NATS outage. */
  get natsRestarts(): number {
    return this.natsEpoch;
  }

  /** True while NATS is deliberately down. */
  get natsIsDown(): boolean {
    return this.natsDown;
  }

  /** An api-gateway that is up, preferring `avoid`'s sibling; the first one when both are down. */
  pickGateway(random: () => number, avoid?: ServiceProcess): ServiceProcess {
    const up = this.gateways.filter((g) => !this.down.has(g) && g !== avoid);
    if (up.length > 0) return up[Math.floor(random() * up.length)];
    return this.gateways.find((g) => !this.down.has(g)) ?? this.gateways[0];
  }

  /** kill -9, stay down for `downMs`, start again and wait until ready. */
  async crash(p: ServiceProcess, downMs: number, kind: InjectedFault['kind'] = 'kill') {
    const at = Date.now() - this.started;
    this.down.add(p);
    this.epochs.set(p, this.epochOf(p) + 1);
    await p.kill('SIGKILL');
    await sleep(downMs);
    try {
      await this.restart(p);
    } finally {
      this.down.delete(p);
    }
    this.faults.push({ kind, target: this.label(p), at, downMs });
  }

  /** Starts a (killed) process; retries when it exits at start (a PostgreSQL out of slots). */
  private async restart(p: ServiceProcess): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await p.start(120_000);
        return;
      } catch (err) {
        if (attempt >= 5 || p.running) throw err;
        await sleep(2000);
      }
    }
  }

  /**
   * A query against the system's database that waits out a PostgreSQL without free
   * connection slots (shared with other tests) or a session cut by a fault.
   */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.system.query<T>(sql, params);
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        const transient =
          ['53300', '57P01', '57P03', 'ECONNREFUSED', 'ECONNRESET'].includes(code) ||
          /terminat/i.test(String(err));
        if (!transient || attempt >= 60) throw err;
        await sleep(1000);
      }
    }
  }

  /**
   * The process whose relay holds the relay's advisory lock: the PostgreSQL
   * session with application_name natgw-relay that holds an advisory lock, mapped
   * to its local process through the client port (ss).
   */
  async relayHolder(): Promise<ServiceProcess | undefined> {
    const rows = await this.query<{ port: number }>(
      `SELECT a.client_port AS port FROM pg_stat_activity a
         JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
        WHERE a.datname = current_database() AND a.application_name = 'natgw-relay'`,
    );
    for (const { port } of rows) {
      const line = await output('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`]);
      const pid = /pid=(\d+)/.exec(line)?.[1];
      const holder = this.all.find((p) => pid !== undefined && p.pid === Number(pid));
      if (holder) return holder;
    }
    return undefined;
  }

  /** Stops nats-server (alternately SIGKILL and SIGTERM), waits `downMs`, starts it again. */
  async restartNats(downMs: number): Promise<void> {
    const at = Date.now() - this.started;
    const signal = this.natsEpoch % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
    this.natsDown = true;
    this.natsEpoch += 1;
    try {
      await this.nats.stop(signal);
      await sleep(downMs);
      await this.nats.start(30_000);
    } finally {
      this.natsDown = false;
    }
    this.faults.push({ kind: 'restart-nats', target: `nats-server (${signal})`, at, downMs });
  }

  /** PostgreSQL restarts so far (a private server only). */
  get databaseRestarts(): number {
    return this.postgresRestarts;
  }

  /**
   * Stops the system's own PostgreSQL (alternately a fast shutdown and an
   * immediate one, i.e. a crash with recovery), waits `downMs`, starts it again.
   */
  async restartPostgres(downMs: number): Promise<void> {
    const pg = this.postgres;
    if (!pg) throw new Error('restartPostgres needs a fleet started with privatePostgres');
    const at = Date.now() - this.started;
    const mode = this.postgresRestarts % 2 === 0 ? 'fast' : 'immediate';
    this.postgresRestarts += 1;
    await pg.stop(mode);
    await sleep(downMs);
    await pg.start();
    this.faults.push({ kind: 'restart-postgres', target: `PostgreSQL (${mode} stop)`, at, downMs });
  }

  /** pg_terminate_backend on every other session of the system's database; returns how many. */
  async cutDatabase(): Promise<number> {
    const at = Date.now() - this.started;
    const [row] = await this.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    this.faults.push({
      kind: 'cut-database',
      target: 'PostgreSQL sessions',
      at,
      downMs: 0,
      detail: `${row.n} terminated`,
    });
    return row.n;
  }

  /** Waits until every service answers /readyz again (after the last fault). */
  async allReady(): Promise<void> {
    await Promise.all(this.all.map((p) => p.waitReady(120_000)));
  }

  /** Every service's retained output lines that contain `text`, labelled by service. */
  linesContaining(text: string): string[] {
    return this.all.flatMap((p) => p.linesContaining(text).map((l) => `${this.label(p)}: ${l}`));
  }

  /** The last lines of every service's output, for a failing test's message. */
  logs(lines = 30): string {
    return this.all.map((p) => `--- ${this.label(p)}\n${p.logs(lines)}`).join('\n');
  }

  /** Stops everything and removes the database, the NATS store and the namespace. */
  async destroy(): Promise<void> {
    await this.system.destroy().catch(() => undefined);
    await this.postgres?.destroy();
    await this.nats.destroy();
    await this.lab.destroy();
  }
}
