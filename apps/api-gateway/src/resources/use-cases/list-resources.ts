import { Injectable } from '@nestjs/common';
import { API_VERSION, ResourceKindInfo, ResourceList, ResourceObject } from '@natgw/contracts';
import { ResourceReader, ResourceVersionTooOldError } from '@natgw/projections';
import { apiErrors } from '../../http/api-error';
import { QueryParams } from '../../http/query-params';
import { decodeContinue, encodeContinue } from '../continue-token';

/**
 * LIST with label and field selectors, and `limit` + `continue` pages. Every page
 * is served as of the first page's resourceVersion, so a paged list is one
 * consistent snapshot; a continue token older than the change history is 410.
 */
@Injectable()
export class ListResources {
  constructor(private readonly reader: ResourceReader) {}

  async execute(
    info: ResourceKindInfo,
    namespace: string | undefined,
    query: QueryParams,
  ): Promise<ResourceList<ResourceObject>> {
    const labelSelector = query.labelSelector();
    const fieldSelector = query.fieldSelector();
    const limit = query.count('limit');
    const token = query.string('continue');
    const from = token ? decodeContinue(token) : undefined;
    if (from && query.resourceVersion() !== undefined) {
      throw apiErrors.badRequest('specifying resourceVersion is not allowed when using continue');
    }
    try {
      const page = await this.reader.list({
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
}
