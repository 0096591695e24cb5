import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The services `npm start` runs, by name, with their built entry points. */
export const SERVICE_ENTRY = {
  'api-gateway': 'dist/apps/api-gateway/src/main.js',
  allocator: 'dist/apps/allocator/src/main.js',
  'dataplane-executor': 'dist/apps/dataplane-executor/src/main.js',
} as const;

export type ServiceName = keyof typeof SERVICE_ENTRY;

const PORT_VARIABLE: Record<ServiceName, string> = {
  'api-gateway': 'API_PORT',
  allocator: 'ALLOCATOR_PORT',
  'dataplane-executor': 'EXECUTOR_PORT',
};

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * One natgw service running as a real process from dist/ (build first: npm test
 * does). Its output is kept for diagnostics; `kill('SIGKILL')` simulates a crash.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  readonly output: string[] = [];
  readonly port: Promise<number>;

  constructor(
    readonly service: ServiceName,
    private readonly env: Record<string, string>,
    port?: number,
    /** Options for node itself, before the entry point (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
    private readonly nodeArgs: readonly string[] = [],
  ) {
    this.port = port ? Promise.resolve(port) : freePort();
  }

  get url(): Promise<string> {
    return this.port.then((p) => `http://127.0.0.1:${p}`);
  }

  /** The operating-system process id while the process runs (for /proc reads and kill tests). */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts the process and resolves once /readyz answers 200. */
  async start(timeoutMs = 60_000): Promise<this> {
    const port = await this.port;
    const entry = path.join(ROOT, SERVICE_ENTRY[this.service]);
    const child = spawn(process.execPath, [...this.nodeArgs, entry], {
      cwd: ROOT,
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        ...this.env,
        [PORT_VARIABLE[this.service]]: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 2000) this.output.splice(0, 1000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await this.waitReady(timeoutMs);
    return this;
  }

  /** Resolves once /readyz answers 200; rejects with the process output when it exits. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const url = `${await this.url}/readyz`;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(
          `${this.service} exited (${this.child?.exitCode ?? this.child?.signalCode}):\n${this.logs()}`,
        );
      }
      try {
        const res = await fetch(url);
        if (res.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.service} not ready after ${timeoutMs}ms:\n${this.logs()}`);
  }

  /** Sends a signal and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** The last lines the process printed. */
  logs(lines = 60): string {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }

  /** The retained lines the process printed that contain `text` (e.g. a correlation id). */
  linesContaining(text: string): string[] {
    return this.output
      .join('')
      .split('\n')
      .filter((line) => line.includes(text));
  }
}
