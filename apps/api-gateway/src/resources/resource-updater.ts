import { Inject, Injectable } from '@nestjs/common';
import {
  API_VERSION,
  drainIPsNotHeld,
  formatTimestamp,
  ManagedFieldsEntry,
  ResourceInput,
  ResourceObject,
  resourceEventType,
  resourceStreamId,
  ResourceUpdatedData,
  specWithRetainedFields,
  validateResourceUpdate,
} from '@natgw/contracts';
import { objectAfterUpdate, ResourceReader, StoredResource } from '@natgw/projections';
import { apiErrors, STALE_OBJECT } from '../http/api-error';
import { canonicalJson } from './canonical-json';
import { QuotaAdmission } from '../quotas/quota-admission';
import { withClaimRaceRetry } from './claims/claim-race-retry';
import { ResourceClaims } from './claims/resource-claims';
import { Clock, CLOCK } from './clock';
import { recordUpdate } from './field-management/managed-fields';
import { ResourceLog } from './resource-log';
import { eventMetadata, RequestContext } from './request-context';

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/**
 * The write shared by PUT and PATCH: checks the preconditions the client sent
 * (uid, resourceVersion) and the immutable fields, then appends `<Kind>Updated`
 * with what changed, expecting the stream version the object was read at, together
 * with the claims the change takes and gives back (a NIC's private addresses).
 * Fields natgw filled at create (a Network's `spec.vni`) are kept when the update omits them.
 * `generation` is bumped when the spec changed; an update that changes nothing
 * (managedFields included) appends nothing. Throws ConcurrencyError when another write won the race.
 */
@Injectable()
export class ResourceUpdater {
  constructor(
    private readonly log: ResourceLog,
    private readonly reader: ResourceReader,
    private readonly claims: ResourceClaims,
    private readonly quotas: QuotaAdmission,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * `managedFields`: the ones server-side apply computed; without them the write is
   * recorded as an Update by ctx.fieldManager.
   */
  async write(
    ctx: RequestContext,
    current: StoredResource,
    input: ResourceInput,
    managedFields?: ManagedFieldsEntry[],
  ): Promise<ResourceObject> {
    const { info } = ctx;
    if (input.uid !== undefined && input.uid !== current.uid) {
      throw apiErrors.conflict(
        info,
        current.name,
        `Precondition failed: UID in precondition: ${input.uid}, UID in object meta: ${current.uid}`,
      );
    }
    if (input.resourceVersion !== undefined && input.resourceVersion !== current.resourceVersion) {
      throw apiErrors.conflict(info, current.name, STALE_OBJECT);
    }
    const old = current.object;
    const spec = specWithRetainedFields(info.kind, old.spec as Record<string, unknown>, input.spec);
    const immutable = [
      ...validateResourceUpdate(info.kind, old.spec, spec),
      // drain (issue 17.1): a new spec.drainIPs entry must name an IP the gateway holds now.
      ...(info.kind === 'NATGateway' ? drainIPsNotHeld(spec, old) : []),
    ];
    if (immutable.length > 0) throw apiErrors.invalid(info, current.name, immutable);
    const specChanged = !same(old.spec, spec);
    const data: ResourceUpdatedData = {
      uid: current.uid,
      generation: old.metadata.generation + (specChanged ? 1 : 0),
    };
    if (!same(old.metadata.labels ?? {}, input.labels)) data.labels = input.labels;
    if (!same(old.metadata.annotations ?? {}, input.annotations))
      data.annotations = input.annotations;
    if (specChanged) data.spec = spec;
    const managed =
      managedFields ??
      recordUpdate(
        { metadata: old.metadata, spec: old.spec },
        { metadata: { labels: input.labels, annotations: input.annotations }, spec },
        old.metadata.managedFields,
        { manager: ctx.fieldManager, apiVersion: API_VERSION, now: formatTimestamp(this.clock()) },
      );
    if (!same(old.metadata.managedFields ?? [], managed)) data.managedFields = managed;
    if (!specChanged && !data.labels && !data.annotations && !data.managedFields) return old;
    if (specChanged) await this.quotas.checkSpec(ctx, { ...input, spec });
    const streamId = resourceStreamId(info.kind, current.namespace, current.name);
    const event = {
      type: resourceEventType(info.kind, 'Updated'),
      data,
      metadata: eventMetadata(ctx),
    };
    // A lost race for the object itself is the caller's (retry or 409 Conflict); one for a
    // claimed value is planned again, and then finds the value taken (422) or free.
    const written = await withClaimRaceRetry(
      streamId,
      (err, attempts) =>
        apiErrors.conflict(
          info,
          current.name,
          `lost ${attempts} races for ${err.streamId}; try again`,
        ),
      async () => {
        const claims = specChanged ? await this.claims.forUpdate(ctx, current, spec) : [];
        if (ctx.dryRun) return false;
        await this.log.appendAll([
          { streamId, events: [event], expectedVersion: current.streamVersion },
          ...claims,
        ]);
        return true;
      },
    );
    if (!written) return objectAfterUpdate(old, data);
    const stored = await this.reader.get(current);
    return stored?.uid === current.uid ? stored.object : objectAfterUpdate(old, data);
  }
}
