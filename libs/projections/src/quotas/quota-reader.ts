import { EntityManager } from 'typeorm';
import { foldQuota, QuotaEvent, QuotaState } from '@natgw/domain';
import { PostgresEventStore } from '@natgw/event-store';

/** The prefix of every quota stream of a namespace (or of all namespaces without one). */
export function quotaStreamPrefix(namespace?: string): string {
  return namespace === undefined ? 'natgatewayquota:' : `natgatewayquota:${namespace}/`;
}

/** The stream of one NATGatewayQuota: `natgatewayquota:<namespace>/<name>`. */
export function quotaStreamId(namespace: string, name: string): string {
  return `${quotaStreamPrefix(namespace)}${name}`;
}

/** A live quota read from its stream; `version` is the stream version (its resourceVersion). */
export interface StoredQuota {
  namespace: string;
  name: string;
  version: number;
  state: QuotaState;
}

const DELETED: QuotaEvent['type'] = 'NATGatewayQuotaDeleted';

/**
 * Reads NATGatewayQuotas straight from the log (a quota is the fold of its stream; there is no
 * read model, so a read inside a transaction sees every committed change). Used by the
 * api-gateway (admission, the quota API) and the allocator (the publicIPs budget).
 */
export class QuotaReader {
  constructor(private readonly store: PostgresEventStore) {}

  /** The live quotas of a namespace, or of every namespace without one, by namespace and name. */
  async list(namespace?: string, manager?: EntityManager): Promise<StoredQuota[]> {
    const streams = await this.store.streamsWithPrefix(quotaStreamPrefix(namespace), manager);
    const quotas: StoredQuota[] = [];
    for (const s of streams) {
      if (s.lastType === DELETED) continue;
      const quota = await this.load(s.streamId, manager);
      if (quota) quotas.push(quota);
    }
    return quotas;
  }

  /** One quota; undefined when it never existed or was deleted. */
  async get(namespace: string, name: string, manager?: EntityManager) {
    return this.load(quotaStreamId(namespace, name), manager);
  }

  /** The stream version a create of this name must expect (no stream, or its last Deleted); undefined when taken. */
  async freeVersion(namespace: string, name: string): Promise<number | 'no-stream' | undefined> {
    const id = quotaStreamId(namespace, name);
    const version = await this.store.streamVersion(id);
    if (version === 0) return 'no-stream';
    const [last] = await this.store.readStream(id, { fromVersion: version, toVersion: version });
    return last?.type === DELETED ? version : undefined;
  }

  private async load(streamId: string, manager?: EntityManager): Promise<StoredQuota | undefined> {
    const events = await this.store.readStream(streamId, manager ? { manager } : {});
    const state = foldQuota(events as unknown as QuotaEvent[]);
    const last = events[events.length - 1];
    if (!state || !last) return undefined;
    const slash = streamId.indexOf('/');
    return {
      namespace: streamId.slice(quotaStreamPrefix().length, slash),
      name: streamId.slice(slash + 1),
      version: last.version,
      state,
    };
  }
}
