import { ApiRequest, pathOf } from '../http/api-request';
import { ApiError, apiErrors } from '../http/api-error';

/** What a request asks to do, in the words of Kubernetes' authorizer. */
interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

const WRITE_VERBS: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Reads `/apis/<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]`. */
function attributesOf(req: ApiRequest): RequestAttributes {
  const [, group = '', , ...rest] = pathOf(req)
    .split('/')
    .filter((s) => s !== '');
  const scoped = rest[0] === 'namespaces' && rest.length >= 3;
  const [resource = '', name, subresource] = scoped ? rest.slice(2) : rest;
  const read = req.method === 'GET' || req.method === 'HEAD';
  const watch = req.query.watch === 'true' || req.query.watch === '1';
  const verb = read
    ? watch
      ? 'watch'
      : name
        ? 'get'
        : 'list'
    : (WRITE_VERBS[req.method] ?? req.method.toLowerCase());
  return {
    verb,
    group,
    resource,
    subresource,
    namespace: scoped ? rest[1] : undefined,
    name,
  };
}

/**
 * The 403 for a request outside a token's grant, worded like the Kubernetes RBAC
 * authorizer's (`natgateways.networking.ironcore.dev "gw" is forbidden: User
 * "viewer" cannot patch resource "natgateways" in API group ... in the namespace
 * "default"`), so kubectl shows it as it shows the API server's, followed by why.
 */
export function forbidden(req: ApiRequest, user: string, why: string): ApiError {
  const a = attributesOf(req);
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const error = apiErrors.forbidden(
    `${subject} is forbidden: User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}: ${why}`,
  );
  error.status.details = {
    group: a.group,
    kind: a.resource,
    ...(a.name ? { name: a.name } : {}),
  };
  return error;
}
