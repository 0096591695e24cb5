import { Inject, Injectable } from '@nestjs/common';
import {
  API_VERSION,
  formatTimestamp,
  ManagedFieldsEntry,
  ResourceInput,
  ResourceObject,
  resourceEventType,
  resourceStreamId,
  ResourceUpdatedData,
  validateResourceUpdate,
} from '@natgw/contracts';
import { objectAfterUpdate, ResourceReader, StoredResource } from '@natgw/projections';
import { apiErrors, STALE_OBJECT } from '../http/api-error';
import { QuotaAdmission } from '../quotas/quota-admission';
import { canonicalJson } from './canonical-json';
import { Clock, CLOCK } from './clock';
import { recordUpdate } from './field-management/managed-fields';
import { ResourceLog } from './resource-log';
import { eventMetadata, RequestContext } from './request-context';

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/**
 * The write shared by PUT and PATCH: checks the preconditions the client sent
 * (uid, resourceVersion) and the immutable fields, then appends `<Kind>Updated`
 * with what changed, expecting the stream version the object was read at.
 * `generation` is bumped when the spec changed; an update that changes nothing
 * (managedFields included) appends nothing. Throws ConcurrencyError when another write won the race.
 */
@Injectable()
export class ResourceUpdater {
  constructor(
    private readonly log: ResourceLog,
    private readonly reader: ResourceReader,
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
    const immutable = validateResourceUpdate(info.kind, old.spec, input.spec);
    if (immutable.length > 0) throw apiErrors.invalid(info, current.name, immutable);
    const specChanged = !same(old.spec, input.spec);
    const data: ResourceUpdatedData = {
      uid: current.uid,
      generation: old.metadata.generation + (specChanged ? 1 : 0),
    };
    if (!same(old.metadata.labels ?? {}, input.labels)) data.labels = input.labels;
    if (!same(old.metadata.annotations ?? {}, input.annotations))
      data.annotations = input.annotations;
    if (specChanged) data.spec = input.spec;
    const managed =
      managedFields ??
      recordUpdate(
        { metadata: old.metadata, spec: old.spec },
        { metadata: { labels: input.labels, annotations: input.annotations }, spec: input.spec },
        old.metadata.managedFields,
        { manager: ctx.fieldManager, apiVersion: API_VERSION, now: formatTimestamp(this.clock()) },
      );
    if (!same(old.metadata.managedFields ?? [], managed)) data.managedFields = managed;
    if (!specChanged && !data.labels && !data.annotations && !data.managedFields) return old;
    if (specChanged) await this.quotas.checkSpec(ctx, input);
    if (ctx.dryRun) return objectAfterUpdate(old, data);
    await this.log.append(
      resourceStreamId(info.kind, current.namespace, current.name),
      [{ type: resourceEventType(info.kind, 'Updated'), data, metadata: eventMetadata(ctx) }],
      current.streamVersion,
    );
    const stored = await this.reader.get(current);
    return stored?.uid === current.uid ? stored.object : objectAfterUpdate(old, data);
  }
}
