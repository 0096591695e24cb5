import { Inject, Injectable } from '@nestjs/common';
import {
  API_GROUP,
  API_VERSION,
  failureStatus,
  fieldError,
  formatTimestamp,
  ResourceObject,
  resourceStreamId,
} from '@natgw/contracts';
import { ResourceReader } from '@natgw/projections';
import { ApiError, apiErrors, STALE_OBJECT } from '../../http/api-error';
import { ApiResponse } from '../api-response';
import { Clock, CLOCK } from '../clock';
import {
  applyConfiguration,
  FieldManagerConflictError,
  MAX_APPLY_MANAGERS,
  TooManyFieldManagersError,
} from '../field-management/managed-fields';
import { checkResourceInput } from '../resource-input';
import { ResourceLog, withConflictRetry } from '../resource-log';
import { ResourceUpdater } from '../resource-updater';
import { RequestContext } from '../request-context';
import { CreateResource } from './create-resource';

/** The 409 of an apply that conflicts, worded as the apiserver words it. */
function conflictStatus(
  ctx: RequestContext,
  name: string,
  err: FieldManagerConflictError,
): ApiError {
  const n = err.conflicts.length;
  const using = `using ${API_VERSION}`;
  const message =
    n === 1
      ? `Apply failed with 1 conflict: conflict with "${err.conflicts[0].manager}" ${using}: ${err.conflicts[0].field}`
      : `Apply failed with ${n} conflicts: ${err.conflicts
          .map((c) => `conflict with "${c.manager}" ${using}: ${c.field}`)
          .join(', ')}`;
  return new ApiError(
    failureStatus(409, 'Conflict', message, {
      name,
      group: API_GROUP,
      kind: ctx.info.plural,
      causes: err.conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with "${c.manager}" ${using}`,
        field: c.field,
      })),
    }),
  );
}

/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`): merges the applier's
 * configuration into the object by field ownership (field-management/managed-fields.ts)
 * and writes the result like a PUT, with the new metadata.managedFields. A missing
 * object is created (201). `fieldManager` is required; `force=true` takes conflicting
 * fields over. A configuration naming metadata.resourceVersion is conditional.
 */
@Injectable()
export class ApplyResource {
  constructor(
    private readonly log: ResourceLog,
    private readonly reader: ResourceReader,
    private readonly updater: ResourceUpdater,
    private readonly create: CreateResource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(
    ctx: RequestContext,
    name: string,
    configuration: Record<string, unknown>,
    force: boolean,
  ): Promise<ApiResponse> {
    if (!ctx.fieldManagerGiven)
      throw apiErrors.badRequest('fieldManager is required for apply requests');
    for (const field of ['apiVersion', 'kind'] as const) {
      if (typeof configuration[field] !== 'string' || configuration[field] === '')
        throw apiErrors.badRequest(`${field} must be set in an apply configuration`);
    }
    try {
      return await this.applyOnce(ctx, name, configuration, force);
    } catch (err) {
      // Another writer created the object first: apply onto theirs, once the read model
      // shows it (its creator may still be waiting for the projection).
      if (!(err instanceof ApiError && err.status.reason === 'AlreadyExists')) throw err;
      await this.log.catchUpWith(resourceStreamId(ctx.info.kind, ctx.namespace, name));
      return this.applyOnce(ctx, name, configuration, force);
    }
  }

  private async applyOnce(
    ctx: RequestContext,
    name: string,
    configuration: Record<string, unknown>,
    force: boolean,
  ): Promise<ApiResponse> {
    const meta = configuration.metadata as { resourceVersion?: unknown } | undefined;
    const conditional = meta?.resourceVersion !== undefined;
    return withConflictRetry(
      this.log,
      !conditional,
      () => apiErrors.conflict(ctx.info, name, STALE_OBJECT),
      async (): Promise<ApiResponse> => {
        const current = await this.reader.get({
          kind: ctx.info.kind,
          namespace: ctx.namespace,
          name,
        });
        const outcome = this.merge(ctx, name, current?.object, configuration, force);
        if (!current) {
          if (conditional) throw apiErrors.notFound(ctx.info, name);
          return this.create.execute(ctx, outcome.object, outcome.managedFields);
        }
        const { input, warnings } = checkResourceInput(ctx, outcome.object, name);
        const body = await this.updater.write(ctx, current, input, outcome.managedFields);
        return { code: 200, body, warnings };
      },
    );
  }

  private merge(
    ctx: RequestContext,
    name: string,
    live: ResourceObject | undefined,
    configuration: Record<string, unknown>,
    force: boolean,
  ) {
    const write = {
      manager: ctx.fieldManager,
      apiVersion: API_VERSION,
      now: formatTimestamp(this.clock()),
    };
    try {
      return applyConfiguration(
        live as unknown as Record<string, unknown> | undefined,
        configuration,
        write,
        force,
      );
    } catch (err) {
      if (err instanceof FieldManagerConflictError) throw conflictStatus(ctx, name, err);
      if (err instanceof TooManyFieldManagersError) {
        throw apiErrors.invalid(ctx.info, name, [
          fieldError.tooMany('metadata.managedFields', MAX_APPLY_MANAGERS + 1, MAX_APPLY_MANAGERS),
        ]);
      }
      throw err;
    }
  }
}
