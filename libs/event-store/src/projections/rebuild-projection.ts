import { DataSource, EntityManager } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import { Checkpoint, compareCheckpoints, LOG_START } from '../checkpoint';
import { PostgresEventStore } from '../postgres-event-store';
import { applyEvents, Projection, ProjectionFold, projectionCheckpointName } from './projection';
import { loadFoldStart, saveSnapshot } from './projection-snapshots';
import { assertLogReadableFrom } from '../retention/log-retention';

/** Reports how far a long rebuild got: events read so far, of about `total`. */
export type ProgressCallback = (done: number, total: number) => void;

export interface RebuildOptions {
  /** Events a page of the log (default 5,000). */
  batchSize?: number;
  onProgress?: ProgressCallback;
  /** Continue folds from their projection's snapshot when it has one (default true). */
  useSnapshots?: boolean;
  /** Store each fold's end state as its projection's new snapshot (default false). */
  takeSnapshots?: boolean;
  /**
   * Only rebuild projections that never applied an event (their checkpoint is at
   * the start of the log once locked); the others are left alone (no result).
   */
  onlyFromStart?: boolean;
}

/** What a rebuild did for one projection. */
export interface RebuildResult {
  projection: string;
  /** Events read from the log and applied (after the snapshot, when it started from one). */
  applied: number;
  /** Events the snapshot it started from had folded (0: it started from the empty model). */
  fromSnapshot: number;
  checkpoint: Checkpoint;
  /**
   * The process's CPU seconds (user and system, every thread) while it applied the
   * log's events: for a fold, what folding costs in Node.
   */
  applyCpuSeconds: number;
  /** Wall seconds of writing a fold's end state (0 without a fold). */
  writeSeconds: number;
}

interface Target {
  projection: Projection;
  start: Checkpoint;
  snapshotEvents: number;
  fold?: ProjectionFold;
  applied: number;
  applyCpuSeconds: number;
  writeSeconds: number;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Reads the log from `after` in pages, one page ahead of the caller, until the end:
 * through one cursor inside a transaction (a rebuild), else page by page without
 * holding a transaction open (a snapshot, which must not hold back readers' horizon).
 */
async function readPages(
  store: PostgresEventStore,
  after: Checkpoint,
  limit: number,
  manager: EntityManager | undefined,
  onPage: (events: readonly RecordedEvent[]) => Promise<void>,
): Promise<Checkpoint> {
  if (manager) return store.readAllPages(manager, after, limit, onPage);
  const read = (from: Checkpoint) => store.readAll({ after: from, limit });
  let next = read(after);
  for (;;) {
    const page = await next;
    if (page.events.length === 0) return after;
    after = page.checkpoint;
    // PostgreSQL reads and sends the next page while this one is folded.
    next = read(after);
    next.catch(() => undefined);
    await onPage(page.events);
  }
}

async function countAfter(manager: EntityManager | DataSource, after: Checkpoint): Promise<number> {
  const [row]: Array<{ n: string }> = await manager.query(
    `SELECT count(*)::text AS n FROM natgw_events
      WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)`,
    [after.transactionId, after.globalPosition],
  );
  return Number(row.n);
}

function eventsAfter(
  events: readonly RecordedEvent[],
  start: Checkpoint,
): readonly RecordedEvent[] {
  if (start === LOG_START) return events;
  const last = events[events.length - 1];
  if (compareCheckpoints(last, start) <= 0) return [];
  if (compareCheckpoints(events[0], start) > 0) return events;
  return events.filter((e) => compareCheckpoints(e, start) > 0);
}

const NOTHING_DONE = { applied: 0, applyCpuSeconds: 0, writeSeconds: 0 };

async function prepare(
  manager: EntityManager,
  projection: Projection,
  useSnapshots: boolean,
): Promise<Target> {
  if (!projection.fold) {
    await projection.reset(manager);
    return { projection, start: LOG_START, snapshotEvents: 0, ...NOTHING_DONE };
  }
  const start = useSnapshots
    ? await loadFoldStart(manager, projection, LOG_START)
    : { checkpoint: LOG_START, events: 0 };
  return {
    projection,
    start: start.checkpoint,
    snapshotEvents: start.events,
    fold: projection.fold(manager, start),
    ...NOTHING_DONE,
  };
}

/** Feeds every page of the log after the earliest start to each target; returns the end. */
async function feed(
  store: PostgresEventStore,
  manager: EntityManager | undefined,
  applyManager: EntityManager,
  targets: Target[],
  options: RebuildOptions,
): Promise<Checkpoint> {
  const from = targets
    .map((t) => t.start)
    .reduce((a, b) => (compareCheckpoints(a, b) <= 0 ? a : b), targets[0]?.start ?? LOG_START);
  // A pruned log holds only what comes after its boundary whole: a fold must start
  // from a snapshot at or after it, never from the start of the log.
  for (const t of targets)
    await assertLogReadableFrom(
      manager ?? applyManager,
      t.start,
      `projection ${t.projection.name}`,
    );
  const total = options.onProgress ? await countAfter(manager ?? applyManager, from) : 0;
  let done = 0;
  options.onProgress?.(0, total);
  const end = await readPages(store, from, options.batchSize ?? 5000, manager, async (page) => {
    for (const t of targets) {
      const events = eventsAfter(page, t.start);
      if (events.length === 0) continue;
      const cpu = process.cpuUsage();
      if (t.fold) await t.fold.apply(events);
      else await applyEvents(t.projection, events, applyManager);
      t.applyCpuSeconds += cpuSecondsSince(cpu);
      t.applied += events.length;
    }
    done += page.length;
    options.onProgress?.(done, Math.max(total, done));
  });
  return end;
}

function resultOf(t: Target, checkpoint: Checkpoint): RebuildResult {
  return {
    projection: t.projection.name,
    applied: t.applied,
    fromSnapshot: t.snapshotEvents,
    checkpoint,
    applyCpuSeconds: t.applyCpuSeconds,
    writeSeconds: t.writeSeconds,
  };
}

function later(a: Checkpoint, b: Checkpoint): Checkpoint {
  return compareCheckpoints(a, b) >= 0 ? a : b;
}

/**
 * Rebuilds projections from the log in one transaction, reading the log once for
 * all of them: readers see the old read models until the new ones commit, and
 * live runners wait on the checkpoint locks, then continue from where the rebuild
 * stopped. A projection with a `fold` is folded in memory, from its snapshot when
 * it has one, and written once at the end; the others apply every page.
 */
export async function rebuildProjections(
  dataSource: DataSource,
  store: PostgresEventStore,
  projections: readonly Projection[],
  options: RebuildOptions = {},
): Promise<RebuildResult[]> {
  const ordered = [...projections].sort((a, b) => a.name.localeCompare(b.name));
  return dataSource.transaction(async (manager) => {
    // In name order, so two rebuilds of overlapping sets cannot deadlock.
    const pending: Projection[] = [];
    for (const p of ordered) {
      const at = await store.lockCheckpoint(projectionCheckpointName(p), manager);
      if (!options.onlyFromStart || compareCheckpoints(at, LOG_START) === 0) pending.push(p);
    }
    const targets: Target[] = [];
    for (const p of projections)
      if (pending.includes(p))
        targets.push(await prepare(manager, p, options.useSnapshots ?? true));
    const end = await feed(store, manager, manager, targets, options);
    const results: RebuildResult[] = [];
    for (const t of targets) {
      const checkpoint = later(t.start, end);
      if (t.fold) {
        const started = process.hrtime.bigint();
        await t.fold.write(manager);
        t.writeSeconds = secondsSince(started);
        if (options.takeSnapshots && t.fold.snapshot)
          await saveSnapshot(
            manager,
            t.projection,
            checkpoint,
            t.snapshotEvents + t.applied,
            t.fold.snapshot(),
          );
      }
      await store.storeCheckpoint(projectionCheckpointName(t.projection), checkpoint, manager);
      results.push(resultOf(t, checkpoint));
    }
    return results;
  });
}

/** Rebuilds one projection (see rebuildProjections); returns the number of events applied. */
export async function rebuildProjection(
  dataSource: DataSource,
  store: PostgresEventStore,
  projection: Projection,
  batchSize = 5000,
  onProgress?: ProgressCallback,
): Promise<number> {
  const [result] = await rebuildProjections(dataSource, store, [projection], {
    batchSize,
    onProgress,
  });
  return result.fromSnapshot + result.applied;
}

/**
 * Folds projections from their snapshots (or the start of the log) to the end of
 * the log and stores the results as their new snapshots, without touching the
 * read models or holding their checkpoints: the log is read page by page outside
 * of any long transaction, so live readers are not held back. Projections without
 * a fold that can snapshot are skipped.
 */
export async function snapshotProjections(
  dataSource: DataSource,
  store: PostgresEventStore,
  projections: readonly Projection[],
  options: Omit<RebuildOptions, 'takeSnapshots'> = {},
): Promise<RebuildResult[]> {
  const manager = dataSource.manager;
  const targets: Target[] = [];
  for (const p of projections) {
    if (!p.fold) continue;
    const start =
      (options.useSnapshots ?? true)
        ? await loadFoldStart(manager, p, LOG_START)
        : { checkpoint: LOG_START, events: 0 };
    const fold = p.fold(manager, start);
    if (!fold.snapshot) continue;
    targets.push({
      projection: p,
      start: start.checkpoint,
      snapshotEvents: start.events,
      fold,
      ...NOTHING_DONE,
    });
  }
  if (targets.length === 0) return [];
  const end = await feed(store, undefined, manager, targets, options);
  return dataSource.transaction(async (tx) => {
    const results: RebuildResult[] = [];
    for (const t of targets) {
      const checkpoint = later(t.start, end);
      const parts = (t.fold as ProjectionFold).snapshot?.() ?? [];
      await saveSnapshot(tx, t.projection, checkpoint, t.snapshotEvents + t.applied, parts);
      results.push(resultOf(t, checkpoint));
    }
    return results;
  });
}
