/**
 * A token bucket per key (a gateway): `ratePerSecond` tokens a second, at most `ratePerSecond`
 * held, so a quiet gateway may burst one second's worth. Pure: the caller passes the time.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly ratePerSecond: number) {
    if (!(ratePerSecond > 0)) throw new Error('ratePerSecond must be positive');
  }

  /** Takes a token for `key` at `nowMs`; false when the bucket is empty (the record is dropped). */
  take(key: string, nowMs: number): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: this.ratePerSecond, at: nowMs };
    const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
    bucket.tokens = Math.min(this.ratePerSecond, bucket.tokens + elapsed * this.ratePerSecond);
    bucket.at = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets keys not in `keep` (gateways that left the node). */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.buckets.keys()) if (!keep.has(key)) this.buckets.delete(key);
  }
}
