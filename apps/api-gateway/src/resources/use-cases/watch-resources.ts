import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { ApiRequest, ApiReply } from '../../http/api-request';
import { failureStatus, ResourceKindInfo, WatchEvent } from '@natgw/contracts';
import {
  ResourceChangeListener,
  ResourceReader,
  ResourceVersionTooOldError,
} from '@natgw/projections';
import { principalOf } from '../../auth/auth.guard';
import { ApiError, apiErrors } from '../../http/api-error';
import { ClientLimits } from '../../limits/client-limits';
import { QueryParams } from '../../http/query-params';
import { ResourceVersionTooLargeError, WatchSession } from '../../watch/watch-session';
import { watchStartOf } from '../../watch/watch-start';

/** The apiserver's answer to a version it has not reached: 504 Timeout, cause ResourceVersionTooLarge. */
function resourceVersionTooLarge(err: ResourceVersionTooLargeError): ApiError {
  return new ApiError(
    failureStatus(504, 'Timeout', `Timeout: ${err.message}`, {
      causes: [
        {
          reason: 'ResourceVersionTooLarge',
          message: 'Too large resource version',
          field: '',
        },
      ],
      retryAfterSeconds: 1,
    }),
    { 'Retry-After': '1' },
  );
}

/** Injection token of the watch timings. */
export const WATCH_TIMINGS = Symbol('WATCH_TIMINGS');

/** How often watches send bookmarks and poll, and how long they last by default. */
export interface WatchTimings {
  bookmarkIntervalMs: number;
  pollIntervalMs: number;
  defaultTimeoutSeconds: number;
}

/**
 * `?watch=true`: newline-delimited JSON `{type, object}` events over a chunked 200
 * response, from `resourceVersion` on (or every current object first when none is
 * given; `sendInitialEvents` as in watch-start.ts), until the client leaves or `timeoutSeconds` pass. A version older than
 * the change history is answered 410 Expired before the stream starts. `present`
 * shapes each event for the negotiated representation (a Table row for kubectl).
 */
@Injectable()
export class WatchResources implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Watch');
  private readonly sessions = new Set<WatchSession>();

  constructor(
    private readonly reader: ResourceReader,
    private readonly listener: ResourceChangeListener,
    @Inject(WATCH_TIMINGS) private readonly timings: WatchTimings,
    private readonly limits: ClientLimits,
  ) {}

  /** Ends every open watch, so the server can close (clients re-watch from their last version). */
  beforeApplicationShutdown(): void {
    for (const session of this.sessions) session.close();
  }

  /** Holds one of the client's watch slots (MAX_WATCHES_PER_CLIENT, MAX_WATCHES_TOTAL) while it runs. */
  async execute(
    info: ResourceKindInfo,
    namespace: string | undefined,
    query: QueryParams,
    req: ApiRequest,
    res: ApiReply,
    present: (event: WatchEvent) => WatchEvent = (event) => event,
  ): Promise<void> {
    const release = this.limits.openWatch(req, principalOf(req));
    try {
      await this.watch(info, namespace, query, req, res, present);
    } finally {
      release();
    }
  }

  private async watch(
    info: ResourceKindInfo,
    namespace: string | undefined,
    query: QueryParams,
    req: ApiRequest,
    reply: ApiReply,
    present: (event: WatchEvent) => WatchEvent,
  ): Promise<void> {
    const timeoutSeconds =
      query.count('timeoutSeconds', 86_400) || this.timings.defaultTimeoutSeconds;
    const session = new WatchSession(this.reader, this.listener, {
      kind: info.kind,
      namespace,
      labelSelector: query.labelSelector(),
      fieldSelector: query.fieldSelector(),
      ...watchStartOf(query),
      bookmarkIntervalMs: this.timings.bookmarkIntervalMs,
      pollIntervalMs: this.timings.pollIntervalMs,
    });
    try {
      await session.open();
    } catch (err) {
      if (err instanceof ResourceVersionTooOldError) throw apiErrors.expired(err.message);
      if (err instanceof ResourceVersionTooLargeError) throw resourceVersionTooLarge(err);
      throw err;
    }
    // The stream is written on Node's response: Fastify lets go of it (hijack).
    reply.hijack();
    const res = reply.raw;
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache');
    res.flushHeaders();
    const timer = setTimeout(() => session.close(), timeoutSeconds * 1000);
    this.sessions.add(session);
    req.socket.setTimeout(0);
    res.on('close', () => session.close());
    const send = (event: WatchEvent) =>
      new Promise<void>((resolve) => {
        if (res.writableEnded || res.destroyed) {
          session.close();
          resolve();
          return;
        }
        if (res.write(`${JSON.stringify(present(event))}\n`)) {
          resolve();
          return;
        }
        const done = () => {
          res.off('drain', done).off('close', done);
          resolve();
        };
        res.on('drain', done).on('close', done);
      });
    await new Promise<void>((resolve) => {
      void session.run({ send }, (err) => {
        clearTimeout(timer);
        this.sessions.delete(session);
        if (err)
          this.logger.warn(`watch of ${info.plural} ended by an error: ${(err as Error).message}`);
        if (!res.writableEnded) res.end();
        resolve();
      });
    });
  }
}
