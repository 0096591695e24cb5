import {
  AckPolicy,
  ConsumerConfig,
  ConsumerInfo,
  DeliverPolicy,
  JetStreamApiError,
  JetStreamManager,
  ReplayPolicy,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { errorMessage } from '../logger';

const CONSUMER_NOT_FOUND = 10014;

/** The settings of one durable pull consumer. */
export interface DurableConsumerConfig {
  durable: string;
  /**
   * One subject filter (wildcards allowed). nats-server 2.9 supports a single
   * `filter_subject`; narrower selection happens in process (see `types`).
   */
  filterSubject: string;
  /** Deliveries before a failing message is dead-lettered. */
  maxDeliver: number;
  /** How long a delivered message may stay unacknowledged before redelivery. */
  ackWaitMs: number;
  /** Unacknowledged messages the server allows in flight. */
  maxAckPending: number;
  /**
   * The server deletes the consumer after nobody pulled from it this long (a removed
   * node's consumer); 0 = never. Needs nats-server 2.9 or later.
   */
  inactiveThresholdMs?: number;
}

/** A durable consumer exists with settings that cannot be changed in place. */
export class ConsumerConfigConflictError extends Error {
  constructor(
    readonly stream: string,
    readonly durable: string,
    readonly rule: string,
  ) {
    super(`durable consumer ${durable} on stream ${stream} cannot be updated: ${rule}`);
    this.name = 'ConsumerConfigConflictError';
  }
}

function desired(config: DurableConsumerConfig): Partial<ConsumerConfig> {
  return {
    durable_name: config.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: config.filterSubject,
    max_deliver: config.maxDeliver,
    ack_wait: nanos(config.ackWaitMs),
    max_ack_pending: config.maxAckPending,
    inactive_threshold: nanos(config.inactiveThresholdMs ?? 0),
  };
}

async function consumerInfo(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === CONSUMER_NOT_FOUND) return undefined;
    throw err;
  }
}

/**
 * Creates a durable pull consumer with explicit acks, or updates the settings
 * that may change (filter, max deliveries, ack wait, inactivity threshold). Idempotent, and safe
 * when several instances of a service start at once.
 */
export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: DurableConsumerConfig,
): Promise<ConsumerInfo> {
  const want = desired(config);
  let current = await consumerInfo(jsm, stream, config.durable);
  if (!current) {
    try {
      return await jsm.consumers.add(stream, want);
    } catch (err) {
      // Another instance created it first: compare with what it created.
      current = await consumerInfo(jsm, stream, config.durable);
      if (!current) throw err;
    }
  }
  if (current.config.ack_policy !== AckPolicy.Explicit) {
    throw new ConsumerConfigConflictError(stream, config.durable, 'it does not use explicit acks');
  }
  if (current.config.deliver_subject) {
    throw new ConsumerConfigConflictError(stream, config.durable, 'it is a push consumer');
  }
  const changed =
    current.config.filter_subject !== want.filter_subject ||
    current.config.max_deliver !== want.max_deliver ||
    current.config.ack_wait !== want.ack_wait ||
    current.config.max_ack_pending !== want.max_ack_pending ||
    (current.config.inactive_threshold ?? 0) !== want.inactive_threshold;
  if (!changed) return current;
  try {
    return await jsm.consumers.update(stream, config.durable, {
      filter_subject: want.filter_subject,
      max_deliver: want.max_deliver,
      ack_wait: want.ack_wait,
      max_ack_pending: want.max_ack_pending,
      inactive_threshold: want.inactive_threshold,
    });
  } catch (err) {
    throw new ConsumerConfigConflictError(
      stream,
      config.durable,
      `the server refused the update (${errorMessage(err)}); delete the consumer to recreate it`,
    );
  }
}
