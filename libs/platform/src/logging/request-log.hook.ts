import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { onEveryRequest } from '../http/request-hook';

/** The header that carries one user request's id through every service. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** The pino logger every log line of the service goes through (LoggingModule provides it). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes, called every few seconds: no line per request. */
const QUIET_PATHS = new Set(['/healthz', '/readyz']);

/** The request's correlation id: the client's header when it is sane, else a fresh uuid. */
export function correlationIdOf(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  const value = Array.isArray(given) ? given[0] : given;
  return value && SAFE_ID.test(value) ? value : randomUUID();
}

/**
 * Gives every HTTP request its correlation id (`req.id`, echoed in the `x-correlation-id`
 * answer header) and, when the level lets info lines through, logs one line per request
 * once its response is done: `request completed` (or `request errored` for a 5xx, `request
 * aborted` when the client left first) with the method, the URL, the status and
 * `responseTime` in ms. It runs at the HTTP server (onEveryRequest), not as a Nest
 * middleware, and builds nothing per request that the level drops: no child logger, no
 * serialized request, no async context.
 */
@Injectable()
export class RequestLogHook implements OnApplicationBootstrap {
  constructor(
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    onEveryRequest(this.adapterHost, (req, res) => this.handle(req, res));
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const id = correlationIdOf(req);
    (req as IncomingMessage & { id?: string }).id = id;
    res.setHeader(CORRELATION_HEADER, id);
    if (!this.logger.isLevelEnabled('info') || QUIET_PATHS.has(req.url ?? '')) return;
    const started = Date.now();
    const { method, url } = req;
    res.once('close', () => {
      const statusCode = res.statusCode;
      const line = {
        correlationId: id,
        req: { method, url },
        res: { statusCode },
        responseTime: Date.now() - started,
      };
      if (!res.writableFinished) this.logger.info(line, 'request aborted');
      else if (statusCode >= 500) this.logger.info(line, 'request errored');
      else this.logger.info(line, 'request completed');
    });
  }
}
