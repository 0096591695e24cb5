import type { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Work done for every HTTP request before the framework sees it (it must not end the response). */
export type RequestHook = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Runs `hook` on every request of the app's HTTP (or HTTPS) server, before its router: a
 * listener on the server's `request` event, put in front of the framework's. Unlike a Nest
 * middleware it costs no router layer and no middleware wrapper per request, and it sees
 * every request, also those no route matches or a guard refuses. Does nothing in an app
 * without an HTTP server (a microservice-only context).
 */
export function onEveryRequest(adapterHost: HttpAdapterHost, hook: RequestHook): void {
  const server = adapterHost.httpAdapter?.getHttpServer() as
    { prependListener?: (event: 'request', listener: RequestHook) => unknown } | undefined;
  server?.prependListener?.('request', hook);
}
