import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { ApiRequest } from './api-request';
import { from, mergeMap, Observable } from 'rxjs';
import { apiErrors } from './api-error';

/** The largest request body accepted: 1 MiB, as the Kubernetes API server does for most requests. */
export const MAX_BODY_BYTES = 1024 * 1024;

// Past the limit the rest is read and dropped, so the client sees the 413 instead of
// a reset connection; a client that keeps sending beyond this is cut off.
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

const BODIES = new WeakMap<IncomingMessage, Buffer>();

/** The raw body the BodyReaderInterceptor read (empty when there was none). */
export function rawBodyOf(req: ApiRequest): Buffer {
  return BODIES.get(req.raw) ?? Buffer.alloc(0);
}

/**
 * Reads the request body as raw bytes, at most MAX_BODY_BYTES (413 beyond),
 * before any parsing: parsing depends on the content type and the verb, and
 * happens in the resource handlers. Fastify's parsers leave it unread (deferBodies).
 * An interceptor, so it runs after the guards: a request that fails authentication,
 * authorization or the rate limit is answered without its body being read.
 */
@Injectable()
export class BodyReaderInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<ApiRequest>();
    // Most requests (GET) have no body: no promise and no extra operator for them.
    if (!declaresBody(req.raw) && !req.headers['content-encoding']) return next.handle();
    return from(readBody(req.raw)).pipe(mergeMap(() => next.handle()));
  }
}

/** True when the request declares a body that nobody read (the answer then closes the connection). */
export function hasUnreadBody(req: ApiRequest): boolean {
  return declaresBody(req.raw) && !BODIES.has(req.raw) && !req.raw.complete;
}

/** True when the request's headers announce a body (a length above 0, or chunks). */
function declaresBody(req: IncomingMessage): boolean {
  const declared = Number(req.headers['content-length'] ?? 0);
  return declared > 0 || req.headers['transfer-encoding'] !== undefined;
}

function readBody(req: IncomingMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (err?: unknown) => (err ? reject(err) : resolve());
    if (BODIES.has(req)) {
      next();
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      next(
        apiErrors.unsupportedMediaType(
          `content encoding "${encoding}" is not supported; send the body uncompressed`,
        ),
      );
      return;
    }
    if (!declaresBody(req)) {
      next();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      req.removeListener('data', onData);
      if (err) next(err);
      else if (size > MAX_BODY_BYTES) next(apiErrors.tooLarge(MAX_BODY_BYTES));
      else {
        BODIES.set(req, Buffer.concat(chunks, size));
        next();
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) {
        req.socket.destroy();
        finish(apiErrors.tooLarge(MAX_BODY_BYTES));
      } else chunks.length = 0;
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('error', (err) =>
      finish(apiErrors.badRequest(`could not read the request body: ${err.message}`)),
    );
    req.once('aborted', () => finish(apiErrors.badRequest('the client aborted the request')));
  });
}
