import { Injectable } from '@nestjs/common';
import { NewEvent, RecordedEvent } from '@natgw/contracts';
import {
  checkpointOf,
  ConcurrencyError,
  ExpectedVersion,
  PostgresEventStore,
  ProjectionHost,
} from '@natgw/event-store';
import { RESOURCE_PROJECTION_NAME } from '@natgw/projections';
import { ApiError, apiErrors } from '../http/api-error';

/** How long a write waits for the read model to show it before answering 503 (Retry-After). */
const READ_YOUR_WRITES_TIMEOUT_MS = 10_000;

/**
 * The resource streams of the log, for use cases: appends, then waits until the
 * resource projection applied the appended events, so the answer and any read
 * after it show the write (read-your-writes).
 */
@Injectable()
export class ResourceLog {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly projections: ProjectionHost,
  ) {}

  /** Appends events to a stream (ConcurrencyError on a version mismatch) and waits for the projection. */
  async append(
    streamId: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
  ): Promise<RecordedEvent[]> {
    const result = await this.store.append(streamId, events, { expectedVersion });
    const last = result.events[result.events.length - 1];
    if (last) await this.waitFor(last);
    return result.events;
  }

  /** The newest event of a stream (undefined for a stream without events). */
  async lastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    const version = await this.store.streamVersion(streamId);
    if (version === 0) return undefined;
    const [event] = await this.store.readStream(streamId, {
      fromVersion: version,
      toVersion: version,
    });
    return event;
  }

  /**
   * After a ConcurrencyError, waits until the projection holds the stream's newest
   * event, so a retry reads the state that won.
   */
  async catchUp(error: ConcurrencyError): Promise<void> {
    await this.catchUpWith(error.streamId);
  }

  /** Waits until the projection holds the stream's newest event (e.g. after a write in a transaction of the caller). */
  async catchUpWith(streamId: string): Promise<void> {
    const last = await this.lastEvent(streamId);
    if (last) await this.waitFor(last);
  }

  private async waitFor(event: RecordedEvent): Promise<void> {
    try {
      await this.projections
        .runner(RESOURCE_PROJECTION_NAME)
        .waitFor(checkpointOf(event), READ_YOUR_WRITES_TIMEOUT_MS);
    } catch {
      // The write is in the log and will show; the client should read again, not assume
      // it failed. 503 with Retry-After is what clients already retry on.
      throw apiErrors.unavailable(
        `the change was recorded (event ${event.id}), but the read model did not show it within ${READ_YOUR_WRITES_TIMEOUT_MS / 1000}s; read it again shortly`,
      );
    }
  }
}

// Each lost race means another write landed, so a write that keeps losing is under
// heavy contention on one object; give up (409) only after this many.
const MAX_ATTEMPTS = 25;

/**
 * Runs a write that appends with an expected stream version. An unconditional
 * write (the client sent no resourceVersion) that loses a race is retried on the
 * winner's state, as the Kubernetes API server does; a conditional one, or one
 * that keeps losing, is answered with `conflict(err)`.
 */
export async function withConflictRetry<T>(
  log: ResourceLog,
  retry: boolean,
  conflict: (err: ConcurrencyError) => ApiError,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      if (!retry || i >= MAX_ATTEMPTS) throw conflict(err);
      await log.catchUp(err);
    }
  }
}
