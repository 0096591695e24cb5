import type { ApiRequest } from '../http/api-request';
import { principalOf } from './auth.guard';
import { forbidden } from './forbidden';

/** True for a principal granted every namespace and write: an admin. */
function isAdmin(req: ApiRequest): boolean {
  const p = principalOf(req);
  return p.namespaces === '*' && p.verbs.has('write');
}

/** 403 unless the request's token is an admin's (`namespaces: "*"`, `verbs: [write]`). */
export function assertAdmin(req: ApiRequest, what: string): void {
  if (isAdmin(req)) return;
  throw forbidden(
    req,
    principalOf(req).user,
    `${what} is for admins only: a token with namespaces "*" and the write verb`,
  );
}
