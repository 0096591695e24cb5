import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { fieldError, MAX_VNI, MIN_VNI, StatusCause } from '@natgw/contracts';
import { addressChanges, decideClaim } from '@natgw/domain';
import { PostgresEventStore, StreamAppend } from '@natgw/event-store';
import { ClaimStreams, inLockOrder, NicAddresses, StoredResource } from '@natgw/projections';
import { apiErrors } from '../../http/api-error';
import { eventMetadata, RequestContext } from '../request-context';

/** What a create appends besides `<Kind>Created`, and the spec it stores. */
export interface CreateClaims {
  spec: Record<string, unknown>;
  /** Claim appends in lock order, to append after the object's own stream in one transaction. */
  appends: StreamAppend[];
}

// A random VNI is taken with a chance of (live networks / 16777215): a handful of tries
// finds a free one unless the space is nearly full.
const VNI_PICKS = 64;

type Spec = Record<string, unknown>;

function nicAddresses(uid: string, namespace: string, name: string, spec: Spec): NicAddresses {
  return {
    uid,
    namespace,
    name,
    network: String((spec.networkRef as { name?: unknown } | undefined)?.name ?? ''),
    ips: Array.isArray(spec.ips) ? (spec.ips as string[]) : [],
  };
}

/**
 * The values a write takes from or gives back to the claim streams (see network-claims in
 * @natgw/contracts): a Network's VNI, a NetworkInterface's private addresses in its network.
 * A value another object holds is refused with 422 naming the field. The appends go in the
 * same transaction as the object's event, so of two writers that want one value exactly one
 * wins; the loser's transaction fails with a ConcurrencyError on the claim stream, and the use
 * case plans again (then sees the value taken).
 */
@Injectable()
export class ResourceClaims {
  private readonly streams: ClaimStreams;

  constructor(store: PostgresEventStore) {
    this.streams = new ClaimStreams(store);
  }

  /** A new object's claims: a Network's VNI (pinned, or a free one at random), a NIC's addresses. */
  async forCreate(
    ctx: RequestContext,
    uid: string,
    name: string,
    spec: Spec,
  ): Promise<CreateClaims> {
    switch (ctx.info.kind) {
      case 'Network':
        return this.networkVni(ctx, uid, name, spec);
      case 'NetworkInterface':
        return {
          spec,
          appends: await this.addresses(ctx, nicAddresses(uid, ctx.namespace, name, {}), spec),
        };
      default:
        return { spec, appends: [] };
    }
  }

  /** An update's claims: a NIC's added addresses, and the release of those it dropped. */
  async forUpdate(
    ctx: RequestContext,
    current: StoredResource,
    spec: Spec,
  ): Promise<StreamAppend[]> {
    if (ctx.info.kind !== 'NetworkInterface') return [];
    const before = nicAddresses(
      current.uid,
      current.namespace,
      current.name,
      current.object.spec as Spec,
    );
    return this.addresses(ctx, before, spec);
  }

  /** A delete's releases: a Network's VNI (NICs release their addresses at the final delete, in the allocator). */
  async forDelete(ctx: RequestContext, current: StoredResource): Promise<StreamAppend[]> {
    const vni = (current.object.spec as Spec).vni;
    if (ctx.info.kind !== 'Network' || typeof vni !== 'number') return [];
    const release = await this.streams.releaseVni(
      { uid: current.uid, namespace: current.namespace, name: current.name, vni },
      eventMetadata(ctx),
    );
    return release ? [release] : [];
  }

  private async networkVni(
    ctx: RequestContext,
    uid: string,
    name: string,
    spec: Spec,
  ): Promise<CreateClaims> {
    const pinned = typeof spec.vni === 'number' ? spec.vni : undefined;
    for (let pick = 0; pick < (pinned === undefined ? VNI_PICKS : 1); pick++) {
      const vni = pinned ?? randomInt(MIN_VNI, MAX_VNI + 1);
      const decision = decideClaim((await this.streams.vniHolder(vni)).status, uid);
      if (decision.action === 'claim') {
        const network = { uid, namespace: ctx.namespace, name, vni };
        return {
          spec: { ...spec, vni },
          appends: [this.streams.claimVni(network, decision.expectedVersion, eventMetadata(ctx))],
        };
      }
    }
    if (pinned !== undefined) {
      // Which network holds it is not said: it may be in a namespace the client cannot see.
      throw apiErrors.invalid(ctx.info, name, [
        fieldError.duplicate('spec.vni', pinned, 'the VNI is already used by another Network'),
      ]);
    }
    throw apiErrors.unavailable(`no free VNI found in ${VNI_PICKS} random picks; try again`);
  }

  /**
   * Claims the addresses `spec` adds to `before`'s and releases those it drops. An address it
   * keeps is claimed too when nobody holds it (a NIC created before address claims gets its
   * claims with its next spec change); held by another NIC (a duplicate from before claims), it is
   * left as it is, so that unrelated changes still go through.
   */
  private async addresses(
    ctx: RequestContext,
    before: NicAddresses,
    spec: Spec,
  ): Promise<StreamAppend[]> {
    const after = nicAddresses(before.uid, before.namespace, before.name, spec);
    const changes = addressChanges(before.ips, after.ips);
    const added = new Set(changes.claim.map((a) => a.ip));
    const kept = addressChanges([], after.ips).claim.filter((a) => !added.has(a.ip));
    const metadata = eventMetadata(ctx);
    const appends: StreamAppend[] = [];
    const taken: StatusCause[] = [];
    for (const { index, ip } of [...changes.claim, ...kept]) {
      const holder = await this.streams.addressHolder(after.namespace, after.network, ip);
      const decision = decideClaim(holder.status, after.uid);
      if (decision.action === 'claim')
        appends.push(this.streams.claimAddress(after, ip, decision.expectedVersion, metadata));
      else if (decision.action === 'refuse' && added.has(ip))
        taken.push(
          fieldError.duplicate(
            `spec.ips[${index}]`,
            after.ips[index],
            `the address is already used in network "${after.network}" by NetworkInterface "${holder.data?.nicName ?? decision.holderUid}"`,
          ),
        );
    }
    if (taken.length > 0) throw apiErrors.invalid(ctx.info, before.name, taken);
    appends.push(...(await this.streams.releaseAddresses(before, changes.release, metadata)));
    return inLockOrder(appends);
  }
}
