import { FastifyAdapter } from '@nestjs/platform-fastify';
import type {
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
  RouteHandlerMethod,
} from 'fastify';
import type { IncomingMessage } from 'node:http';
import { correlationIdOf } from '../logging/request-log.hook';

/** TLS material of a service that serves HTTPS. */
export interface TlsOptions {
  cert: Buffer;
  key: Buffer;
}

type Handler = RouteHandlerMethod;

/** Answers an error Fastify raised itself. */
export type FrameworkErrorHandler = (err: Error, req: FastifyRequest, reply: FastifyReply) => void;

/**
 * Fastify's adapter with Express's meaning of `@All(path)` declared after a path's own
 * verbs: it answers the methods those left (a 405 for them, say). Fastify alone refuses
 * a second handler for a method and path, so `@All` after `@Get` on one path failed.
 */
export class NatgwFastifyAdapter extends FastifyAdapter {
  private frameworkErrorHandler?: FrameworkErrorHandler;

  constructor(options: FastifyServerOptions) {
    const self: { adapter?: NatgwFastifyAdapter } = {};
    super({
      ...options,
      // Errors Fastify answers before routing (a malformed URL): the app's handler, if set.
      frameworkErrors: (err: Error, req: FastifyRequest, reply: FastifyReply) => {
        const handle = self.adapter?.frameworkErrorHandler;
        if (handle) handle(err, req, reply);
        else reply.code(400).send(err);
      },
    });
    self.adapter = this;
  }

  /** Who answers the errors Fastify raises before routing (a malformed URL, say). */
  setFrameworkErrorHandler(handler: FrameworkErrorHandler): void {
    this.frameworkErrorHandler = handler;
  }

  override all(path: unknown, handler?: unknown): unknown {
    if (typeof path !== 'string' || typeof handler !== 'function') {
      return super.all(path, handler);
    }
    const fastify = this.getInstance();
    const methods = fastify.supportedMethods.filter(
      (method) => !fastify.hasRoute({ method: method as 'GET', url: path }),
    );
    if (methods.length === 0) return this;
    // The adapter's own guard against empty path parameters, as its other verbs have it.
    const guard = (
      this as unknown as { requireNonEmptyParams?: (p: string, h: Handler) => Handler }
    ).requireNonEmptyParams;
    const route = guard ? guard.call(this, path, handler as Handler) : (handler as Handler);
    return fastify.route({ method: methods, url: path, handler: route });
  }
}

/**
 * The HTTP adapter every natgw service runs on: Fastify (issue 14; Express's router and
 * `res.json` were ~15% of a `/healthz`). Its request id is the correlation id the
 * RequestLogHook gave the request (or one made here), its own logger is off (natgw logs
 * requests at the server: RequestLogHook), a trailing slash matches as on Express, and a
 * path parameter may be as long as a URL can be (Fastify's default of 100 characters would
 * make a 253-character object name a 404).
 */
export function createHttpAdapter(tls?: TlsOptions): NatgwFastifyAdapter {
  return new NatgwFastifyAdapter({
    ...(tls ? { https: tls } : {}),
    logger: false,
    genReqId: (raw: IncomingMessage) => {
      const id = (raw as IncomingMessage & { id?: unknown }).id;
      return typeof id === 'string' ? id : correlationIdOf(raw);
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 16_384 },
  });
}
