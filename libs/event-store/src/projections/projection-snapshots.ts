import { EntityManager } from 'typeorm';
import { Checkpoint } from '../checkpoint';
import { FoldStart, Projection } from './projection';

/** What is known of a stored snapshot without reading its state. */
export interface SnapshotInfo {
  projection: string;
  foldVersion: number;
  checkpoint: Checkpoint;
  /** Events the state folds: those of the snapshot it continued from and the ones after. */
  events: number;
  parts: number;
  takenAt: Date;
}

interface InfoRow {
  projection: string;
  fold_version: number;
  transaction_id: string;
  global_position: string;
  events: string;
  parts: number;
  taken_at: Date;
}

/** The fold version a projection's snapshots are made with (0 when it declares none). */
export function foldVersionOf(projection: Projection): number {
  return projection.foldVersion ?? 0;
}

/** The newest snapshot of a projection, whatever its fold version. */
export async function snapshotInfo(
  manager: EntityManager,
  projection: string,
): Promise<SnapshotInfo | undefined> {
  const [row]: InfoRow[] = await manager.query(
    `SELECT projection, fold_version, transaction_id::text AS transaction_id,
            global_position::text AS global_position, events::text AS events, parts, taken_at
       FROM natgw_projection_snapshots WHERE projection = $1`,
    [projection],
  );
  if (!row) return undefined;
  return {
    projection: row.projection,
    foldVersion: row.fold_version,
    checkpoint: { transactionId: row.transaction_id, globalPosition: row.global_position },
    events: Number(row.events),
    parts: row.parts,
    takenAt: row.taken_at,
  };
}

/**
 * Where a fold of the projection starts: its snapshot when one of the projection's
 * current fold version exists, else the empty read model at the start of the log.
 */
export async function loadFoldStart(
  manager: EntityManager,
  projection: Projection,
  start: Checkpoint,
): Promise<FoldStart & { events: number }> {
  const info = await snapshotInfo(manager, projection.name);
  if (!info || info.foldVersion !== foldVersionOf(projection))
    return { checkpoint: start, events: 0 };
  const rows: Array<{ data: unknown }> = await manager.query(
    `SELECT data FROM natgw_projection_snapshot_parts WHERE projection = $1 ORDER BY seq`,
    [projection.name],
  );
  if (rows.length !== info.parts)
    throw new Error(
      `snapshot of ${projection.name} has ${rows.length} parts, ${info.parts} expected`,
    );
  return { snapshot: rows.map((r) => r.data), checkpoint: info.checkpoint, events: info.events };
}

/** Replaces the projection's snapshot (in the caller's transaction). */
export async function saveSnapshot(
  manager: EntityManager,
  projection: Projection,
  checkpoint: Checkpoint,
  events: number,
  parts: readonly unknown[],
): Promise<void> {
  await manager.query(`DELETE FROM natgw_projection_snapshots WHERE projection = $1`, [
    projection.name,
  ]);
  await manager.query(
    `INSERT INTO natgw_projection_snapshots
       (projection, fold_version, transaction_id, global_position, events, parts)
     VALUES ($1, $2, $3::text::xid8, $4::bigint, $5, $6)`,
    [
      projection.name,
      foldVersionOf(projection),
      checkpoint.transactionId,
      checkpoint.globalPosition,
      events,
      parts.length,
    ],
  );
  // A few parts a statement: each is bounded, a statement of all of them is not.
  for (let i = 0; i < parts.length; i += 20) {
    const chunk = parts.slice(i, i + 20);
    await manager.query(
      `INSERT INTO natgw_projection_snapshot_parts (projection, seq, data)
       SELECT $1, $2 + o - 1, d FROM unnest($3::jsonb[]) WITH ORDINALITY AS t(d, o)`,
      [projection.name, i, chunk.map((p) => JSON.stringify(p))],
    );
  }
}
