import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiRequest, pathOf } from '../http/api-request';
import { kindByPlural, ResourceKindInfo } from '@natgw/contracts';
import { apiErrors } from '../http/api-error';
import { assertPathNames } from './path-names';

/** What a resource URL names: the kind, and the namespace and name when it has them. */
export interface ResourceTarget {
  req: ApiRequest;
  info: ResourceKindInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A target whose URL names one object. */
export type ObjectTarget = ResourceTarget & { namespace: string; name: string };

/** A target whose URL names a namespace's collection. */
export type CollectionTarget = ResourceTarget & { namespace: string };

/** Resolves the URL's kind (404 for an unknown one) and its namespace and name. */
export function resourceTarget(req: ApiRequest, checkNames: boolean): ResourceTarget {
  const p = req.params as Record<string, string | undefined>;
  const info = kindByPlural(p.plural ?? '');
  if (!info) throw apiErrors.noSuchPath(`${req.method} ${pathOf(req)}`);
  if (checkNames) assertPathNames(info, p.namespace, p.name);
  return { req, info, namespace: p.namespace, name: p.name, subresource: p.subresource };
}

/**
 * The resource a request addresses, as a handler parameter. Resolved after the
 * AuthGuard ran. Names no object can have are a 404 here, before any query; a
 * create takes `@Target({ names: false })` and lets validation name them (422).
 */
export const Target = createParamDecorator(
  (options: { names?: boolean } | undefined, ctx: ExecutionContext): ResourceTarget =>
    resourceTarget(ctx.switchToHttp().getRequest<ApiRequest>(), options?.names !== false),
);
