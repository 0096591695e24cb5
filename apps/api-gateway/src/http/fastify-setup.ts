import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { NatgwFastifyAdapter } from '@natgw/platform';
import { failureStatus } from '@natgw/contracts';
import { reasonOf, sendStatus } from './status-exception.filter';

/**
 * Leaves every request body unread when Fastify routes it: one content-type parser for
 * every media type (and none) that hands the body on untouched. The BodyReaderInterceptor
 * reads it after the guards ran, so a request refused by authentication, authorization
 * or the rate limit is answered (and its connection closed) without its body being read,
 * and the resource handlers parse it by media type and verb (request-body.ts).
 * Fastify's own parsers would read and parse the body before any guard.
 */
export function deferBodies(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
}

/**
 * Answers the errors Fastify raises itself, before a Nest handler runs (a malformed
 * Content-Type header, say), as a Kubernetes Status like every other error; a 5xx
 * carries no internals.
 */
export function answerFrameworkErrors(fastify: FastifyInstance, adapter: unknown): void {
  const answer = (err: Partial<FastifyError> & Error, _req: unknown, reply: FastifyReply) => {
    const code = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    const message = code >= 500 ? 'an internal error occurred' : err.message;
    sendStatus(reply, failureStatus(code, reasonOf(code), message), {});
  };
  fastify.setErrorHandler(answer);
  // Malformed URLs, which Fastify answers before routing (createHttpAdapter's adapter).
  if (adapter instanceof NatgwFastifyAdapter) adapter.setFrameworkErrorHandler(answer);
}
