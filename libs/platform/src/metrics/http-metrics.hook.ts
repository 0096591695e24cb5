import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { onEveryRequest } from '../http/request-hook';
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
 * Times every HTTP request into natgw_http_request_duration_seconds, at the HTTP server
 * (onEveryRequest) rather than in a Nest middleware: requests rejected by guards or matching
 * no route are counted too, and no router layer is paid for it. The route label is read when
 * the response ends, once the router has matched it.
 */
@Injectable()
export class HttpMetricsHook implements OnApplicationBootstrap {
  constructor(
    private readonly metrics: Metrics,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    onEveryRequest(this.adapterHost, (req, res) => this.observe(req, res));
  }

  /**
   * Starts timing one request; the sample is recorded when the response closes, which Node
   * signals once for every response: after it was sent, or when the connection went first.
   */
  observe(req: RoutedRequest, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A connection closed before the response finished has no real status.
      const status = res.writableFinished ? String(res.statusCode) : ABORTED_STATUS;
      this.metrics.httpRequestDuration.observe(
        { method: req.method ?? 'UNKNOWN', route: routeLabelOf(req), status },
        seconds,
      );
    });
  }
}
