import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError, apiErrors } from '../http/api-error';
import { Principal, TokenAuthenticator } from './token-authenticator';
import { Verb } from './tokens-file';

const PRINCIPALS = new WeakMap<Request, Principal>();

/** The authenticated principal of a request (set by AuthGuard). */
export function principalOf(req: Request): Principal {
  const p = PRINCIPALS.get(req);
  if (!p) throw new Error('principalOf called on a request AuthGuard did not admit');
  return p;
}

function unauthorized(): ApiError {
  const e = apiErrors.unauthorized('Unauthorized');
  return new ApiError(e.status, { 'WWW-Authenticate': 'Bearer realm="natgw"' });
}

/**
 * Bearer-token authentication and namespace/verb authorization: no or an unknown
 * token is 401; a namespace or verb outside the token's grant is 403. Lists across
 * all namespaces need a grant for "*".
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly authenticator: TokenAuthenticator) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    let principal: Principal | undefined;
    if (!this.authenticator.enabled) {
      principal = this.authenticator.authenticate('');
    } else {
      const header = req.headers.authorization ?? '';
      const match = /^Bearer +(\S+) *$/i.exec(header);
      principal = match ? this.authenticator.authenticate(match[1]) : undefined;
    }
    if (!principal) throw unauthorized();
    const verb: Verb = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
    const namespace = (req.params as Record<string, string | undefined>).namespace;
    if (!principal.verbs.has(verb)) {
      throw apiErrors.forbidden(
        `user "${principal.user}" may not ${verb} (its token grants ${[...principal.verbs].join(', ')} only)`,
      );
    }
    if (principal.namespaces !== '*') {
      if (namespace === undefined) {
        throw apiErrors.forbidden(
          `user "${principal.user}" may not ${verb} across all namespaces; ask for one namespace`,
        );
      }
      if (!principal.namespaces.has(namespace)) {
        throw apiErrors.forbidden(
          `user "${principal.user}" may not ${verb} in namespace "${namespace}"`,
        );
      }
    }
    PRINCIPALS.set(req, principal);
    return true;
  }
}
