import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { failureStatus, Status, StatusReason } from '@natgw/contracts';
import { correlationIdOf } from '@natgw/platform';
import { ApiError } from './api-error';
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

function fromHttpException(err: HttpException, req: Request): Status {
  const code = err.getStatus();
  if (code === 404) {
    return failureStatus(
      404,
      'NotFound',
      `the server could not find the requested resource (${req.method} ${req.path})`,
    );
  }
  const body = err.getResponse();
  const message =
    typeof body === 'object' && body !== null && 'message' in body
      ? String((body as { message: unknown }).message)
      : err.message;
  return failureStatus(
    code,
    REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest'),
    message,
  );
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
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
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
        `${req.method} ${req.path}: database unavailable: ${(exception as Error).message}`,
      );
      status = databaseUnavailableStatus(exception);
      headers = { 'Retry-After': String(TRANSIENT_RETRY_AFTER_SECONDS) };
    } else {
      const id = (req as { id?: unknown }).id ?? correlationIdOf(req);
      this.logger.error(
        `unexpected error on ${req.method} ${req.path} (correlation id ${String(id)}): ${(exception as Error)?.stack ?? String(exception)}`,
      );
      status = failureStatus(
        500,
        'InternalError',
        `an internal error occurred (correlation id ${String(id)})`,
      );
    }
    if (res.headersSent) {
      // A watch stream already answered 200: all that is left is to end it.
      res.end();
      return;
    }
    // Refused before its body was read (401, 403, 429): close rather than read the rest.
    if (hasUnreadBody(req)) headers = { ...headers, Connection: 'close' };
    res
      .status(status.code)
      .set(headers)
      .type('application/json')
      .send(JSON.stringify(boundedStatus(status)));
  }
}
