import { ConcurrencyError } from '@natgw/event-store';
import { apiErrors } from '../../http/api-error';
import { withClaimRaceRetry } from './claim-race-retry';

const giveUp = (err: ConcurrencyError, attempts: number) =>
  apiErrors.unprocessable(`gave up on ${err.streamId} after ${attempts}`);

describe('withClaimRaceRetry', () => {
  it('plans again after a lost race for a claim stream, and returns the winner attempt', async () => {
    let calls = 0;
    const result = await withClaimRaceRetry('network:ns/a', giveUp, async () => {
      calls++;
      if (calls < 3) throw new ConcurrencyError('vni:7', 'no-stream', 1);
      return 'ok';
    });
    expect([result, calls]).toEqual(['ok', 3]);
  });

  it("leaves a lost race for the object's own stream, and other errors, to the caller", async () => {
    const own = new ConcurrencyError('network:ns/a', 'no-stream', 2);
    await expect(
      withClaimRaceRetry('network:ns/a', giveUp, () => Promise.reject(own)),
    ).rejects.toBe(own);
    const other = new Error('boom');
    await expect(withClaimRaceRetry('x', giveUp, () => Promise.reject(other))).rejects.toBe(other);
  });

  it('gives up after 10 lost claim races', async () => {
    let calls = 0;
    await expect(
      withClaimRaceRetry('network:ns/a', giveUp, () => {
        calls++;
        return Promise.reject(new ConcurrencyError('vni:7', 'no-stream', 1));
      }),
    ).rejects.toMatchObject({ status: { message: 'gave up on vni:7 after 10' } });
    expect(calls).toBe(10);
  });
});
