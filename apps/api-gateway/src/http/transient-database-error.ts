import { failureStatus, Status } from '@natgw/contracts';

// SQLSTATEs that say "the database is briefly unreachable or busy", not "the
// request is wrong": a client that retries shortly will likely succeed.
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '25006', // read_only_sql_transaction: a demoted primary (failover under way)
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

// Errors of the socket under the pg client, by Node error code.
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

// pg reports a lost or unusable connection with these messages and no code.
const TRANSIENT_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Client has encountered a connection error',
];

// TypeORM's errors for a transaction whose connection was lost under it (the pool released the
// broken connection while the transaction still held its query runner).
const TRANSIENT_ERROR_NAMES = new Set([
  'QueryRunnerProviderAlreadyReleasedError',
  'QueryRunnerAlreadyReleasedError',
]);

function codeOf(err: object): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when an error means the database connection was lost, refused or the
 * server is shutting down or overloaded (SQLSTATE class 08, 57P01-03, 53300,
 * serialization failures and deadlocks, socket errors): the request should be
 * answered 503 with Retry-After, not 500. Looks through TypeORM's
 * QueryFailedError to the pg error it wraps.
 */
export function isTransientDatabaseError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = codeOf(e);
    if (code !== undefined) {
      if (code.startsWith('08') && code.length === 5) return true;
      if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SOCKET_CODES.has(code)) return true;
    }
    if (TRANSIENT_ERROR_NAMES.has((e as { name?: unknown }).name as string)) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.some((m) => message.includes(m))) {
      return true;
    }
    e =
      (e as { driverError?: unknown; cause?: unknown }).driverError ??
      (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Seconds a client should wait before retrying after a transient database error. */
export const TRANSIENT_RETRY_AFTER_SECONDS = 1;

/** The 503 Status for a transient database error (also in `details.retryAfterSeconds`). */
export function databaseUnavailableStatus(err: unknown): Status {
  return failureStatus(
    503,
    'ServiceUnavailable',
    `the database is unavailable (${(err as Error)?.message ?? String(err)}); retry shortly`,
    { retryAfterSeconds: TRANSIENT_RETRY_AFTER_SECONDS },
  );
}
