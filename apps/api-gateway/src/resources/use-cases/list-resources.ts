import { Injectable } from '@nestjs/common';
import { API_VERSION, ResourceKindInfo, ResourceList, ResourceObject } from '@natgw/contracts';
import {
  ListPage,
  ListQuery,
  ResourceReader,
  ResourceVersionTooOldError,
} from '@natgw/projections';
import { ApiGatewayConfig } from '../../api-gateway.config';
import { apiErrors } from '../../http/api-error';
import { QueryParams } from '../../http/query-params';
import { ReadCache } from '../../read-cache/read-cache';
import { decodeContinue, encodeContinue } from '../continue-token';

/**
 * LIST with label and field selectors, and `limit` + `continue` pages. Every page
 * is served as of the first page's resourceVersion, so a paged list is one
 * consistent snapshot; a continue token older than the change history is 410.
 * A `limit` above MAX_LIST_LIMIT is served as MAX_LIST_LIMIT items and a `continue`
 * token, which clients that page (kubectl, client-go) follow.
 */
@Injectable()
export class ListResources {
  constructor(
    private readonly reader: ResourceReader,
    private readonly cache: ReadCache,
    private readonly config: ApiGatewayConfig,
  ) {}

  async execute(
    info: ResourceKindInfo,
    namespace: string | undefined,
    query: QueryParams,
  ): Promise<ResourceList<ResourceObject>> {
    const labelSelector = query.labelSelector();
    const fieldSelector = query.fieldSelector();
    const limit = listLimit(query, this.config.MAX_LIST_LIMIT);
    const token = query.string('continue');
    const from = token ? decodeContinue(token) : undefined;
    if (from && query.resourceVersion() !== undefined) {
      throw apiErrors.badRequest('specifying resourceVersion is not allowed when using continue');
    }
    try {
      const page = await this.page({
        kind: info.kind,
        namespace,
        labelSelector,
        fieldSelector,
        limit,
        snapshot: from?.resourceVersion,
        after: from && { namespace: from.namespace, name: from.name },
      });
      return {
        apiVersion: API_VERSION,
        kind: `${info.kind}List`,
        metadata: {
          resourceVersion: page.resourceVersion,
          ...(page.next
            ? { continue: encodeContinue({ resourceVersion: page.resourceVersion, ...page.next }) }
            : {}),
        },
        items: page.items,
      };
    } catch (err) {
      if (err instanceof ResourceVersionTooOldError) {
        throw apiErrors.expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      throw err;
    }
  }

  /**
   * A first page from the read cache when it can serve it; later pages (as of the first
   * page's version, which the cache no longer holds) from PostgreSQL.
   */
  private async page(query: ListQuery): Promise<ListPage> {
    if (this.cache.enabled && query.snapshot === undefined && query.after === undefined) {
      const cached = await this.cache.list({
        ...query,
        labelSelector: query.labelSelector ?? [],
        fieldSelector: query.fieldSelector ?? [],
      });
      if (cached) return cached;
    }
    return this.reader.list(query);
  }
}

/**
 * The page size of a list: `limit`, at most `max` (a larger one is clamped: the client gets
 * a `continue` token for the rest). Without `limit` the list is whole, as the apiserver's.
 */
export function listLimit(query: QueryParams, max: number): number | undefined {
  const limit = query.count('limit');
  return limit === undefined ? undefined : Math.min(limit, max);
}
