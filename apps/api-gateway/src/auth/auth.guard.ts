import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { ApiRequest } from '../http/api-request';
import { ApiError, apiErrors } from '../http/api-error';
import { ClientLimits } from '../limits/client-limits';
import { forbidden } from './forbidden';
import { isLoopbackHostHeader } from './loopback-host-header';
import { Principal, TokenAuthenticator } from './token-authenticator';
import { Verb } from './tokens-file';

const PRINCIPALS = new WeakMap<ApiRequest, Principal>();

/** The authenticated principal of a request (set by AuthGuard). */
export function principalOf(req: ApiRequest): Principal {
  const p = PRINCIPALS.get(req);
  if (!p) throw new Error('principalOf called on a request AuthGuard did not admit');
  return p;
}

function unauthorized(): ApiError {
  const e = apiErrors.unauthorized('Unauthorized');
  return new ApiError(e.status, { 'WWW-Authenticate': 'Bearer realm="natgw"' });
}

/** Without a tokens file only requests addressed to loopback are served: see isLoopbackHostHeader. */
function misdirected(host: string | undefined): ApiError {
  return apiErrors.forbidden(
    `the API runs without a tokens file, so it serves only requests addressed to this machine (Host localhost, 127.0.0.1 or [::1]); Host ${JSON.stringify((host ?? '').slice(0, 256))} is refused (a DNS-rebinding page would send it). Set AUTH_TOKENS_FILE to serve other names`,
  );
}

/**
 * The principal of the request's bearer token; 401 when there is none or it is unknown,
 * 429 when its client is over its rate limit. Guards run before the body is read
 * (BodyReaderInterceptor), so an unauthenticated or throttled body is never read. Without a
 * tokens file everyone is ANONYMOUS, and a Host header that does not name loopback is 403.
 */
function authenticate(
  authenticator: TokenAuthenticator,
  limits: ClientLimits,
  req: ApiRequest,
): Principal {
  let principal: Principal | undefined;
  if (!authenticator.enabled) {
    if (!isLoopbackHostHeader(req.headers.host)) throw misdirected(req.headers.host);
    principal = authenticator.authenticate('');
  } else {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer +(\S+) *$/i.exec(header);
    principal = match ? authenticator.authenticate(match[1]) : undefined;
  }
  if (!principal) throw unauthorized();
  limits.admit(req, principal);
  return principal;
}

/**
 * Authentication only, for what every known user may read whatever its grant:
 * discovery and the Kubernetes OpenAPI documents (as Kubernetes' system:discovery
 * role allows every authenticated user). No or an unknown token is 401.
 */
@Injectable()
export class AuthenticatedGuard implements CanActivate {
  constructor(
    private readonly authenticator: TokenAuthenticator,
    private readonly limits: ClientLimits,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<ApiRequest>();
    PRINCIPALS.set(req, authenticate(this.authenticator, this.limits, req));
    return true;
  }
}

/**
 * Bearer-token authentication and namespace/verb authorization: no or an unknown
 * token is 401; a namespace or verb outside the token's grant is 403. Lists across
 * all namespaces need a grant for "*".
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly authenticator: TokenAuthenticator,
    private readonly limits: ClientLimits,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<ApiRequest>();
    const principal = authenticate(this.authenticator, this.limits, req);
    const verb: Verb = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
    const namespace = (req.params as Record<string, string | undefined>).namespace;
    if (!principal.verbs.has(verb)) {
      throw forbidden(
        req,
        principal.user,
        `its token grants ${[...principal.verbs].join(' and ')} only, not ${verb}`,
      );
    }
    if (principal.namespaces !== '*') {
      const granted = [...principal.namespaces].join(', ');
      if (namespace === undefined) {
        throw forbidden(
          req,
          principal.user,
          `its token grants the namespaces ${granted} only; requests across all namespaces (and cluster-scoped ones) need the "*" grant`,
        );
      }
      if (!principal.namespaces.has(namespace)) {
        throw forbidden(req, principal.user, `its token grants the namespaces ${granted} only`);
      }
    }
    PRINCIPALS.set(req, principal);
    return true;
  }
}
