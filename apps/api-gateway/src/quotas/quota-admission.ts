import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { API_GROUP, ResourceInput, ResourceKindInfo } from '@natgw/contracts';
import { describeExceeded, exceededQuota, QuotaExceeded } from '@natgw/domain';
import { ApiError, apiErrors } from '../http/api-error';
import { RequestContext } from '../resources/request-context';
import { StoredQuota } from '@natgw/projections';
import { QuotaBook } from './quota-book';
import { COUNTED_KINDS, QuotaUsage } from './quota-usage';

/** Admission inside the create's transaction: throws 403 when a quota would be exceeded. */
export type Admit = (manager: EntityManager) => Promise<void>;

/** Kubernetes' 403 for a quota: `natgateways.networking.ironcore.dev "gw" is forbidden: exceeded quota: ...`. */
function exceeded(info: ResourceKindInfo, name: string, e: QuotaExceeded): ApiError {
  const error = apiErrors.forbidden(
    `${info.plural}.${API_GROUP} "${name}" is forbidden: ${describeExceeded(e)}`,
  );
  error.status.details = { name, group: API_GROUP, kind: info.plural };
  return error;
}

/**
 * Enforces the namespace's NATGatewayQuotas on writes. Creates of counted kinds (NATGateway,
 * NetworkInterface) are admitted inside the create's transaction, under a transaction-scoped
 * advisory lock per namespace and kind, counting from the log: concurrent creates are
 * serialized, so exactly the limit gets in. A NATGatewayAutoscaler whose minPublicIPs exceeds
 * what the publicIPs quota leaves its gateway is refused.
 */
@Injectable()
export class QuotaAdmission {
  private readonly readIn = new WeakMap<EntityManager, Map<string, Promise<StoredQuota[]>>>();

  constructor(
    private readonly book: QuotaBook,
    private readonly usage: QuotaUsage,
  ) {}

  /** The admission of a create of `name`, for kinds a quota counts (undefined for the others). */
  forCreate(ctx: RequestContext, name: string): Admit | undefined {
    const resource = COUNTED_KINDS[ctx.info.kind];
    if (resource === undefined) return undefined;
    const { info, namespace } = ctx;
    return async (manager) => {
      const quotas = (await this.quotasIn(namespace, manager)).map((q) => ({
        name: q.name,
        hard: q.state.hard,
      }));
      if (!quotas.some((q) => q.hard[resource] !== undefined)) return;
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `natgw-quota:${namespace}:${resource}`,
      ]);
      const used = await this.usage.liveObjects(info.kind, namespace, manager);
      const refused = exceededQuota(quotas, resource, 1, used);
      if (refused) throw exceeded(info, name, refused);
    };
  }

  /**
   * The namespace's quotas as read in this transaction: read once per transaction, so the
   * creates a group commit puts in one transaction (GroupCommit) share the read. They were
   * all made before the transaction began, so that read is a valid moment for each of them;
   * the count of live objects under the lock is still made for every create.
   */
  private quotasIn(namespace: string, manager: EntityManager): Promise<StoredQuota[]> {
    let read = this.readIn.get(manager);
    if (!read) {
      read = new Map();
      this.readIn.set(manager, read);
    }
    let quotas = read.get(namespace);
    if (!quotas) {
      quotas = this.book.list(namespace, manager);
      read.set(namespace, quotas);
    }
    return quotas;
  }

  /**
   * For a NATGatewayAutoscaler: minPublicIPs must fit in what the publicIPs quota leaves the
   * gateway (the quota minus what the namespace's other gateways hold).
   */
  async checkSpec(ctx: RequestContext, input: ResourceInput): Promise<void> {
    if (ctx.info.kind !== 'NATGatewayAutoscaler') return;
    const spec = input.spec as { natGatewayRef?: { name?: string }; minPublicIPs?: number };
    const min = spec.minPublicIPs ?? 0;
    const gateway = spec.natGatewayRef?.name ?? '';
    const quotas = (await this.book.list(ctx.namespace)).map((q) => ({
      name: q.name,
      hard: q.state.hard,
    }));
    if (!quotas.some((q) => q.hard.publicIPs !== undefined)) return;
    const all = await this.usage.publicIPs(ctx.namespace);
    const own = await this.usage.publicIPs(ctx.namespace, gateway);
    const refused = exceededQuota(quotas, 'publicIPs', min, all - own);
    if (refused) throw exceeded(ctx.info, input.name, refused);
  }
}
