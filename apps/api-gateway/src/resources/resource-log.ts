import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { NewEvent, RecordedEvent } from '@natgw/contracts';
import {
  checkpointOf,
  ConcurrencyError,
  ExpectedVersion,
  PostgresEventStore,
  ProjectionHost,
  StreamAppend,
} from '@natgw/event-store';
import { RESOURCE_PROJECTION_NAME } from '@natgw/projections';
import { ApiError, apiErrors } from '../http/api-error';
import { Admission, GroupCommit } from './group-commit';

export type { Admission } from './group-commit';

/** How long a write waits for the read model to show it before answering 503 (Retry-After). */
const READ_YOUR_WRITES_TIMEOUT_MS = 10_000;

/**
 * The resource streams of the log, for use cases: appends, then waits until the
 * resource projection applied the appended events, so the answer and any read
 * after it show the write (read-your-writes).
 */
@Injectable()
export class ResourceLog {
  private readonly group: GroupCommit;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly projections: ProjectionHost,
    private readonly dataSource: DataSource,
  ) {
    this.group = GroupCommit.for(dataSource, store);
  }

  /**
   * Appends events to a stream (ConcurrencyError on a version mismatch) and waits for the
   * projection. With `admit`, see appendAll.
   */
  append(
    streamId: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
    admit?: Admission,
  ): Promise<RecordedEvent[]> {
    return this.appendAll([{ streamId, events, expectedVersion }], admit);
  }

  /**
   * Appends to several streams in one transaction, in the given order (the object's own stream
   * first, then claim streams sorted by id: see PostgresEventStore.appendToStreams), and waits
   * for the projection. A version mismatch on any stream (ConcurrencyError naming it) appends
   * nothing. With `admit`, the transaction runs it first (a quota check that throws to refuse),
   * so the check and the write commit together. Such writes (an admission, or several
   * streams) share transactions with the writes beside them (GroupCommit); a single append
   * without one is its own statement.
   */
  async appendAll(appends: StreamAppend[], admit?: Admission): Promise<RecordedEvent[]> {
    const [only] = appends;
    const results =
      appends.length === 1 && !admit
        ? [
            await this.store.append(only.streamId, only.events, {
              expectedVersion: only.expectedVersion,
            }),
          ]
        : await this.group.write(appends, admit);
    const events = results.flatMap((r) => r.events);
    const last = events[events.length - 1];
    if (last) await this.waitFor(last);
    return events;
  }

  /** For reads outside a transaction (a dry run's admission). */
  get manager(): EntityManager {
    return this.dataSource.manager;
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
