import type { FastifyReply, FastifyRequest } from 'fastify';

/** A request as the api-gateway's handlers see it (Fastify's; Node's own is `req.raw`). */
export type ApiRequest = FastifyRequest<{ Querystring: QueryString }>;

/** The reply handlers answer on (Fastify's; Node's own response is `res.raw`). */
export type ApiReply = FastifyReply;

/** The parsed query string: a parameter given twice is an array. */
export type QueryString = Record<string, string | string[] | undefined>;

/** The request's path, without the query string (what Express called `req.path`). */
export function pathOf(req: { url: string }): string {
  const q = req.url.indexOf('?');
  return q < 0 ? req.url : req.url.slice(0, q);
}
