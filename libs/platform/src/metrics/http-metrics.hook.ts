import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { onEveryRequest } from '../http/request-hook';
import { Metrics } from './metrics';

/** The route label of requests that matched no route: raw paths would explode the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The status label of requests whose connection closed before the response was sent. */
export const ABORTED_STATUS = 'aborted';

/** Where the Fastify route pattern is noted on Node's request (tagRoutePatterns). */
export const ROUTE_PATTERN = Symbol('routePattern');

interface RoutedRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
  [ROUTE_PATTERN]?: string;
}

/** The shape of Fastify's instance that tagRoutePatterns needs. */
interface HookableInstance {
  addHook(
    name: 'onRequest',
    hook: (
      request: { raw: RoutedRequest; routeOptions?: { url?: string } },
      reply: unknown,
      done: () => void,
    ) => void,
  ): unknown;
}

/**
 * On Fastify, notes the route pattern each request matched on Node's request (where
 * routeLabelOf reads it), in one `onRequest` hook; on Express (which notes `req.route`
 * itself) it does nothing.
 */
export function tagRoutePatterns(instance: unknown): void {
  const fastify = instance as Partial<HookableInstance> | undefined;
  if (typeof fastify?.addHook !== 'function') return;
  fastify.addHook('onRequest', (request, _reply, done) => {
    const url = request.routeOptions?.url;
    if (url !== undefined) request.raw[ROUTE_PATTERN] = url;
    done();
  });
}

/** The route pattern the router matched (`/apis/.../:name`), never the raw path. */
export function routeLabelOf(req: RoutedRequest): string {
  const tagged = req[ROUTE_PATTERN];
  if (tagged !== undefined) return tagged || '/';
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
    tagRoutePatterns(this.adapterHost.httpAdapter?.getInstance?.());
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
