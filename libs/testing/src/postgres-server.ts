import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './service-process';

/** PostgreSQL's server binaries are missing, or initdb/pg_ctl failed. */
export class PostgresServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresServerError';
  }
}

/** The directory of initdb and pg_ctl (Debian's /usr/lib/postgresql/<v>/bin), if installed. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) {
    if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  }
  return undefined;
}

function uidOf(user: string): number {
  const r = spawnSync('id', ['-u', user]);
  const uid = Number(r.stdout.toString().trim());
  if (r.status !== 0 || !Number.isInteger(uid))
    throw new PostgresServerError(`no operating-system user "${user}" to run PostgreSQL as`);
  return uid;
}

/**
 * A PostgreSQL server of its own: initdb into a temporary directory, pg_ctl on a
 * free loopback port (as the `postgres` user when run as root). Tests restart it
 * to simulate a database outage without touching the shared server; benches use
 * it so that their long transactions do not hold back the shared server's
 * transaction horizon (which every natgw reader on that server waits for).
 */
export class PrivatePostgresServer {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** True when PostgreSQL's server binaries are installed. */
  static available(): boolean {
    return postgresBinDir() !== undefined;
  }

  /** Initialises and starts a new server; call `destroy()` when done. */
  static async start(): Promise<PrivatePostgresServer> {
    const bin = postgresBinDir();
    if (!bin)
      throw new PostgresServerError(
        'PostgreSQL server binaries are not installed (Debian: apt-get install postgresql)',
      );
    const dir = mkdtempSync(join(tmpdir(), 'natgw-pg-'));
    const server = new PrivatePostgresServer(bin, dir, await freePort());
    try {
      if (process.getuid?.() === 0) chownSync(dir, uidOf('postgres'), -1);
      await server.run('initdb', [
        '-D',
        server.dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '--no-sync',
      ]);
      await server.start();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return server;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** The URL of a database on this server; `postgres` is the admin database. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the (stopped) server and waits until it accepts connections. */
  start(): Promise<void> {
    return this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-o',
      `-h 127.0.0.1 -p ${this.port} -k ${this.dir} -c max_connections=200`,
      'start',
    ]);
  }

  /**
   * Stops the server: `fast` (sessions are terminated, a clean shutdown) or
   * `immediate` (no shutdown checkpoint: a crash, recovered at the next start).
   */
  stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    return this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
  }

  /** Stops the server and deletes its data. */
  async destroy(): Promise<void> {
    try {
      await this.stop('immediate');
    } catch {
      // already stopped
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private run(command: string, args: string[]): Promise<void> {
    const full = join(this.bin, command);
    const asRoot = process.getuid?.() === 0;
    return new Promise((resolve, reject) => {
      const child = spawn(
        asRoot ? 'runuser' : full,
        asRoot ? ['-u', 'postgres', '--', full, ...args] : args,
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(
              new PostgresServerError(`${command} ${args.join(' ')} failed: ${stderr.trim()}`),
            ),
      );
    });
  }
}
