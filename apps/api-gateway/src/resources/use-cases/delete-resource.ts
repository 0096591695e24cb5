import { Inject, Injectable } from '@nestjs/common';
import {
  API_GROUP,
  formatTimestamp,
  NewEvent,
  resourceEventType,
  resourceStreamId,
  successStatus,
} from '@natgw/contracts';
import { objectBeingDeleted, ResourceReader, StoredResource } from '@natgw/projections';
import { apiErrors, STALE_OBJECT } from '../../http/api-error';
import { ApiResponse } from '../api-response';
import { ResourceClaims } from '../claims/resource-claims';
import { Clock, CLOCK } from '../clock';
import { DeleteOptions } from '../delete-options';
import { ResourceLog, withConflictRetry } from '../resource-log';
import { eventMetadata, RequestContext } from '../request-context';
import { GetResource } from './get-resource';

/**
 * DELETE. Kinds with finalizers (NATGateway, NetworkInterface) get
 * `<Kind>DeletionRequested`: the object shows deletionTimestamp until the allocator
 * released what it holds and appended `<Kind>Deleted`. The others get both events
 * at once and are gone. A Network that a NATGateway or NetworkInterface still
 * references, even one being deleted, is not deleted (409); a deleted Network
 * releases its VNI in the same transaction.
 */
@Injectable()
export class DeleteResource {
  constructor(
    private readonly log: ResourceLog,
    private readonly reader: ResourceReader,
    private readonly get: GetResource,
    private readonly claims: ResourceClaims,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(ctx: RequestContext, name: string, options: DeleteOptions): Promise<ApiResponse> {
    const { preconditions } = options;
    const conditional =
      preconditions.uid !== undefined || preconditions.resourceVersion !== undefined;
    const dry = { ...ctx, dryRun: options.dryRun };
    return withConflictRetry(
      this.log,
      !conditional,
      () => apiErrors.conflict(ctx.info, name, STALE_OBJECT),
      async () => this.attempt(dry, await this.get.execute(ctx.info, ctx.namespace, name), options),
    );
  }

  private async attempt(
    ctx: RequestContext,
    current: StoredResource,
    options: DeleteOptions,
  ): Promise<ApiResponse> {
    const { info } = ctx;
    const { uid, resourceVersion } = options.preconditions;
    if (uid !== undefined && uid !== current.uid) {
      throw apiErrors.conflict(
        info,
        current.name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.uid}`,
      );
    }
    if (resourceVersion !== undefined && resourceVersion !== current.resourceVersion) {
      throw apiErrors.conflict(
        info,
        current.name,
        `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${current.resourceVersion}`,
      );
    }
    if (current.object.metadata.deletionTimestamp) return { code: 200, body: current.object };
    if (info.kind === 'Network') await this.refuseWhileReferenced(ctx, current.name);
    const deletionTimestamp = formatTimestamp(this.clock());
    const finalizing = info.finalizers.length > 0;
    const events: NewEvent[] = [
      {
        type: resourceEventType(info.kind, 'DeletionRequested'),
        data: { uid: current.uid, deletionTimestamp },
      },
    ];
    if (!finalizing)
      events.push({ type: resourceEventType(info.kind, 'Deleted'), data: { uid: current.uid } });
    const deleting = objectBeingDeleted(current.object, deletionTimestamp);
    const gone = successStatus({
      name: current.name,
      group: API_GROUP,
      kind: info.plural,
      uid: current.uid,
    });
    if (ctx.dryRun) return { code: 200, body: finalizing ? deleting : gone };
    // A Network gives its VNI back with its final event (NICs give back their addresses when
    // the allocator finalizes them).
    const releases = finalizing ? [] : await this.claims.forDelete(ctx, current);
    await this.log.appendAll([
      {
        streamId: resourceStreamId(info.kind, current.namespace, current.name),
        events: events.map((e) => ({ ...e, metadata: eventMetadata(ctx) })),
        expectedVersion: current.streamVersion,
      },
      ...releases,
    ]);
    if (!finalizing) return { code: 200, body: gone };
    const stored = await this.reader.get(current);
    return { code: 200, body: stored?.uid === current.uid ? stored.object : deleting };
  }

  private async refuseWhileReferenced(ctx: RequestContext, network: string): Promise<void> {
    const referrers = await this.reader.networkReferrers(ctx.namespace, network);
    if (referrers.length === 0) return;
    const names = referrers
      .map((r) => `${r.kind} "${r.name}"${r.deleting ? ' (being deleted)' : ''}`)
      .join(', ');
    throw apiErrors.conflict(
      ctx.info,
      network,
      `the network is still referenced by ${names}: delete ${referrers.length === 1 ? 'it' : 'them'} first, and wait until ${referrers.length === 1 ? 'it is' : 'they are'} gone (the network's VNI is released with it, and must not be reused while anything of the network may still be programmed)`,
    );
  }
}
