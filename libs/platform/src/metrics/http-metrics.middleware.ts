import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Metrics } from './metrics';

/** The route label of requests that matched no route: raw paths would explode the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The status label of requests whose connection closed before the response was sent. */
export const ABORTED_STATUS = 'aborted';

interface RoutedRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
}

/** The route pattern Express matched (`/apis/.../:name`), never the raw path. */
export function routeLabelOf(req: RoutedRequest): string {
  const pattern = req.route?.path;
  if (typeof pattern !== 'string') return UNMATCHED_ROUTE;
  return `${req.baseUrl ?? ''}${pattern}` || '/';
}

/**
 * Times every HTTP request into natgw_http_request_duration_seconds. A middleware
 * rather than an interceptor, so that requests rejected by guards or matching no
 * route are counted too.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: Metrics) {}

  use(req: RoutedRequest, res: ServerResponse, next: () => void): void {
    const started = process.hrtime.bigint();
    let recorded = false;
    const record = (): void => {
      // 'finish' and 'close' both fire for a completed response; count it once.
      if (recorded) return;
      recorded = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A connection closed before the response finished has no real status.
      const status = res.writableFinished ? String(res.statusCode) : ABORTED_STATUS;
      this.metrics.httpRequestDuration.observe(
        { method: req.method ?? 'UNKNOWN', route: routeLabelOf(req), status },
        seconds,
      );
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  }
}
