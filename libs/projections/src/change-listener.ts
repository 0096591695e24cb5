import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import { RESOURCE_CHANGES_CHANNEL } from './resource-change-log';

/**
 * Listens on the resource-changes channel and tells subscribers that changes
 * committed. It reconnects after a lost connection; watchers also poll, so a
 * notification missed meanwhile only delays them.
 */
export class ResourceChangeListener {
  private readonly emitter = new EventEmitter();
  private client?: Client;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  /** Calls `listener` after each commit that recorded changes; returns an unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.url,
      application_name: 'natgw-listen-resources',
    });
    client.on('notification', () => this.emitter.emit('change'));
    client.on('error', (err) => {
      this.onError(err);
      this.scheduleReconnect(client);
    });
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${RESOURCE_CHANGES_CHANNEL}`);
      this.client = client;
      this.emitter.emit('change');
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
