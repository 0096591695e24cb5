import type { JetStreamClient, JetStreamPublishOptions, PubAck } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import { eventSubject, RecordedEvent, toCloudEvent } from '@natgw/contracts';
import {
  Checkpoint,
  checkpointOf,
  HELD_BACK_RETRY_MS,
  LogNotifier,
  PostgresEventStore,
} from '@natgw/event-store';
import { backoffDelay, BackoffPolicy, sleep } from '../backoff';
import { errorMessage, MessagingLogger, silentLogger } from '../logger';
import { WakeSignal } from '../wake-signal';
import { AdvisoryLeaderLock } from './advisory-leader-lock';

/** What the relay reads from and publishes to. */
export interface JetStreamRelayDeps {
  dataSource: DataSource;
  store: PostgresEventStore;
  js: JetStreamClient;
  /** LISTEN/NOTIFY wake-ups; without it the relay only polls. */
  notifier?: LogNotifier;
}

/** Where and how the relay publishes. */
export interface JetStreamRelayOptions {
  /** The JetStream stream (`NATS_STREAM`); it also names the checkpoint and the leader lock. */
  streamName: string;
  /** `NATS_SUBJECT_PREFIX`: events go to `<prefix>.events.<category>.<Type>`. */
  subjectPrefix: string;
  /** CloudEvents `source` for events whose metadata names none, e.g. `/natgw/api-gateway`. */
  source: string;
  /** The database URL, for the leader lock's dedicated connection. */
  databaseUrl: string;
  /** Events read and published (pipelined) per round. Default 500. */
  batchSize?: number;
  /** Poll interval, the fallback for missed notifications. Default 500 ms. */
  pollIntervalMs?: number;
  /** How often a follower tries to take the lock, and a leader checks it. Default 1 s. */
  lockRetryMs?: number;
  /** How long one publish waits for its ack. Default 5 s. */
  publishTimeoutMs?: number;
  /** Retry delays while NATS or PostgreSQL fail. Default 100 ms doubling up to 10 s. */
  retryBackoff?: BackoffPolicy;
  logger?: MessagingLogger;
  /** Called with the events of each published and checkpointed batch (metrics). */
  onPublished?: (events: readonly RecordedEvent[]) => void;
}

/** A publish in a relay batch failed; the events before it were published and checkpointed. */
export class RelayPublishError extends Error {
  constructor(
    readonly stream: string,
    readonly eventId: string,
    readonly published: number,
    cause: unknown,
  ) {
    super(
      `relay to ${stream}: publishing event ${eventId} failed after ${published} events of the batch: ${errorMessage(cause)}`,
    );
    this.name = 'RelayPublishError';
  }
}

/** The relay's checkpoint name for a JetStream stream. */
export function relayCheckpointName(streamName: string): string {
  return `relay:${streamName}`;
}

/**
 * Publishes every committed event, in log order, to JetStream as a CloudEvent
 * with `Nats-Msg-Id` = event id, and advances its checkpoint only after the
 * acks. Several relays may run against one database: a PostgreSQL advisory lock
 * lets exactly one publish, and another takes over when that one dies.
 *
 * Order under failure: publishes in a batch are pipelined, and every publish
 * after the first expects the previous event as the stream's last message id.
 * If one is lost (connection cut mid-batch), the ones after it are rejected
 * instead of stored ahead of it, and the batch is retried from the first
 * unacknowledged event.
 */
export class JetStreamRelay {
  private readonly lock: AdvisoryLeaderLock;
  private readonly logger: MessagingLogger;
  private readonly checkpointName: string;
  private readonly wakeSignal = new WakeSignal();
  private stopController = new AbortController();
  private running = false;
  private loop?: Promise<void>;
  private unsubscribe?: () => void;
  private position?: Checkpoint;
  private leader = false;
  private lastLockCheck = 0;
  private publishedCount = 0;
  private duplicateCount = 0;
  private failureCount = 0;

  constructor(
    private readonly deps: JetStreamRelayDeps,
    private readonly options: JetStreamRelayOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.checkpointName = relayCheckpointName(options.streamName);
    this.lock = new AdvisoryLeaderLock(
      options.databaseUrl,
      this.checkpointName,
      this.logger,
      'natgw-relay',
    );
  }

  /** True while this relay holds the lock and publishes. */
  get isLeader(): boolean {
    return this.leader && this.lock.held;
  }

  /** True between start() and stop(). */
  get isRunning(): boolean {
    return this.running;
  }

  /** Events this relay published and had acknowledged (duplicates included). */
  get published(): number {
    return this.publishedCount;
  }

  /** Acks that JetStream reported as duplicates (already stored inside the dedup window). */
  get duplicates(): number {
    return this.duplicateCount;
  }

  /** Failed rounds (NATS or PostgreSQL errors) since start. */
  get failures(): number {
    return this.failureCount;
  }

  /** Committed events not yet published, counted from the stored checkpoint. */
  async lag(): Promise<number> {
    const from = this.position ?? (await this.deps.store.loadCheckpoint(this.checkpointName));
    return this.deps.store.countAfter(from);
  }

  /** Starts competing for the lock and relaying; returns at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopController = new AbortController();
    this.unsubscribe = this.deps.notifier?.subscribe(() => this.wakeSignal.wake());
    this.loop = this.run();
  }

  /** Finishes the batch in flight (acks and checkpoint), then releases the lock. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopController.abort();
    this.unsubscribe?.();
    this.wakeSignal.wake();
    await this.loop;
    this.leader = false;
    await this.lock.release();
  }

  /** Wakes the relay now (as a notification would). */
  wake(): void {
    this.wakeSignal.wake();
  }

  private async run(): Promise<void> {
    const retryBackoff = this.options.retryBackoff ?? {
      initialMs: 100,
      maxMs: 10_000,
      jitter: 0.2,
    };
    const lockRetryMs = this.options.lockRetryMs ?? 1_000;
    const pollMs = this.options.pollIntervalMs ?? 500;
    let attempt = 0;
    let heldBackMs: number = HELD_BACK_RETRY_MS.first;
    while (this.running) {
      try {
        if (!(await this.ensureLeadership(lockRetryMs))) {
          await sleep(lockRetryMs, this.stopController.signal);
          continue;
        }
        const relayed = await this.relayBatch();
        attempt = 0;
        if (relayed > 0) {
          heldBackMs = HELD_BACK_RETRY_MS.first;
        } else if (this.position && (await this.deps.store.heldBack(this.position))) {
          // Committed events wait behind an older transaction: look again soon.
          await this.wakeSignal.wait(Math.min(heldBackMs, pollMs));
          heldBackMs = Math.min(heldBackMs * 2, HELD_BACK_RETRY_MS.max);
        } else {
          heldBackMs = HELD_BACK_RETRY_MS.first;
          await this.wakeSignal.wait(pollMs);
        }
      } catch (err) {
        this.failureCount++;
        attempt++;
        const delayMs = backoffDelay(attempt, retryBackoff);
        this.logger.warn(
          { stream: this.options.streamName, attempt, delayMs, err: errorMessage(err) },
          'relay round failed; retrying',
        );
        await sleep(delayMs, this.stopController.signal);
      }
    }
  }

  private async ensureLeadership(lockRetryMs: number): Promise<boolean> {
    if (this.leader && Date.now() - this.lastLockCheck >= lockRetryMs) {
      this.lastLockCheck = Date.now();
      await this.lock.verify();
    }
    if (this.leader && this.lock.held) return true;
    if (this.leader) {
      this.leader = false;
      this.position = undefined;
      this.logger.warn({ stream: this.options.streamName }, 'relay lost leadership');
    }
    if (!(await this.lock.tryAcquire())) return false;
    // Read the checkpoint only now: the previous leader may have advanced it.
    this.position = await this.deps.store.loadCheckpoint(this.checkpointName);
    this.leader = true;
    this.lastLockCheck = Date.now();
    this.logger.info(
      { stream: this.options.streamName, checkpoint: this.position },
      'relay became leader',
    );
    return true;
  }

  /** Reads one page after the checkpoint, publishes it, and advances; returns events relayed. */
  private async relayBatch(): Promise<number> {
    const after = this.position;
    if (!after) return 0;
    const { events } = await this.deps.store.readAll({
      after,
      limit: this.options.batchSize ?? 500,
    });
    if (events.length === 0) return 0;
    const results = await Promise.allSettled(events.map((e, i) => this.publish(e, events[i - 1])));
    let acked = 0;
    while (acked < results.length && results[acked].status === 'fulfilled') acked++;
    for (const r of results.slice(0, acked)) {
      if ((r as PromiseFulfilledResult<PubAck>).value.duplicate) this.duplicateCount++;
    }
    if (acked > 0) {
      await this.advance(checkpointOf(events[acked - 1]));
      this.publishedCount += acked;
      this.options.onPublished?.(events.slice(0, acked));
    }
    if (acked < results.length) {
      const failed = results[acked] as PromiseRejectedResult;
      throw new RelayPublishError(this.options.streamName, events[acked].id, acked, failed.reason);
    }
    return events.length;
  }

  private publish(event: RecordedEvent, previous: RecordedEvent | undefined): Promise<PubAck> {
    const opts: Partial<JetStreamPublishOptions> = {
      msgID: event.id,
      timeout: this.options.publishTimeoutMs ?? 5_000,
    };
    // The first event of a batch expects nothing: everything before it is acked,
    // and a foreign message in the stream must not block the relay forever.
    if (previous) opts.expect = { lastMsgID: previous.id };
    return this.deps.js.publish(
      eventSubject(this.options.subjectPrefix, event.streamId, event.type),
      JSON.stringify(toCloudEvent(event, this.options.source)),
      opts,
    );
  }

  /** Stores the checkpoint, never moving it backwards (a deposed leader may still finish a batch). */
  private async advance(to: Checkpoint): Promise<void> {
    await this.deps.store.advanceCheckpoint(this.checkpointName, to);
    this.position = to;
  }
}
