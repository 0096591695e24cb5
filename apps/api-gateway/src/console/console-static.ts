import { createReadStream, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { consoleHeaders } from './console-files';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Which file answers a path under the console: 403 for a dot file, index.html for any unknown path. */
export type ConsoleFile = { status: 403 } | { status: 200; file: string };

/**
 * The file `rest` (the path after `/ui/`, still URL-encoded) names in `dir`. A path with a
 * segment that starts with a dot (`..` included) is refused, so nothing outside `dir` and no
 * hidden file is served; a path that names no file gets index.html (the page routes itself).
 */
export function consoleFileFor(dir: string, rest: string): ConsoleFile {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return { status: 403 };
  }
  const segments = decoded.split(/[\\/]/).filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.') || s.includes('\0'))) return { status: 403 };
  const file = join(dir, ...segments);
  const isFile = segments.length > 0 && statSync(file, { throwIfNoEntry: false })?.isFile();
  return { status: 200, file: isFile ? file : join(dir, 'index.html') };
}

/**
 * Serves the console's files at `/ui/` on Fastify, with consoleHeaders, an ETag
 * (size and modification time) and 304 for a client that has the file.
 * (`@fastify/static` 10, the version `@nestjs/platform-fastify` 11 asks for, is ES modules
 * only through `content-disposition` 3, which Jest cannot load: docs/architecture.md.)
 */
export function serveConsole(fastify: FastifyInstance, dir: string, prefix: string): void {
  const handler = (req: FastifyRequest, reply: FastifyReply) => {
    const rest = (req.params as { '*'?: string })['*'] ?? '';
    const found = consoleFileFor(dir, rest);
    if (found.status === 403) return reply.code(403).type('text/plain').send('Forbidden');
    const stat = statSync(found.file);
    const etag = `W/"${stat.size.toString(16)}-${stat.mtimeMs.toString(16)}"`;
    reply.headers({ ...consoleHeaders(found.file), ETag: etag });
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply
      .code(200)
      .header('Content-Type', TYPES[extname(found.file)] ?? 'application/octet-stream')
      .header('Content-Length', stat.size)
      .send(createReadStream(found.file));
  };
  fastify.get(`${prefix}/*`, handler);
  fastify.get(prefix, handler);
}
