import { Mutex } from 'async-mutex';
import { ConcurrencyError } from '@natgw/event-store';
import { isPoolStream } from '../pools/pool-book';

/** Errors after which a fresh attempt can succeed: lost races and deadlocks. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ConcurrencyError) return true;
  const code = (err as { code?: string }).code;
  if (code === '40P01' || code === '40001') return true;
  const name = (err as { name?: string }).name;
  return name === 'IpAlreadyClaimedError' || name === 'IpClaimedByAnotherGatewayError';
}

/** True when the error is a lost race for an IP pool stream. */
function lostPoolRace(err: unknown): boolean {
  return err instanceof ConcurrencyError && isPoolStream(err.streamId);
}

/**
 * Runs a transaction again after it lost a race (see isRetryable), up to
 * `maxAttempts` in all. Every gateway claims its addresses from the same few
 * pool streams, so the allocator's own workers race for them: an attempt that
 * lost a pool race retries only in its turn, one at a time in this process, and
 * then loses only to other replicas. Other lost races retry after a short jitter.
 */
export class LostRaceRetry {
  private readonly poolTurns = new Mutex();

  constructor(private readonly maxAttempts = 8) {}

  async run<T>(attempt: () => Promise<T>): Promise<T> {
    let inTurn = false;
    for (let i = 1; ; i++) {
      try {
        return inTurn ? await this.poolTurns.runExclusive(attempt) : await attempt();
      } catch (err) {
        if (!isRetryable(err) || i >= this.maxAttempts) throw err;
        if (lostPoolRace(err)) inTurn = true;
        else await new Promise((r) => setTimeout(r, Math.random() * 20 * i));
      }
    }
  }
}
