import { ConcurrencyError } from '@natgw/event-store';
import { LostRaceRetry } from './lost-race-retry';

// Every attempt is a promise the test settles by hand, so which attempts run at once is
// observed, not inferred from timing.

interface Attempt {
  worker: number;
  call: number;
  resolve(value: number): void;
  reject(err: unknown): void;
}

/** Starts attempts on demand and keeps each one open until the test settles it. */
class ControlledAttempts {
  readonly started: Attempt[] = [];
  private readonly calls = new Map<number, number>();
  private readonly settled = new Set<Attempt>();

  attemptOf(worker: number): () => Promise<number> {
    return () =>
      new Promise<number>((resolve, reject) => {
        const call = (this.calls.get(worker) ?? 0) + 1;
        this.calls.set(worker, call);
        this.started.push({ worker, call, resolve, reject });
      });
  }

  /** The attempts started and not yet settled. */
  get open(): Attempt[] {
    return this.started.filter((a) => !this.settled.has(a));
  }

  lose(attempt: Attempt, streamId: string): void {
    this.settled.add(attempt);
    attempt.reject(new ConcurrencyError(streamId, 3, 4));
  }

  win(attempt: Attempt): void {
    this.settled.add(attempt);
    attempt.resolve(attempt.call);
  }
}

/** Lets every callback and promise continuation that is ready run (no clock involved). */
async function settleEventLoop(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('LostRaceRetry', () => {
  it('runs first attempts together and retries lost pool races one at a time', async () => {
    const retry = new LostRaceRetry();
    const attempts = new ControlledAttempts();
    const results = Promise.all(
      Array.from({ length: 8 }, (_, worker) => retry.run(attempts.attemptOf(worker))),
    );
    await settleEventLoop();
    // All eight first attempts are open at once.
    expect(attempts.open.map((a) => [a.worker, a.call])).toEqual(
      Array.from({ length: 8 }, (_, worker) => [worker, 1]),
    );
    for (const attempt of attempts.open) attempts.lose(attempt, 'ippool:default');
    await settleEventLoop();

    // The retries take turns: exactly one is open until it is settled, then the next starts.
    const order: number[] = [];
    for (let turn = 0; turn < 8; turn++) {
      expect(attempts.open).toHaveLength(1);
      const [retried] = attempts.open as [Attempt];
      expect(retried.call).toBe(2);
      order.push(retried.worker);
      attempts.win(retried);
      await settleEventLoop();
    }
    expect(attempts.open).toEqual([]);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await expect(results).resolves.toEqual(Array(8).fill(2));
  });

  it('a turn that loses the pool race again keeps the others waiting until it settles', async () => {
    const retry = new LostRaceRetry();
    const attempts = new ControlledAttempts();
    const results = Promise.all([0, 1].map((worker) => retry.run(attempts.attemptOf(worker))));
    await settleEventLoop();
    for (const attempt of attempts.open) attempts.lose(attempt, 'ippool:default');
    await settleEventLoop();
    const [first] = attempts.open as [Attempt];
    expect(attempts.open).toHaveLength(1);
    attempts.lose(first, 'ippool:default');
    await settleEventLoop();
    // Still one at a time: the other worker's turn, or the same worker's third attempt.
    expect(attempts.open).toHaveLength(1);
    while (attempts.open.length > 0) {
      expect(attempts.open).toHaveLength(1);
      attempts.win(attempts.open[0] as Attempt);
      await settleEventLoop();
    }
    const calls = await results;
    expect(calls.sort()).toEqual([2, 3]);
  });

  it('retries other lost races concurrently, each after its jitter', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    // The jitter is random * 20 ms * attempt: 10 ms after the first loss here.
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const retry = new LostRaceRetry();
    const attempts = new ControlledAttempts();
    const results = Promise.all(
      Array.from({ length: 4 }, (_, worker) => retry.run(attempts.attemptOf(worker))),
    );
    await settleEventLoop();
    for (const attempt of attempts.open) attempts.lose(attempt, 'allocation:gw');
    await settleEventLoop();
    expect(attempts.open).toEqual([]);

    await jest.advanceTimersByTimeAsync(9);
    await settleEventLoop();
    expect(attempts.open).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await settleEventLoop();
    // All four retries are open together: no turn-taking for streams other than pools.
    expect(attempts.open.map((a) => [a.worker, a.call])).toEqual([
      [0, 2],
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
    for (const attempt of attempts.open) attempts.win(attempt);
    await expect(results).resolves.toEqual([2, 2, 2, 2]);
  });

  it('gives up after maxAttempts and passes other errors through at once', async () => {
    const retry = new LostRaceRetry(3);
    const attempts = new ControlledAttempts();
    const outcome = retry.run(attempts.attemptOf(0));
    const failed = expect(outcome).rejects.toThrow(ConcurrencyError);
    for (let call = 1; call <= 3; call++) {
      await settleEventLoop();
      expect(attempts.open.map((a) => a.call)).toEqual([call]);
      attempts.lose(attempts.open[0] as Attempt, 'ippool:default');
    }
    await failed;
    expect(attempts.started).toHaveLength(3);

    let calls = 0;
    await expect(
      retry.run(async () => {
        calls += 1;
        throw new Error('constraint violated');
      }),
    ).rejects.toThrow('constraint violated');
    expect(calls).toBe(1);
  });
});
