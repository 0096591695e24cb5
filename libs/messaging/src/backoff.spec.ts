import { backoffDelay, sleep } from './backoff';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 1_000 };

  it('doubles per attempt from the initial delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((a) => backoffDelay(a, policy))).toEqual([
      100, 200, 400, 800, 1_000, 1_000, 1_000,
    ]);
  });

  it('adds at most the jitter fraction, never beyond the cap', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffDelay(1, jittered, () => 0)).toBe(100);
    expect(backoffDelay(1, jittered, () => 1)).toBe(150);
    expect(backoffDelay(4, jittered, () => 1)).toBe(1_000);
  });

  it('treats attempt 0 and below as the first attempt', () => {
    expect(backoffDelay(0, policy)).toBe(100);
    expect(backoffDelay(-3, policy)).toBe(100);
  });
});

describe('sleep', () => {
  it('returns early when its signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
