import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ResourceKind, ResourceObject } from '@natgw/contracts';
import { ResourceReader } from '@natgw/projections';
import { ApiGatewayConfig } from '../api-gateway.config';
import { IndexedPage, IndexQuery, ObjectIndex } from './object-index';

/** How many changes one catch-up query reads. */
const CHANGES_PER_QUERY = 1000;

/** A cached list page, with the resourceVersion it is as of. */
export interface CachedPage extends IndexedPage {
  resourceVersion: string;
}

/**
 * An in-memory copy of the resource read model for GET and LIST, fed by its change log as
 * the Kubernetes apiserver's watch cache is fed by etcd (API_READ_CACHE, default on).
 *
 * Reads stay exactly as consistent as reading PostgreSQL: `fresh()` runs one query that
 * reads the change counter and the changes after the copy's version in one snapshot, and
 * resolves once the copy holds every change up to that counter. A query that started
 * before the call may have missed a write acknowledged just before it, so a caller waits
 * for a query that starts after its call; concurrent callers share that query, so at most
 * two are in flight however many reads arrive. A write is acknowledged only once the read
 * model shows it, so a read that starts afterwards sees it (read-your-writes), and a
 * list's resourceVersion is the counter the copy is at, as a PostgreSQL list's is.
 *
 * The copy reloads when it fell behind the change log's compaction horizon (a rebuild of
 * the read model moves the horizon above every version handed out). Lists come from memory only when PostgreSQL sorts names byte-wise (collation
 * C, POSIX or C.UTF-8): later pages (`continue`) are read from PostgreSQL as of the first
 * page's version, and both must agree on the order.
 */
@Injectable()
export class ReadCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReadCache');
  private readonly index = new ObjectIndex();
  /** The read model version the copy holds; undefined: not loaded. */
  private version?: bigint;
  private byteOrder = false;
  private running?: Promise<void>;
  private next?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private readonly refreshMs: number;
  readonly enabled: boolean;

  constructor(
    private readonly reader: ResourceReader,
    config: ApiGatewayConfig,
  ) {
    this.enabled = config.API_READ_CACHE === 'true';
    this.refreshMs = Math.min(60_000, config.WATCH_HISTORY_SECONDS * 250);
  }

  /**
   * Loads the copy at start, and keeps it within the change log's retention while no
   * reads come (a copy past the compaction horizon must reload in full).
   */
  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    const refresh = () =>
      this.fresh().catch((err: Error) => this.logger.warn(`refresh: ${err.message}`));
    void refresh();
    this.timer = setInterval(() => void refresh(), this.refreshMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** How many objects the copy holds. */
  get size(): number {
    return this.index.size;
  }

  /** The object of a key, as of the read model when `fresh()` was called. */
  async get(
    kind: ResourceKind,
    namespace: string,
    name: string,
  ): Promise<ResourceObject | undefined> {
    await this.fresh();
    return this.index.get(kind, namespace, name);
  }

  /** The first page of a list; undefined when lists cannot be served from memory (the collation). */
  async list(query: IndexQuery): Promise<CachedPage | undefined> {
    await this.fresh();
    if (!this.byteOrder) return undefined;
    return { ...this.index.list(query), resourceVersion: String(this.version) };
  }

  /** Resolves once the copy holds every change the read model held at some moment after this call. */
  fresh(): Promise<void> {
    if (!this.running) {
      this.running = this.catchUp().finally(() => (this.running = undefined));
      return this.running;
    }
    // The running query may have begun before a write this caller must see: wait for the next.
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.fresh();
      });
    return this.next;
  }

  private async catchUp(): Promise<void> {
    if (this.version === undefined) return this.load();
    for (;;) {
      const page = await this.reader.changesOfAllKinds(String(this.version), CHANGES_PER_QUERY);
      const compacted = BigInt(page.compactedResourceVersion);
      const last = BigInt(page.lastResourceVersion);
      // Past the horizon, changes this copy has not read may be gone (a deletion, say); a
      // rebuild of the read model moves the horizon above every version handed out.
      if (compacted > this.version || last < this.version) return this.load();
      for (const c of page.changes) this.index.apply(c);
      if (page.changes.length < CHANGES_PER_QUERY) {
        this.version = last;
        return;
      }
      this.version = BigInt(page.changes[page.changes.length - 1].resourceVersion);
    }
  }

  private async load(): Promise<void> {
    const [snapshot, byteOrder] = await Promise.all([
      this.reader.allObjects(),
      this.reader.sortsByteWise(),
    ]);
    this.index.clear();
    for (const o of snapshot.objects) this.index.apply({ type: 'ADDED', ...o });
    this.version = BigInt(snapshot.lastResourceVersion);
    this.byteOrder = byteOrder;
    if (!byteOrder) {
      this.logger.warn(
        'the database does not sort text byte-wise (collation C, POSIX or C.UTF-8): lists are read from PostgreSQL, gets from memory',
      );
    }
  }
}
