import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import { LOG_CHANNEL, localCommits } from './commit-announcer';

export { LOG_CHANNEL };

/**
 * Listens on one PostgreSQL NOTIFY channel (by default `natgw_events`: new events
 * committed, see CommitAnnouncer) and tells subscribers; on that channel it also
 * tells them at once of this process's own commits. It reconnects after a lost
 * connection; readers still poll, so a notification missed while reconnecting only
 * delays them.
 */
export class LogNotifier {
  private readonly emitter = new EventEmitter();
  private client?: Client;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly onLocalCommit = () => this.emitter.emit('commit');

  constructor(
    private readonly url: string,
    private readonly onError: (err: Error) => void = () => undefined,
    private readonly channel: string = LOG_CHANNEL,
    private readonly applicationName = 'natgw-listen',
  ) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (this.channel === LOG_CHANNEL) {
      localCommits.off('commit', this.onLocalCommit);
      localCommits.on('commit', this.onLocalCommit);
    }
    await this.connect();
  }

  /** Calls `listener` after each notifying commit; returns an unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.emitter.on('commit', listener);
    return () => this.emitter.off('commit', listener);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    localCommits.off('commit', this.onLocalCommit);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.url,
      application_name: this.applicationName,
    });
    client.on('notification', () => this.emitter.emit('commit'));
    client.on('error', (err) => {
      this.onError(err);
      this.scheduleReconnect(client);
    });
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.client = client;
      // Anything committed while we were not listening is picked up by this wake-up.
      this.emitter.emit('commit');
    } catch (err) {
      this.onError(err as Error);
      await client.end().catch(() => undefined);
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: Client): void {
    if (this.client === client) this.client = undefined;
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) void this.connect();
    }, 1000);
  }
}
