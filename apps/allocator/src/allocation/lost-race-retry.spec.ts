import { ConcurrencyError } from '@natgw/event-store';
import { LostRaceRetry } from './lost-race-retry';

/** An attempt that loses a race on `streamId` the first `losses` times, and tracks overlap. */
function racer(streamId: string, losses: number, track: { active: number; most: number }) {
  let calls = 0;
  return async (): Promise<number> => {
    calls += 1;
    track.active += 1;
    track.most = Math.max(track.most, track.active);
    await new Promise((r) => setTimeout(r, 5));
    track.active -= 1;
    if (calls <= losses) throw new ConcurrencyError(streamId, 3, 4);
    return calls;
  };
}

describe('LostRaceRetry', () => {
  it('retries lost pool races one at a time', async () => {
    const retry = new LostRaceRetry();
    const firstTries = { active: 0, most: 0 };
    const retries = { active: 0, most: 0 };
    // Eight workers run their first attempt together and lose it on the pool stream.
    const worker = () => {
      let calls = 0;
      return async (): Promise<number> => {
        calls += 1;
        const track = calls === 1 ? firstTries : retries;
        track.active += 1;
        track.most = Math.max(track.most, track.active);
        await new Promise((r) => setTimeout(r, 5));
        track.active -= 1;
        if (calls === 1) throw new ConcurrencyError('ippool:default', 3, 4);
        return calls;
      };
    };
    const results = await Promise.all(Array.from({ length: 8 }, () => retry.run(worker())));
    expect(firstTries.most).toBe(8);
    expect(retries.most).toBe(1);
    expect(results).toEqual(Array(8).fill(2));
  });

  it('retries other lost races concurrently, after a jitter', async () => {
    const retry = new LostRaceRetry();
    const track = { active: 0, most: 0 };
    const results = await Promise.all(
      Array.from({ length: 4 }, () => retry.run(racer('allocation:gw', 2, track))),
    );
    expect(results).toEqual([3, 3, 3, 3]);
    expect(track.most).toBeGreaterThan(1);
  });

  it('gives up after maxAttempts and passes other errors through at once', async () => {
    const retry = new LostRaceRetry(3);
    const track = { active: 0, most: 0 };
    await expect(retry.run(racer('ippool:default', 5, track))).rejects.toThrow(ConcurrencyError);
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
