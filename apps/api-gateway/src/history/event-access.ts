import { Injectable } from '@nestjs/common';
import type { ApiRequest } from '../http/api-request';
import type { RecordedEvent } from '@natgw/contracts';
import { AllocationHistoryReader } from '@natgw/projections';
import { forbidden } from '../auth/forbidden';
import type { Principal } from '../auth/token-authenticator';
import { streamScope } from './stream-scope';

/**
 * Which log streams a token may read, by the same namespace grants as the
 * resources: a resource's stream by its namespace, a gateway's allocation stream
 * by the gateway's namespace, anything cluster-wide with the "*" grant only.
 */
@Injectable()
export class EventAccess {
  constructor(private readonly history: AllocationHistoryReader) {}

  /** The subset of `streamIds` the principal may read. */
  async readable(principal: Principal, streamIds: readonly string[]): Promise<Set<string>> {
    const granted = principal.namespaces;
    if (granted === '*') return new Set(streamIds);
    const scopes = streamIds.map((id) => ({ id, scope: streamScope(id) }));
    const uids = scopes.flatMap((s) => (s.scope.kind === 'gateway' ? [s.scope.uid] : []));
    const gateways = await this.history.gatewayIdentities([...new Set(uids)]);
    const allowed = new Set<string>();
    for (const { id, scope } of scopes) {
      const namespace =
        scope.kind === 'namespace'
          ? scope.namespace
          : scope.kind === 'gateway'
            ? gateways.get(scope.uid)?.namespace
            : undefined;
      if (namespace !== undefined && granted.has(namespace)) allowed.add(id);
    }
    return allowed;
  }

  /** 403 unless the principal may read the stream. */
  async assertReadable(req: ApiRequest, principal: Principal, streamId: string): Promise<void> {
    if ((await this.readable(principal, [streamId])).has(streamId)) return;
    const granted = principal.namespaces === '*' ? '*' : [...principal.namespaces].join(', ');
    throw forbidden(
      req,
      principal.user,
      `its token grants the namespaces ${granted} only, and stream ${JSON.stringify(streamId.slice(0, 200))} is not in one of them (cluster streams need the "*" grant)`,
    );
  }

  /** The events the principal may read, and how many were left out. */
  async filter(
    principal: Principal,
    events: readonly RecordedEvent[],
  ): Promise<{ items: RecordedEvent[]; omitted: number }> {
    const allowed = await this.readable(principal, [...new Set(events.map((e) => e.streamId))]);
    const items = events.filter((e) => allowed.has(e.streamId));
    return { items, omitted: events.length - items.length };
  }
}
