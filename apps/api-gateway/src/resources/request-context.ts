import type { ApiRequest } from '../http/api-request';
import { API_GATEWAY_SOURCE, EventMetadata, ResourceKindInfo } from '@natgw/contracts';
import { principalOf } from '../auth/auth.guard';
import { FieldValidation, QueryParams } from '../http/query-params';
import { fieldManagerOf } from './field-management/field-manager-param';

/** What every use case needs to know about the request: who, which resource, which options. */
export interface RequestContext {
  info: ResourceKindInfo;
  namespace: string;
  actor: string;
  correlationId: string;
  dryRun: boolean;
  fieldValidation: FieldValidation;
  /** Who writes (`fieldManager`, else the User-Agent's product), for metadata.managedFields. */
  fieldManager: string;
  /** Whether the client named its field manager (server-side apply requires it). */
  fieldManagerGiven: boolean;
  /** MAX_PUBLIC_IPS_PER_GATEWAY (default DEFAULT_MAX_PUBLIC_IPS_PER_GATEWAY): caps minPublicIPs and maxPublicIPs. */
  maxPublicIPsPerGateway?: number;
}

/** The metadata every event appended for this request carries. */
export function eventMetadata(ctx: RequestContext): EventMetadata {
  return { correlationId: ctx.correlationId, actor: ctx.actor, source: API_GATEWAY_SOURCE };
}

/** The metadata of the events a request appends, for controllers without a RequestContext. */
export function requestEventMetadata(req: ApiRequest): EventMetadata {
  return {
    // Fastify's request id is the correlation id (createHttpAdapter).
    correlationId: req.id,
    actor: principalOf(req).user,
    source: API_GATEWAY_SOURCE,
  };
}

/** Builds the context of a request to a namespaced resource. */
export function requestContext(
  req: ApiRequest,
  info: ResourceKindInfo,
  namespace: string,
  maxPublicIPsPerGateway?: number,
): RequestContext {
  const query = new QueryParams(req.query);
  return {
    info,
    namespace,
    actor: principalOf(req).user,
    correlationId: req.id,
    dryRun: query.dryRun(),
    fieldValidation: query.fieldValidation(),
    ...fieldManagerOf(query, req.headers['user-agent']),
    ...(maxPublicIPsPerGateway !== undefined ? { maxPublicIPsPerGateway } : {}),
  };
}
