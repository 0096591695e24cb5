import { Injectable } from '@nestjs/common';
import { apiErrors, STALE_OBJECT } from '../../http/api-error';
import { ApiResponse } from '../api-response';
import { checkResourceInput } from '../resource-input';
import { ResourceLog, withConflictRetry } from '../resource-log';
import { ResourceUpdater } from '../resource-updater';
import { RequestContext } from '../request-context';
import { GetResource } from './get-resource';

/**
 * PUT: replaces labels, annotations and spec (status is ignored). With
 * `metadata.resourceVersion` it is conditional: a stale one is 409 Conflict.
 */
@Injectable()
export class UpdateResource {
  constructor(
    private readonly log: ResourceLog,
    private readonly get: GetResource,
    private readonly updater: ResourceUpdater,
  ) {}

  async execute(
    ctx: RequestContext,
    name: string,
    body: Record<string, unknown>,
  ): Promise<ApiResponse> {
    const { input, warnings } = checkResourceInput(ctx, body, name);
    const object = await withConflictRetry(
      this.log,
      input.resourceVersion === undefined,
      () => apiErrors.conflict(ctx.info, name, STALE_OBJECT),
      async () =>
        this.updater.write(ctx, await this.get.execute(ctx.info, ctx.namespace, name), input),
    );
    return { code: 200, body: object, warnings };
  }
}
