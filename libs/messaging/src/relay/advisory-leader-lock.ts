import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { errorMessage, MessagingLogger, silentLogger } from '../logger';

/** The 64-bit advisory lock key for a name (stable across processes and versions). */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/**
 * Leadership through a PostgreSQL session-level advisory lock, held on a
 * dedicated connection. The lock lives exactly as long as that session, so when
 * the holder dies (process killed, connection cut) PostgreSQL frees it and
 * another candidate's next `tryAcquire` wins.
 */
export class AdvisoryLeaderLock {
  private client?: Client;
  private holding = false;
  readonly key: string;

  constructor(
    private readonly databaseUrl: string,
    readonly name: string,
    private readonly logger: MessagingLogger = silentLogger,
    private readonly applicationName = 'natgw-leader-lock',
  ) {
    this.key = advisoryLockKey(name);
  }

  /** True while this process holds the lock on a live connection. */
  get held(): boolean {
    return this.holding;
  }

  /** Tries once to take the lock; true when this process holds it afterwards. */
  async tryAcquire(): Promise<boolean> {
    if (this.holding) return true;
    const client = await this.connection();
    const rows = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [this.key],
    );
    // The connection may have died while the query ran.
    this.holding = rows.rows[0]?.locked === true && this.client === client;
    return this.holding;
  }

  /** Checks that the lock's connection is still alive; false (and released) when it is not. */
  async verify(): Promise<boolean> {
    const client = this.client;
    if (!this.holding || !client) return false;
    try {
      await client.query('SELECT 1');
    } catch (err) {
      this.lost(client, err);
    }
    return this.holding;
  }

  /** Releases the lock and closes its connection. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    const wasHolding = this.holding;
    this.holding = false;
    if (!client) return;
    try {
      if (wasHolding) await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]);
    } catch {
      // Closing the session below frees the lock anyway.
    }
    await client.end().catch(() => undefined);
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: this.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }

  private lost(client: Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.holding) {
      this.logger.warn({ lock: this.name, err: errorMessage(err) }, 'leader lock connection lost');
    }
    this.holding = false;
    void client.end().catch(() => undefined);
  }
}
