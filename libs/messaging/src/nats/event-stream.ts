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

/** Tuning of the event stream; the defaults suit one node. */
export interface EventStreamOptions {
  /** Window in which a repeated `Nats-Msg-Id` is dropped. Default 2 minutes. */
  duplicateWindowMs?: number;
  /** Replicas (3 on a clustered JetStream). Default 1. */
  replicas?: number;
  /** Drop messages older than this (0 = keep until limits). Default 0. */
  maxAgeMs?: number;
  /** Cap on the stream's size in bytes (-1 = unlimited). Default -1. */
  maxBytes?: number;
}

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

/** The settings that differ between a stream's config and the desired one. */
function differences(current: StreamConfig, desired: Partial<StreamConfig>): string[] {
  const out: string[] = [];
  const wantSubject = desired.subjects?.[0] ?? '';
  if (!(current.subjects ?? []).includes(wantSubject)) out.push('subjects');
  for (const key of [
    'duplicate_window',
    'num_replicas',
    'max_age',
    'max_bytes',
    'discard',
    'deny_delete',
    'deny_purge',
  ] as const) {
    if (current[key] !== desired[key]) out.push(key);
  }
  return out;
}

/**
 * Creates the event stream (`<prefix>.events.>`, file storage, limits retention,
 * deduplication window, deny_delete and deny_purge) or brings an existing one to these settings. Safe to
 * call from several processes at once.
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
  const diff = differences(current.config, desired);
  if (diff.length === 0) return current;
  const subjects = Array.from(
    new Set([...(current.config.subjects ?? []), ...(desired.subjects ?? [])]),
  );
  return jsm.streams.update(streamName, {
    subjects,
    duplicate_window: desired.duplicate_window,
    num_replicas: desired.num_replicas,
    max_age: desired.max_age,
    max_bytes: desired.max_bytes,
    discard: desired.discard,
    deny_delete: desired.deny_delete,
    deny_purge: desired.deny_purge,
  });
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
