import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  API_GROUP,
  EventMetadata,
  NewEvent,
  resourceEventType,
  resourceStreamId,
  successStatus,
} from '@natgw/contracts';
import {
  AllocationEvent,
  decideAllocation,
  decidePool,
  foldAllocation,
  initialAllocationState,
} from '@natgw/domain';
import { ConcurrencyError, ExpectedVersion, PostgresEventStore } from '@natgw/event-store';
import { apiErrors } from '../../http/api-error';
import { IpPoolBook } from '../../pools/ip-pool-book';
import { ApiResponse } from '../api-response';
import { ResourceLog } from '../resource-log';
import { eventMetadata, RequestContext } from '../request-context';
import { GetResource } from './get-resource';

/** The longest reason an admin may give for forcing a finalization (recorded in `<Kind>Deleted`). */
export const MAX_FORCE_REASON_CHARS = 256;

interface StreamAppend {
  streamId: string;
  events: NewEvent[];
  expectedVersion: ExpectedVersion;
}

/**
 * Ends the deletion of a NATGateway or NetworkInterface that the allocator cannot
 * finish (it is down): what the allocator would do, done now, in one transaction.
 * For a NATGateway its allocation is closed (`GatewayDeleted`) and every public IP
 * it holds released in its pool, so nothing leaks; for a NetworkInterface the
 * allocator releases its NAT slots on its next reconcile (it releases the slots of
 * NICs that no longer exist). Then `<Kind>Deleted` is appended with
 * `forced: {by, reason}`, and its metadata names the admin as actor: the audit
 * trail says who forced it and why. Callers check that the principal is an admin.
 */
@Injectable()
export class ForceFinalize {
  constructor(
    private readonly get: GetResource,
    private readonly log: ResourceLog,
    private readonly store: PostgresEventStore,
    private readonly pools: IpPoolBook,
    private readonly dataSource: DataSource,
  ) {}

  async execute(ctx: RequestContext, name: string, reason?: string): Promise<ApiResponse> {
    const { info } = ctx;
    if (info.finalizers.length === 0) {
      throw apiErrors.methodNotAllowed(
        `${info.kind} has no finalizers: DELETE removes it at once, there is nothing to finalize`,
      );
    }
    const current = await this.get.execute(info, ctx.namespace, name);
    if (!current.object.metadata.deletionTimestamp) {
      throw apiErrors.conflict(
        info,
        name,
        'the object is not being deleted: DELETE it first; finalize only ends a deletion that the allocator cannot finish',
      );
    }
    const metadata = eventMetadata(ctx);
    const appends: StreamAppend[] =
      info.kind === 'NATGateway' ? await this.releaseGateway(current.uid, metadata) : [];
    const streamId = resourceStreamId(info.kind, current.namespace, current.name);
    appends.push({
      streamId,
      events: [
        {
          type: resourceEventType(info.kind, 'Deleted'),
          data: {
            uid: current.uid,
            forced: { by: ctx.actor, ...(reason ? { reason } : {}) },
          },
          metadata,
        },
      ],
      expectedVersion: current.streamVersion,
    });
    if (!ctx.dryRun) await this.appendAtomically(info, name, appends, streamId);
    return {
      code: 200,
      body: successStatus({ name, group: API_GROUP, kind: info.plural, uid: current.uid }),
    };
  }

  /** The events that close the gateway's allocation and give its public IPs back. */
  private async releaseGateway(uid: string, metadata: EventMetadata): Promise<StreamAppend[]> {
    const appends: StreamAppend[] = [];
    const allocationId = `allocation:${uid}`;
    const recorded = await this.store.readStream(allocationId);
    const state = foldAllocation(
      initialAllocationState(),
      recorded as unknown as AllocationEvent[],
    );
    if (recorded.length > 0 && state.status !== 'closed') {
      const events = decideAllocation(
        { type: 'CloseAllocation', gatewayUid: uid, reason: 'GatewayDeleted' },
        state,
      );
      appends.push({
        streamId: allocationId,
        events: events.map((e) => ({ ...e, metadata })),
        expectedVersion: recorded[recorded.length - 1].version,
      });
    }
    for (const pool of await this.pools.all()) {
      const events = decidePool({ type: 'ReleaseGatewayIps', gatewayUid: uid }, pool.state);
      if (events.length === 0) continue;
      appends.push({
        streamId: pool.streamId,
        events: events.map((e) => ({ ...e, metadata })),
        expectedVersion: pool.version,
      });
    }
    return appends;
  }

  private async appendAtomically(
    info: RequestContext['info'],
    name: string,
    appends: readonly StreamAppend[],
    resourceStream: string,
  ): Promise<void> {
    try {
      await this.dataSource.transaction(async (manager) => {
        for (const a of appends) {
          if (a.events.length === 0) continue;
          await this.store.append(a.streamId, a.events, {
            expectedVersion: a.expectedVersion,
            manager,
          });
        }
      });
    } catch (err) {
      if (err instanceof ConcurrencyError) {
        throw apiErrors.conflict(
          info,
          name,
          'the object or what it holds changed meanwhile (the allocator may be back): read it and retry if it is still being deleted',
        );
      }
      throw err;
    }
    await this.log.catchUpWith(resourceStream);
  }
}

/** A finalize request's optional body: `{"reason": "..."}`. */
export function forceReason(body: Record<string, unknown> | undefined): string | undefined {
  if (body === undefined) return undefined;
  const { reason, ...rest } = body;
  if (Object.keys(rest).length > 0 || (reason !== undefined && typeof reason !== 'string')) {
    throw apiErrors.badRequest(
      'the body of a finalize request may hold only "reason", a string (or be empty)',
    );
  }
  if (typeof reason === 'string' && reason.length > MAX_FORCE_REASON_CHARS) {
    throw apiErrors.badRequest(`"reason" may be at most ${MAX_FORCE_REASON_CHARS} characters`);
  }
  return reason || undefined;
}
