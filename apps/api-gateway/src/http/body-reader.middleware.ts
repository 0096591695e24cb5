import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { apiErrors } from './api-error';

/** The largest request body accepted: 1 MiB, as the Kubernetes API server does for most requests. */
export const MAX_BODY_BYTES = 1024 * 1024;

// Past the limit the rest is read and dropped, so the client sees the 413 instead of
// a reset connection; a client that keeps sending beyond this is cut off.
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

const BODIES = new WeakMap<Request, Buffer>();

/** The raw body the BodyReaderMiddleware read (empty when there was none). */
export function rawBodyOf(req: Request): Buffer {
  return BODIES.get(req) ?? Buffer.alloc(0);
}

/**
 * Reads the request body as raw bytes, at most MAX_BODY_BYTES (413 beyond),
 * before any parsing: parsing depends on the content type and the verb, and
 * happens in the resource handlers. Nest's own body parser is off (runService).
 */
@Injectable()
export class BodyReaderMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    // Nest runs route middleware once per matching route (a verb's route and the
    // catch-all 405 route), so the body may have been read already.
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
    const declared = Number(req.headers['content-length'] ?? 0);
    const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) {
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
  }
}
