import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  API_VERSION,
  drainIPsNotHeld,
  formatTimestamp,
  ManagedFieldsEntry,
  resourceEventType,
  ResourceCreatedData,
  resourceStreamId,
} from '@natgw/contracts';
import { ConcurrencyError } from '@natgw/event-store';
import { objectFromCreated, ResourceReader } from '@natgw/projections';
import { ReadCache } from '../../read-cache/read-cache';
import { ApiError, apiErrors } from '../../http/api-error';
import { ApiResponse } from '../api-response';
import { QuotaAdmission } from '../../quotas/quota-admission';
import { withClaimRaceRetry } from '../claims/claim-race-retry';
import { ResourceClaims } from '../claims/resource-claims';
import { Clock, CLOCK } from '../clock';
import { recordUpdate } from '../field-management/managed-fields';
import { checkResourceInput } from '../resource-input';
import { ResourceLog } from '../resource-log';
import { eventMetadata, RequestContext } from '../request-context';

/**
 * POST: appends `<Kind>Created` with a fresh uid. The name is free when its stream
 * does not exist or ends with `<Kind>Deleted`; the append expects exactly that
 * version, so of concurrent creates one wins and the others get 409 AlreadyExists.
 * The values the object claims (a Network's VNI, a NIC's private addresses, see
 * ResourceClaims) are appended in the same transaction.
 */
@Injectable()
export class CreateResource {
  constructor(
    private readonly log: ResourceLog,
    private readonly reader: ResourceReader,
    private readonly claims: ResourceClaims,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly quotas: QuotaAdmission,
    private readonly cache: ReadCache,
  ) {}

  /**
   * `managedFields`: the ones server-side apply computed (create-on-apply); without them
   * the create is recorded as an Update by ctx.fieldManager owning every field it set.
   */
  async execute(
    ctx: RequestContext,
    body: Record<string, unknown>,
    managedFields?: ManagedFieldsEntry[],
  ): Promise<ApiResponse> {
    const { info, namespace } = ctx;
    const { input, warnings } = checkResourceInput(ctx, body);
    // drain (issue 17.1): a new gateway holds no IP, so spec.drainIPs names none it could drain.
    const notHeld = info.kind === 'NATGateway' ? drainIPsNotHeld(input.spec) : [];
    if (notHeld.length > 0) throw apiErrors.invalid(info, input.name, notHeld);
    const uid = randomUUID();
    const creationTimestamp = formatTimestamp(this.clock());
    // The fields the client set; values natgw fills in (a Network's spec.vni) belong to no manager.
    const managed =
      managedFields ??
      recordUpdate(
        undefined,
        { metadata: { labels: input.labels, annotations: input.annotations }, spec: input.spec },
        undefined,
        { manager: ctx.fieldManager, apiVersion: API_VERSION, now: creationTimestamp },
      );
    const created = (spec: Record<string, unknown>): ResourceCreatedData => ({
      uid,
      namespace,
      name: input.name,
      labels: input.labels,
      annotations: input.annotations,
      finalizers: [...info.finalizers],
      spec,
      generation: 1,
      creationTimestamp,
      managedFields: managed,
    });
    const stream = resourceStreamId(info.kind, namespace, input.name);
    // NATGatewayQuota: counted kinds are admitted in the create's transaction.
    await this.quotas.checkSpec(ctx, input);
    const admit = this.quotas.forCreate(ctx, input.name);
    if (ctx.dryRun) {
      await this.freeVersion(ctx, stream, input.name);
      await admit?.(this.log.manager);
      const claims = await this.planClaims(ctx, uid, input, stream);
      return { code: 201, body: objectFromCreated(info.kind, created(claims.spec)), warnings };
    }
    // Most names are new: try that first, and look at the stream only when it exists.
    let expected: number | 'no-stream' = 'no-stream';
    for (;;) {
      try {
        const data = await withClaimRaceRetry(
          stream,
          (err, attempts) =>
            apiErrors.conflict(
              info,
              input.name,
              `lost ${attempts} races for ${err.streamId}; try again`,
            ),
          async () => {
            // Planned again after a lost claim race: the value is taken now, or another is picked.
            const claims = await this.planClaims(ctx, uid, input, stream);
            const d = created(claims.spec);
            await this.log.appendAll(
              [
                {
                  streamId: stream,
                  events: [
                    {
                      type: resourceEventType(info.kind, 'Created'),
                      data: d,
                      metadata: eventMetadata(ctx),
                    },
                  ],
                  expectedVersion: expected,
                },
                ...claims.appends,
              ],
              admit,
            );
            return d;
          },
        );
        const object =
          (await this.storedObject(ctx, input.name, data.uid)) ??
          objectFromCreated(info.kind, data);
        return { code: 201, body: object, warnings };
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
        if (expected !== 'no-stream') throw apiErrors.alreadyExists(info, input.name);
        expected = await this.freeVersion(ctx, stream, input.name);
      }
    }
  }

  /**
   * The created object as the read model shows it (the write waited for that), from the read
   * cache when it is on: its catch-up query is shared by the reads and creates beside it.
   * Undefined when the object there is another one: only a delete racing right behind this
   * create can cause that.
   */
  private async storedObject(ctx: RequestContext, name: string, uid: string) {
    const { info, namespace } = ctx;
    if (this.cache.enabled) {
      const cached = await this.cache.get(info.kind, namespace, name);
      return cached?.metadata.uid === uid ? cached : undefined;
    }
    const stored = await this.reader.get({ kind: info.kind, namespace, name });
    return stored?.uid === uid ? stored.object : undefined;
  }

  /**
   * The claims of the new object. A value already claimed (422) by an object of the same name
   * is most often this very create, committed by an earlier attempt whose answer was lost: when
   * the name is taken, the answer is 409 AlreadyExists, as for any create of an existing name.
   */
  private async planClaims(
    ctx: RequestContext,
    uid: string,
    input: { name: string; spec: Record<string, unknown> },
    stream: string,
  ) {
    try {
      return await this.claims.forCreate(ctx, uid, input.name, input.spec);
    } catch (err) {
      if (err instanceof ApiError && err.status.code === 422) {
        await this.freeVersion(ctx, stream, input.name);
      }
      throw err;
    }
  }

  /** The stream version a create must expect: none, or the version of its last `<Kind>Deleted`; else 409. */
  private async freeVersion(
    ctx: RequestContext,
    stream: string,
    name: string,
  ): Promise<number | 'no-stream'> {
    const last = await this.log.lastEvent(stream);
    if (!last) return 'no-stream';
    if (last.type !== resourceEventType(ctx.info.kind, 'Deleted'))
      throw apiErrors.alreadyExists(ctx.info, name);
    return last.version;
  }
}
