import { ConcurrencyError } from '@natgw/event-store';
import { ApiError } from '../../http/api-error';

// Each lost race means another writer took a value this write wanted; planning again finds it
// taken (422) or picks another, so a write rarely loses more than once.
const MAX_ATTEMPTS = 10;

/**
 * Runs a write that appends to its object's stream and to claim streams in one transaction,
 * again after it lost the race for a claim stream (a ConcurrencyError naming another stream
 * than `ownStreamId`), so it plans its claims on the winner's state. A lost race for the
 * object's own stream is the caller's to handle; a write that keeps losing claim races is
 * answered with `giveUp(err)`.
 */
export async function withClaimRaceRetry<T>(
  ownStreamId: string,
  giveUp: (err: ConcurrencyError, attempts: number) => ApiError,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || err.streamId === ownStreamId) throw err;
      if (i >= MAX_ATTEMPTS) throw giveUp(err, i);
    }
  }
}
