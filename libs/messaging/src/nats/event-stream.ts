import {
  DiscardPolicy,
  JetStreamApiError,
  JetStreamManager,
  RetentionPolicy,
  StorageType,
  StreamConfig,
  StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { allEventsSubject } from '@natgw/contracts';

const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;

/**
 * Tuning of the event stream; the defaults suit one node. These are the operator's
 * settings: they are applied when the stream is created, and an existing stream keeps
 * its own (an operator may have changed them with `nats stream edit`); each difference
 * is reported through `onDifference`.
 */
export interface EventStreamOptions {
  /** Window in which a repeated `Nats-Msg-Id` is dropped. Default 2 minutes. */
  duplicateWindowMs?: number;
  /** Replicas (3 on a clustered JetStream). Default 1. */
  replicas?: number;
  /** Drop messages older than this (0 = keep until limits). Default 0. */
  maxAgeMs?: number;
  /** Cap on the stream's size in bytes (-1 = unlimited). Default -1. */
  maxBytes?: number;
  /** Cap on the stream's number of messages (-1 = unlimited). Default -1. */
  maxMessages?: number;
  /** Told every tunable setting in which the existing stream differs from these options. */
  onDifference?: (differences: StreamSettingDifference[]) => void;
}

/** A tunable setting in which an existing stream differs from natgw's configuration. */
export interface StreamSettingDifference {
  /** The JetStream field, e.g. `max_age`. */
  setting: (typeof TUNABLE_SETTINGS)[number];
  /** What the stream has (kept). */
  stream: number;
  /** What the configuration asks for (not applied). */
  config: number;
}

/** The settings an operator owns: natgw sets them at creation only. */
const TUNABLE_SETTINGS = [
  'num_replicas',
  'max_age',
  'max_bytes',
  'max_msgs',
  'duplicate_window',
] as const;

/** The stream exists with a setting natgw cannot change in place. */
export class EventStreamConflictError extends Error {
  constructor(
    readonly stream: string,
    readonly rule: string,
  ) {
    super(`JetStream stream ${stream} cannot be used: ${rule}`);
    this.name = 'EventStreamConflictError';
  }
}

function desiredConfig(
  name: string,
  prefix: string,
  options: EventStreamOptions,
): Partial<StreamConfig> & { name: string } {
  // Only fields nats-server 2.9 understands: newer ones make older servers reject the request.
  return {
    name,
    subjects: [allEventsSubject(prefix)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
    num_replicas: options.replicas ?? 1,
    max_age: nanos(options.maxAgeMs ?? 0),
    max_bytes: options.maxBytes ?? -1,
    max_msgs: options.maxMessages ?? -1,
    // The stream is an append-only copy of the log: no message is deleted or purged
    // through the JetStream API, whoever asks (limits still age messages out).
    deny_delete: true,
    deny_purge: true,
  };
}

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (isApiError(err, STREAM_NOT_FOUND)) return undefined;
    throw err;
  }
}

/** The tunable settings in which a stream differs from the desired config. */
export function streamSettingDifferences(
  current: StreamConfig,
  desired: Partial<StreamConfig>,
): StreamSettingDifference[] {
  const out: StreamSettingDifference[] = [];
  for (const setting of TUNABLE_SETTINGS) {
    const want = desired[setting] as number | undefined;
    const have = current[setting] as number | undefined;
    if (want !== undefined && have !== want) out.push({ setting, stream: have ?? 0, config: want });
  }
  return out;
}

/** What natgw needs of the stream to be correct: its subject, and no delete or purge. */
function invariantsMissing(current: StreamConfig, desired: Partial<StreamConfig>): boolean {
  const wantSubject = desired.subjects?.[0] ?? '';
  return (
    !(current.subjects ?? []).includes(wantSubject) ||
    current.deny_delete !== true ||
    current.deny_purge !== true
  );
}

/**
 * Creates the event stream (`<prefix>.events.>`, file storage, limits retention,
 * deduplication window, deny_delete and deny_purge, the configured limits and replicas).
 * On an existing stream it only restores what natgw needs to be correct (its subject,
 * deny_delete, deny_purge) and never changes a tunable setting (replicas, max age,
 * bytes and messages, the duplicate window): it reports each difference from the
 * configuration through `options.onDifference`. Safe to call from several processes
 * at once.
 */
export async function ensureEventStream(
  jsm: JetStreamManager,
  streamName: string,
  subjectPrefix: string,
  options: EventStreamOptions = {},
): Promise<StreamInfo> {
  const desired = desiredConfig(streamName, subjectPrefix, options);
  let current = await streamInfo(jsm, streamName);
  if (!current) {
    try {
      return await jsm.streams.add(desired);
    } catch (err) {
      // Another process created it first: fall through and compare.
      if (!isApiError(err, STREAM_NAME_IN_USE)) throw err;
      current = await streamInfo(jsm, streamName);
      if (!current) throw err;
    }
  }
  if (current.config.storage !== StorageType.File) {
    throw new EventStreamConflictError(
      streamName,
      'it uses memory storage, natgw needs file storage',
    );
  }
  if (current.config.retention !== RetentionPolicy.Limits) {
    throw new EventStreamConflictError(
      streamName,
      `its retention is ${current.config.retention}, natgw needs limits (several consumers read every event)`,
    );
  }
  const differences = streamSettingDifferences(current.config, desired);
  if (differences.length > 0) options.onDifference?.(differences);
  if (!invariantsMissing(current.config, desired)) return current;
  const subjects = Array.from(
    new Set([...(current.config.subjects ?? []), ...(desired.subjects ?? [])]),
  );
  // Only the invariants: the client merges them into the stream's current config.
  return jsm.streams.update(streamName, { subjects, deny_delete: true, deny_purge: true });
}

/** The stream did not appear in time (a service that does not create it waits for it). */
export class EventStreamMissingError extends Error {
  constructor(
    readonly stream: string,
    waitedMs: number,
  ) {
    super(
      `JetStream stream ${stream} does not exist after ${waitedMs} ms: the service that owns it (NATS_ENSURE_STREAM=true, the allocator in deployments) creates it`,
    );
    this.name = 'EventStreamMissingError';
  }
}

/**
 * Waits until the event stream exists, for services whose NATS user may only read
 * it (NATS_ENSURE_STREAM=false): they start before or after its owner.
 */
export async function awaitEventStream(
  jsm: JetStreamManager,
  streamName: string,
  {
    timeoutMs = 120_000,
    pollMs = 500,
    onWait,
  }: { timeoutMs?: number; pollMs?: number; onWait?: () => void } = {},
): Promise<StreamInfo> {
  const started = Date.now();
  let warned = false;
  for (;;) {
    const info = await streamInfo(jsm, streamName);
    if (info) return info;
    if (Date.now() - started >= timeoutMs) throw new EventStreamMissingError(streamName, timeoutMs);
    if (!warned) {
      warned = true;
      onWait?.();
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
