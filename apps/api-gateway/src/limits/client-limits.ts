import { Injectable } from '@nestjs/common';
import type { ApiRequest } from '../http/api-request';
import { ApiGatewayConfig } from '../api-gateway.config';
import { Principal } from '../auth/token-authenticator';
import { apiErrors } from '../http/api-error';
import { TokenBuckets } from './token-buckets';
import { ReleaseSlot, WatchSlots } from './watch-slots';

/** How long a client refused for its share of watches waits before it tries again. */
const WATCH_RETRY_SECONDS = 5;

/** Whom a limit counts: the token, or without tokens (ANONYMOUS) the client's IP address. */
export function clientKey(req: ApiRequest, principal: Principal): string {
  return principal.tokenId !== undefined
    ? `token:${principal.tokenId}`
    : `ip:${req.socket.remoteAddress ?? 'unknown'}`;
}

/** Requests that change something take RATE_LIMIT_WRITE_COST tokens; reads (and watches) one. */
function isRead(req: ApiRequest): boolean {
  return req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
}

/**
 * The per-client limits of the API: a token bucket per client (RATE_LIMIT_QPS, _BURST,
 * _WRITE_COST; 429 with Retry-After beyond it) and the open watches per client and in total
 * (MAX_WATCHES_PER_CLIENT: 429; MAX_WATCHES_TOTAL: 503). The guards call `admit` right after
 * authentication, before the body is read.
 */
@Injectable()
export class ClientLimits {
  private readonly buckets?: TokenBuckets;
  private readonly writeCost: number;
  readonly watches: WatchSlots;

  constructor(config: ApiGatewayConfig) {
    if (config.RATE_LIMIT_QPS > 0) {
      this.buckets = new TokenBuckets(config.RATE_LIMIT_QPS, config.RATE_LIMIT_BURST);
    }
    this.writeCost = config.RATE_LIMIT_WRITE_COST;
    this.watches = new WatchSlots(config.MAX_WATCHES_PER_CLIENT, config.MAX_WATCHES_TOTAL);
  }

  /** Takes the request's cost from its client's bucket; 429 when the bucket is short. */
  admit(req: ApiRequest, principal: Principal): void {
    if (!this.buckets) return;
    const result = this.buckets.take(clientKey(req, principal), isRead(req) ? 1 : this.writeCost);
    if (!result.ok) {
      throw apiErrors.tooManyRequests(
        `too many requests from ${principal.user}: the rate limit is ${this.rateText()}; retry after ${result.retryAfterSeconds}s`,
        result.retryAfterSeconds,
      );
    }
  }

  /** A slot for one more open watch of the request's client; 429 or 503 when there is none. */
  openWatch(req: ApiRequest, principal: Principal): ReleaseSlot {
    const slot = this.watches.acquire(clientKey(req, principal));
    if (slot === 'client') {
      throw apiErrors.tooManyRequests(
        `too many open watches for ${principal.user}: at most ${this.watches.maxPerClient} at once (MAX_WATCHES_PER_CLIENT); close one, or retry later`,
        WATCH_RETRY_SECONDS,
      );
    }
    if (slot === 'total') {
      throw apiErrors.unavailable(
        `the api-gateway holds its maximum of ${this.watches.maxTotal} open watches (MAX_WATCHES_TOTAL); retry later`,
        WATCH_RETRY_SECONDS,
      );
    }
    return slot;
  }

  private rateText(): string {
    return 'RATE_LIMIT_QPS requests per second (writes count RATE_LIMIT_WRITE_COST)';
  }
}
