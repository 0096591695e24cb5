import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/bin', '/usr/bin'];
const READY_LINE = 'Server is ready';

/** A nats-server binary could not be found or did not start. */
export class NatsServerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NatsServerStartError';
  }
}

function findNatsServer(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new NatsServerStartError(
    'nats-server is not installed (Debian: apt-get install nats-server); outage tests need their own server',
  );
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on this loopback port. */
export function canConnectLoopback(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** A private server run from a configuration file instead of the default flags. */
export interface PrivateNatsServerConfig {
  /**
   * The configuration text, e.g. deploy/nats/nats-server.conf. Its `listen` and
   * JetStream `store_dir` lines are replaced by this server's port and store.
   */
  config: string;
  /** Environment for the server process (`$VAR` references in the configuration). */
  env?: Record<string, string>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A private nats-server with JetStream on a free loopback port and its own store
 * directory. Tests stop and restart it (same port, same store) to simulate an
 * outage without touching the shared server.
 */
export class PrivateNatsServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly binary: string,
    private readonly setup?: PrivateNatsServerConfig,
  ) {}

  /** Starts a new server (from a configuration when given); call `destroy()` when done. */
  static async start(setup?: PrivateNatsServerConfig): Promise<PrivateNatsServer> {
    const server = new PrivateNatsServer(
      await freeLoopbackPort(),
      mkdtempSync(join(tmpdir(), 'natgw-nats-')),
      findNatsServer(),
      setup,
    );
    await server.start();
    return server;
  }

  private args(): string[] {
    if (!this.setup) {
      return ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    }
    const file = join(this.storeDir, 'nats-server.conf');
    writeFileSync(
      file,
      this.setup.config
        .replace(/^(\s*)listen\s*[:=].*$/m, `$1listen: 127.0.0.1:${this.port}`)
        .replace(
          /^(\s*)store_dir\s*[:=].*$/m,
          `$1store_dir: ${JSON.stringify(join(this.storeDir, 'js'))}`,
        ),
    );
    return ['-c', file];
  }

  /** The client URL of this server. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** True while the server process runs. */
  get isRunning(): boolean {
    return this.child !== undefined;
  }

  /** (Re)starts the server on the same port and store; resolves when it accepts clients. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.child) return;
    const child = spawn(this.binary, this.args(), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.setup?.env },
    });
    running.add(child);
    this.child = child;
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(READY_LINE)) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) =>
        reject(new NatsServerStartError(`nats-server exited with ${code}: ${output.slice(-2000)}`)),
      );
    });
    const timer = new Promise<never>((_, reject) => {
      setTimeout(
        () =>
          reject(
            new NatsServerStartError(
              `nats-server on port ${this.port} was not ready within ${timeoutMs}ms: ${output.slice(-2000)}`,
            ),
          ),
        timeoutMs,
      ).unref();
    });
    child.once('exit', () => {
      running.delete(child);
      if (this.child === child) this.child = undefined;
    });
    try {
      await Promise.race([ready, timer]);
      while (!(await canConnectLoopback(this.port))) await new Promise((r) => setTimeout(r, 50));
      // Keep draining the pipes so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  /** Stops the server: SIGTERM (a clean shutdown) or SIGKILL (a crash). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Stops the server and deletes its store. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
