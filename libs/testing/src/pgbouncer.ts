import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { canConnectLoopback } from './nats-server';
import { freePort } from './service-process';

const BINARIES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** One server connection PgBouncer holds (its admin console's SHOW SERVERS). */
export interface PgBouncerServerConnection {
  database: string;
  state: string;
  /** The local port of the connection to PostgreSQL (pg_stat_activity.client_port). */
  localPort: number;
}

/**
 * Debian's PgBouncer in transaction mode on a free loopback port, in front of a
 * PostgreSQL server (trust authentication, every database), with a small server pool.
 * Runs as the `postgres` user when started as root (PgBouncer refuses root).
 */
export class PrivatePgBouncer {
  private child?: ChildProcess;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly binary: string,
  ) {}

  static available(): boolean {
    return BINARIES.some((b) => existsSync(b));
  }

  static async start({
    upstreamHost = '127.0.0.1',
    upstreamPort = 5432,
    poolSize = 4,
  } = {}): Promise<PrivatePgBouncer> {
    const binary = BINARIES.find((b) => existsSync(b));
    if (!binary) throw new Error('pgbouncer is not installed (Debian: apt-get install pgbouncer)');
    const dir = mkdtempSync(join(tmpdir(), 'natgw-pgbouncer-'));
    chmodSync(dir, 0o755);
    const port = await freePort();
    writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n');
    writeFileSync(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=${upstreamHost} port=${upstreamPort}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        'admin_users = postgres',
        'pool_mode = transaction',
        `default_pool_size = ${poolSize}`,
        'max_client_conn = 500',
        'server_reset_query =',
        'ignore_startup_parameters = extra_float_digits,options',
        '',
      ].join('\n'),
    );
    const bouncer = new PrivatePgBouncer(port, dir, binary);
    await bouncer.run();
    return bouncer;
  }

  private async run(): Promise<void> {
    const asRoot = process.getuid?.() === 0;
    const args = [...(asRoot ? ['-u', 'postgres'] : []), join(this.dir, 'pgbouncer.ini')];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + 15_000;
    while (!(await canConnectLoopback(this.port))) {
      if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${this.output}`);
      if (Date.now() > deadline) throw new Error(`pgbouncer did not listen: ${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A URL of `database` through this PgBouncer (user postgres). */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** The server connections PgBouncer holds now (SHOW SERVERS on its admin console). */
  async servers(): Promise<PgBouncerServerConnection[]> {
    const c = new Client({ connectionString: this.url('pgbouncer') });
    await c.connect();
    try {
      // No parameters: the simple protocol, which the admin console requires.
      const r = await c.query<{ database: string; state: string; local_port: number }>(
        'SHOW SERVERS',
      );
      return r.rows.map((row) => ({
        database: row.database,
        state: row.state,
        localPort: Number(row.local_port),
      }));
    } finally {
      await c.end();
    }
  }

  logs(): string {
    return this.output;
  }

  async destroy(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
