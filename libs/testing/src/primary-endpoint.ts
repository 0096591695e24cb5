import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './service-process';

/** A PostgreSQL server the endpoint may send clients to. */
export interface EndpointNode {
  port: number;
  url(database?: string): string;
}

/** True when Debian's haproxy is installed. */
export function haproxyAvailable(): boolean {
  return spawnSync('haproxy', ['-v']).status === 0;
}

/** True when the server answers and is not in recovery (a primary). */
async function isPrimary(node: EndpointNode): Promise<boolean> {
  const c = new Client({ connectionString: node.url(), connectionTimeoutMillis: 500 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const r = await c.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    return r.rows[0]?.standby === false;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * One stable PostgreSQL address that always leads to the current primary, as Patroni behind
 * HAProxy (or CloudNativePG's `-rw` Service) gives in production: a real `haproxy` in TCP mode
 * whose HTTP health check asks a role endpoint per server (`GET /primary`: 200 only when the
 * server is a primary, as Patroni's REST API answers). A server that stops being the primary
 * is marked down within ~0.5 s and its client sessions are cut (`on-marked-down
 * shutdown-sessions`), so clients reconnect to whichever server became the primary.
 */
export class PrimaryEndpoint {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly checks: Server[],
    private readonly haproxy: ChildProcess,
    private readonly output: string[],
  ) {}

  static async start(nodes: readonly EndpointNode[]): Promise<PrimaryEndpoint> {
    const checks: Server[] = [];
    const checkPorts: number[] = [];
    for (const node of nodes) {
      const server = createServer((req, res) => {
        void isPrimary(node).then((primary) => {
          res.statusCode = req.url === '/primary' && primary ? 200 : 503;
          res.end(primary ? 'primary' : 'not primary');
        });
      });
      const port = await freePort();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      checks.push(server);
      checkPorts.push(port);
    }
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'natgw-haproxy-'));
    const config = [
      'global',
      '  maxconn 2000',
      'defaults',
      '  mode tcp',
      '  timeout connect 2s',
      '  timeout client 1h',
      '  timeout server 1h',
      '  timeout check 1s',
      'listen postgres',
      `  bind 127.0.0.1:${port}`,
      '  option httpchk GET /primary',
      '  http-check expect status 200',
      '  default-server inter 250ms fall 2 rise 1 on-marked-down shutdown-sessions',
      ...nodes.map((n, i) => `  server pg${i + 1} 127.0.0.1:${n.port} check port ${checkPorts[i]}`),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'haproxy.cfg'), config);
    const output: string[] = [];
    const child = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    return new PrimaryEndpoint(port, dir, checks, child, output);
  }

  /** The URL of a database through the endpoint. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** haproxy's own output (server up/down transitions). */
  logs(): string {
    return this.output.join('');
  }

  /**
   * Waits until every new connection through the endpoint leads to a primary (haproxy
   * starts with every server up until its checks say otherwise).
   */
  async waitForPrimary(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let inARow = 0; inARow < 6;) {
      if (Date.now() > deadline)
        throw new Error(`no primary behind the endpoint after ${timeoutMs} ms:\n${this.logs()}`);
      const c = new Client({ connectionString: this.url(), connectionTimeoutMillis: 1_000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const r = await c.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
        inARow = r.rows[0]?.standby === false ? inARow + 1 : 0;
      } catch {
        inARow = 0;
      } finally {
        await c.end().catch(() => undefined);
      }
      if (inARow === 0) await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    if (this.haproxy.exitCode === null) {
      const exited = new Promise((r) => this.haproxy.once('exit', r));
      this.haproxy.kill('SIGTERM');
      await exited;
    }
    await Promise.all(this.checks.map((s) => new Promise((r) => s.close(r))));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
