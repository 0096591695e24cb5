/** The answer of a bucket: taken, or how long until the cost would be there. */
export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was computed (ms, monotonic). */
  at: number;
}

/**
 * One token bucket per key: each holds at most `burst` tokens and refills at `rate`
 * tokens per second; a request takes `cost` tokens or is refused with the seconds
 * until it would fit. A full bucket is the same as no bucket, so full ones are dropped
 * when the map grows past `maxKeys` (many client IPs cannot grow memory without bound).
 * Pruning sorts, but runs once per tenth of maxKeys new clients at most.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = 100_000,
  ) {
    if (!(rate > 0) || !(burst >= 1)) {
      throw new RangeError(`a token bucket needs rate > 0 and burst >= 1 (got ${rate}, ${burst})`);
    }
  }

  /** Takes `cost` tokens (at most `burst`: a request never costs more than a full bucket). */
  take(key: string, cost: number): TakeResult {
    const now = this.now();
    const need = Math.min(cost, this.burst);
    const bucket = this.buckets.get(key) ?? this.newBucket(key, now);
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.rate) / 1000);
    bucket.at = now;
    if (bucket.tokens >= need) {
      bucket.tokens -= need;
      return { ok: true };
    }
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil((need - bucket.tokens) / this.rate)),
    };
  }

  /** How many keys hold a bucket (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private newBucket(key: string, now: number): Bucket {
    if (this.buckets.size >= this.maxKeys) this.prune(now);
    const bucket = { tokens: this.burst, at: now };
    this.buckets.set(key, bucket);
    return bucket;
  }

  /**
   * Drops the buckets that are full again; if that is not enough, the fullest ones down to 90%
   * of maxKeys (dropping a bucket refills it, so those lose the least; an empty bucket is kept).
   */
  private prune(now: number): void {
    const level = (b: Bucket) => b.tokens + ((now - b.at) * this.rate) / 1000;
    for (const [key, b] of this.buckets) if (level(b) >= this.burst) this.buckets.delete(key);
    const target = Math.floor(this.maxKeys * 0.9);
    if (this.buckets.size <= target) return;
    const fullest = [...this.buckets].sort(([, a], [, b]) => level(b) - level(a));
    for (const [key] of fullest.slice(0, this.buckets.size - target)) this.buckets.delete(key);
  }
}
