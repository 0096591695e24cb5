import {
  API_GROUP,
  describeCause,
  failureStatus,
  ResourceKindInfo,
  Status,
  StatusCause,
  StatusReason,
} from '@natgw/contracts';

/** An API failure carried as the Kubernetes Status the client receives. */
export class ApiError extends Error {
  constructor(
    readonly status: Status,
    readonly headers: Record<string, string> = {},
  ) {
    super(status.message);
    this.name = 'ApiError';
  }
}

function fail(
  code: number,
  reason: StatusReason,
  message: string,
  details?: Status['details'],
): ApiError {
  return new ApiError(failureStatus(code, reason, message, details));
}

/** `natgateways.networking.ironcore.dev`, as Kubernetes names a resource in messages. */
function qualified(info: ResourceKindInfo): string {
  return `${info.plural}.${API_GROUP}`;
}

const about = (info: ResourceKindInfo, name: string) => ({
  name,
  group: API_GROUP,
  kind: info.plural,
});

/** Builders for every error the API answers with, worded like the Kubernetes API server's. */
export const apiErrors = {
  badRequest: (message: string, causes?: StatusCause[]) =>
    fail(400, 'BadRequest', message, causes && causes.length > 0 ? { causes } : undefined),
  unauthorized: (message: string) => fail(401, 'Unauthorized', message),
  forbidden: (message: string) => fail(403, 'Forbidden', message),
  notFound: (info: ResourceKindInfo, name: string) =>
    fail(404, 'NotFound', `${qualified(info)} "${name}" not found`, about(info, name)),
  namespaceNotFound: (namespace: string) =>
    fail(404, 'NotFound', `namespaces "${namespace}" not found: not a valid namespace name`, {
      name: namespace,
      kind: 'namespaces',
    }),
  noSuchPath: (path: string) =>
    fail(404, 'NotFound', `the server could not find the requested resource (${path})`),
  methodNotAllowed: (message: string) => fail(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => fail(406, 'NotAcceptable', message),
  alreadyExists: (info: ResourceKindInfo, name: string) =>
    fail(409, 'AlreadyExists', `${qualified(info)} "${name}" already exists`, about(info, name)),
  conflict: (info: ResourceKindInfo, name: string, why: string) =>
    fail(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(info)} "${name}": ${why}`,
      about(info, name),
    ),
  expired: (message: string) => fail(410, 'Expired', message),
  tooLarge: (limit: number) =>
    fail(413, 'RequestEntityTooLarge', `the request body is larger than ${limit} bytes`),
  /** A request whose effect would be too large, such as a patch that grows an object past the limit. */
  entityTooLarge: (message: string) => fail(413, 'RequestEntityTooLarge', message),
  unsupportedMediaType: (message: string) => fail(415, 'UnsupportedMediaType', message),
  invalid: (info: ResourceKindInfo, name: string, causes: StatusCause[]) =>
    fail(
      422,
      'Invalid',
      `${info.kind}.${API_GROUP} "${name}" is invalid: ${
        causes.length === 1 ? describeCause(causes[0]) : `[${causes.map(describeCause).join(', ')}]`
      }`,
      { name, group: API_GROUP, kind: info.kind, causes },
    ),
  /** A request that is well-formed but cannot be carried out, such as a JSON patch whose test fails. */
  unprocessable: (message: string) => fail(422, 'Invalid', message),
  timeout: (message: string) => fail(504, 'Timeout', message),
  /** The service is behind (e.g. its read model): retry after a moment. */
  unavailable: (message: string, retryAfterSeconds = 1) =>
    new ApiError(failureStatus(503, 'ServiceUnavailable', message, { retryAfterSeconds }), {
      'Retry-After': String(retryAfterSeconds),
    }),
  internal: (message: string) => fail(500, 'InternalError', message),
  /** A client over its rate limit or its share of watches: retry after the given seconds. */
  tooManyRequests: (message: string, retryAfterSeconds: number) =>
    new ApiError(failureStatus(429, 'TooManyRequests', message, { retryAfterSeconds }), {
      'Retry-After': String(retryAfterSeconds),
    }),
};

/** The stale-resourceVersion conflict, in the API server's words. */
export const STALE_OBJECT =
  'the object has been modified; please apply your changes to the latest version and try again';
