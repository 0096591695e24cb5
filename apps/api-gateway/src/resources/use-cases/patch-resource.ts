import { Injectable } from '@nestjs/common';
import { apiErrors, STALE_OBJECT } from '../../http/api-error';
import { PatchBody } from '../../http/request-body';
import { ApiResponse } from '../api-response';
import { applyPatchTo, patchNamesResourceVersion } from '../apply-patch';
import { checkResourceInput } from '../resource-input';
import { ResourceLog, withConflictRetry } from '../resource-log';
import { ResourceUpdater } from '../resource-updater';
import { RequestContext } from '../request-context';
import { GetResource } from './get-resource';

/**
 * PATCH (JSON merge patch or JSON patch): the patch is applied to the stored
 * object, and the result is validated and written like a PUT. A patch that names
 * metadata.resourceVersion is conditional; any other is retried on a lost race.
 */
@Injectable()
export class PatchResource {
  constructor(
    private readonly log: ResourceLog,
    private readonly get: GetResource,
    private readonly updater: ResourceUpdater,
  ) {}

  async execute(ctx: RequestContext, name: string, patch: PatchBody): Promise<ApiResponse> {
    let warnings: string[] = [];
    const object = await withConflictRetry(
      this.log,
      !patchNamesResourceVersion(patch),
      () => apiErrors.conflict(ctx.info, name, STALE_OBJECT),
      async () => {
        const current = await this.get.execute(ctx.info, ctx.namespace, name);
        const checked = checkResourceInput(ctx, applyPatchTo(current.object, patch), name);
        warnings = checked.warnings;
        return this.updater.write(ctx, current, checked.input);
      },
    );
    return { code: 200, body: object, warnings };
  }
}
