import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { failureStatus, Status, StatusReason } from '@natgw/contracts';
import { ApiError } from './api-error';
import { ApiReply, ApiRequest, pathOf } from './api-request';
import { hasUnreadBody } from './body-reader.middleware';
import { boundedStatus } from './bounded-status';
import {
  databaseUnavailableStatus,
  isTransientDatabaseError,
  TRANSIENT_RETRY_AFTER_SECONDS,
} from './transient-database-error';

const REASONS: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The Status reason of an HTTP code. */
export function reasonOf(code: number): StatusReason {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
}

/** Answers `status` (cut to boundedStatus's caps) with extra headers, on Fastify's reply. */
export function sendStatus(res: ApiReply, status: Status, headers: Record<string, string>): void {
  res
    .code(status.code)
    .headers(headers)
    .type('application/json')
    .send(JSON.stringify(boundedStatus(status)));
}

function fromHttpException(err: HttpException, req: ApiRequest): Status {
  const code = err.getStatus();
  if (code === 404) {
    return failureStatus(
      404,
      'NotFound',
      `the server could not find the requested resource (${req.method} ${pathOf(req)})`,
    );
  }
  const body = err.getResponse();
  const message =
    typeof body === 'object' && body !== null && 'message' in body
      ? String((body as { message: unknown }).message)
      : err.message;
  return failureStatus(code, reasonOf(code), message);
}

/**
 * Answers every error as a Kubernetes Status. A lost or refused database
 * connection is answered 503 with Retry-After. Anything else that is not an
 * ApiError or an HTTP exception is a bug: it is logged with the correlation id and
 * answered 500 without internals. Every answer is cut to the caps of boundedStatus.
 */
@Catch()
export class StatusExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<ApiRequest>();
    const res = ctx.getResponse<ApiReply>();
    let status: Status;
    let headers: Record<string, string> = {};
    if (exception instanceof ApiError) {
      status = exception.status;
      headers = exception.headers;
    } else if (exception instanceof HttpException) {
      status = fromHttpException(exception, req);
    } else if (isTransientDatabaseError(exception)) {
      // A cut or refused database connection is an outage, not a bug: the client may retry.
      this.logger.warn(
        `${req.method} ${pathOf(req)}: database unavailable: ${(exception as Error).message}`,
      );
      status = databaseUnavailableStatus(exception);
      headers = { 'Retry-After': String(TRANSIENT_RETRY_AFTER_SECONDS) };
    } else {
      // Fastify's request id is the correlation id (createHttpAdapter).
      const id = req.id;
      this.logger.error(
        `unexpected error on ${req.method} ${pathOf(req)} (correlation id ${String(id)}): ${(exception as Error)?.stack ?? String(exception)}`,
      );
      status = failureStatus(
        500,
        'InternalError',
        `an internal error occurred (correlation id ${String(id)})`,
      );
    }
    if (res.raw.headersSent) {
      // A watch stream already answered 200: all that is left is to end it.
      res.raw.end();
      return;
    }
    // Refused before its body was read (401, 403, 429): close rather than read the rest.
    if (hasUnreadBody(req)) headers = { ...headers, Connection: 'close' };
    sendStatus(res, status, headers);
  }
}
