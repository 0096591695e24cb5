import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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

function requireBinDir(): string {
  const bin = postgresBinDir();
  if (!bin)
    throw new PostgresServerError(
      'PostgreSQL server binaries are not installed (Debian: apt-get install postgresql)',
    );
  return bin;
}

/** Creates a directory the server's user owns (postgres, when run as root). */
function ownedByServerUser(dir: string): string {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0) chownSync(dir, uidOf('postgres'), -1);
  return dir;
}

/** A new temporary directory the server's user owns. */
function newServerDir(): string {
  return ownedByServerUser(mkdtempSync(join(tmpdir(), 'natgw-pg-')));
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
    /** Server settings given at every start (`-c name=value`). */
    private readonly settings: Readonly<Record<string, string>> = {},
  ) {}

  /** True when PostgreSQL's server binaries are installed. */
  static available(): boolean {
    return postgresBinDir() !== undefined;
  }

  /**
   * Initialises and starts a new server; call `destroy()` when done. `settings` are
   * given at every start (e.g. `synchronous_standby_names`).
   */
  static async start(
    settings: Record<string, string> = {},
    options: { archive?: boolean } = {},
  ): Promise<PrivatePostgresServer> {
    const bin = requireBinDir();
    const dir = newServerDir();
    const archive = join(dir, 'archive');
    const server = new PrivatePostgresServer(bin, dir, await freePort(), {
      ...settings,
      ...(options.archive ? { archive_mode: 'on', archive_command: `cp %p ${archive}/%f` } : {}),
    });
    try {
      if (options.archive) ownedByServerUser(archive);
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

  /**
   * A hot standby of this (running) server: `pg_basebackup` into a new directory, streaming
   * from this server as `applicationName` (the name `synchronous_standby_names` lists), started
   * on a port of its own. Call `destroy()` on it too.
   */
  async startReplica(applicationName: string): Promise<PrivatePostgresServer> {
    const replica = new PrivatePostgresServer(this.bin, newServerDir(), await freePort());
    try {
      await replica.run('pg_basebackup', [
        '-h',
        '127.0.0.1',
        '-p',
        String(this.port),
        '-U',
        'postgres',
        '-D',
        replica.dataDir,
        '-X',
        'stream',
        '--checkpoint=fast',
        '-R',
        '--no-sync',
      ]);
      appendFileSync(
        join(replica.dataDir, 'postgresql.auto.conf'),
        `primary_conninfo = 'host=127.0.0.1 port=${this.port} user=postgres application_name=${applicationName}'\n`,
      );
      await replica.start();
    } catch (err) {
      rmSync(replica.dir, { recursive: true, force: true });
      throw err;
    }
    return replica;
  }

  /**
   * A major-version upgrade the way operators run it: stops this server, initdb's a new
   * cluster and runs `pg_upgrade` from this one into it (the same binaries here: Debian ships
   * one major version), then starts the new one on a new port. This server stays stopped.
   */
  async upgrade(): Promise<PrivatePostgresServer> {
    const next = new PrivatePostgresServer(this.bin, newServerDir(), await freePort());
    await next.run('initdb', ['-D', next.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync']);
    await this.stop('fast');
    await next.run(
      'pg_upgrade',
      [
        ...['-b', this.bin, '-B', this.bin, '-d', this.dataDir, '-D', next.dataDir],
        ...['-p', String(this.port), '-P', String(next.port), '-U', 'postgres', '--no-sync'],
      ],
      next.dir,
    );
    await next.start();
    return next;
  }

  /** Where a server started with `{ archive: true }` archives its WAL. */
  get archiveDir(): string {
    return join(this.dir, 'archive');
  }

  /** A base backup of this running server (`pg_basebackup`), as a server not started yet. */
  async baseBackup(): Promise<PrivatePostgresServer> {
    const backup = new PrivatePostgresServer(this.bin, newServerDir(), await freePort());
    await backup.run('pg_basebackup', [
      ...['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres'],
      ...['-D', backup.dataDir, '-X', 'stream', '--checkpoint=fast', '--no-sync'],
    ]);
    return backup;
  }

  /**
   * Point-in-time recovery of this base backup: replays the WAL in `archiveDir` up to the
   * restore point `name` (`pg_create_restore_point`), then promotes and accepts writes.
   */
  async recoverTo(archiveDir: string, name: string): Promise<void> {
    appendFileSync(
      join(this.dataDir, 'postgresql.auto.conf'),
      [
        `restore_command = 'cp ${archiveDir}/%f %p'`,
        `recovery_target_name = '${name}'`,
        `recovery_target_action = 'promote'`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(this.dataDir, 'recovery.signal'), '');
    await this.start();
    for (let i = 0; i < 300; i++) {
      if (existsSync(join(this.dataDir, 'recovery.signal'))) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return;
    }
    throw new PostgresServerError(`point-in-time recovery to ${name} did not finish in 30 s`);
  }

  /** Promotes this standby to a primary and waits until it accepts writes. */
  promote(): Promise<void> {
    return this.run('pg_ctl', ['-D', this.dataDir, '-w', 'promote']);
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
      [
        `-h 127.0.0.1 -p ${this.port} -k ${this.dir} -c max_connections=200`,
        ...Object.entries(this.settings).map(([k, v]) => `-c ${k}='${v}'`),
      ].join(' '),
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

  private run(command: string, args: string[], cwd?: string): Promise<void> {
    const full = join(this.bin, command);
    const asRoot = process.getuid?.() === 0;
    return new Promise((resolve, reject) => {
      const child = spawn(
        asRoot ? 'runuser' : full,
        asRoot ? ['-u', 'postgres', '--', full, ...args] : args,
        { stdio: ['ignore', 'pipe', 'pipe'], cwd },
      );
      // pg_upgrade reports its failures on stdout.
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
      child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
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
