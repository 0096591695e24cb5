import { failureStatus } from '@natgw/contracts';
import { AllocationHistoryReader } from '@natgw/projections';
import { ApiError } from '../http/api-error';

/**
 * Refuses an instant before the log's retention window: events recorded before it
 * may be pruned (`npm run log:prune`), so an answer could be wrong. Like a watch
 * from a compacted resourceVersion, that is 410 Expired; instants inside the
 * window stay exact.
 */
export async function assertWithinRetention(
  history: AllocationHistoryReader,
  at: Date,
): Promise<void> {
  const since = await history.retainedSince();
  if (since === undefined || at.getTime() >= since.getTime()) return;
  throw new ApiError(
    failureStatus(
      410,
      'Expired',
      `at: ${at.toISOString()} is before the event log's retention window, which starts at ${since.toISOString()} (older events were pruned); ask for an instant at or after it`,
      {
        causes: [
          {
            reason: 'FieldValueInvalid',
            field: 'at',
            message: `must be at or after ${since.toISOString()}`,
          },
        ],
      },
    ),
  );
}
