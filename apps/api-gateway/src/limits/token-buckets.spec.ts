import { TokenBuckets } from './token-buckets';

describe('TokenBuckets', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('lets a burst through, then refuses with the seconds until the cost refills', () => {
    const c = clock();
    const buckets = new TokenBuckets(2, 5, c.now);
    for (let i = 0; i < 5; i++) expect(buckets.take('a', 1)).toEqual({ ok: true });
    expect(buckets.take('a', 1)).toEqual({ ok: false, retryAfterSeconds: 1 });
    // A write of cost 4 needs 4 tokens at 2 per second: 2 seconds.
    expect(buckets.take('a', 4)).toEqual({ ok: false, retryAfterSeconds: 2 });
    c.advance(500); // one token back
    expect(buckets.take('a', 1)).toEqual({ ok: true });
    expect(buckets.take('a', 1)).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it('keeps clients apart: one client at its limit does not slow another', () => {
    const c = clock();
    const buckets = new TokenBuckets(1, 3, c.now);
    for (let i = 0; i < 3; i++) buckets.take('noisy', 1);
    expect(buckets.take('noisy', 1).ok).toBe(false);
    expect(buckets.take('quiet', 1).ok).toBe(true);
  });

  it('admits, over a long run, the burst plus rate times the elapsed time, and no more', () => {
    const c = clock();
    const rate = 10;
    const burst = 20;
    const buckets = new TokenBuckets(rate, burst, c.now);
    let admitted = 0;
    // A client that tries every 10 ms for 30 s.
    for (let t = 0; t <= 30_000; t += 10) {
      if (buckets.take('a', 1).ok) admitted++;
      c.advance(10);
    }
    expect(admitted).toBeLessThanOrEqual(burst + rate * 30 + 1);
    expect(admitted).toBeGreaterThanOrEqual(burst + rate * 30 - 1);
  });

  it('never refills past the burst, and a cost above the burst costs the whole bucket', () => {
    const c = clock();
    const buckets = new TokenBuckets(100, 3, c.now);
    c.advance(60_000);
    for (let i = 0; i < 3; i++) expect(buckets.take('a', 1).ok).toBe(true);
    expect(buckets.take('a', 1).ok).toBe(false);
    c.advance(60_000);
    expect(buckets.take('a', 50)).toEqual({ ok: true });
    expect(buckets.take('a', 1).ok).toBe(false);
  });

  it('holds at most maxKeys buckets, dropping full ones first', () => {
    const c = clock();
    const buckets = new TokenBuckets(1, 2, c.now, 100);
    buckets.take('busy', 2); // empty: must survive pruning
    for (let i = 0; i < 1000; i++) buckets.take(`ip-${i}`, 1);
    expect(buckets.size).toBeLessThanOrEqual(100);
    expect(buckets.take('busy', 1).ok).toBe(false);
  });

  it('refuses a rate of 0 or a burst below 1', () => {
    expect(() => new TokenBuckets(0, 1)).toThrow(RangeError);
    expect(() => new TokenBuckets(1, 0)).toThrow(RangeError);
  });
});
