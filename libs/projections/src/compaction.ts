import { DataSource } from 'typeorm';

/** What one compaction did. */
export interface CompactionResult {
  /** The horizon now: watching or paging from before it gives 410. */
  compactedResourceVersion: string;
  deletedChanges: number;
}

/**
 * Compacts the change log like etcd: every change recorded before `olderThan`
 * that a newer change of the same object supersedes is deleted, and so is a
 * deletion that is an object's newest change. Each object's newest change up to
 * the horizon stays, so paged lists as of any version after it stay exact.
 */
export async function compactResourceChanges(
  dataSource: DataSource,
  olderThan: Date,
): Promise<CompactionResult> {
  // Moving the horizon takes the counter row briefly; deleting happens after it,
  // without blocking writers: readers from before the horizon are refused by then.
  const horizon = await dataSource.transaction(async (manager) => {
    const [state]: Array<{ compacted_rv: string }> = await manager.query(
      `SELECT compacted_rv::text AS compacted_rv FROM natgw_resource_versions WHERE id = 1 FOR UPDATE`,
    );
    const [found]: Array<{ h: string | null }> = await manager.query(
      `SELECT max(resource_version)::text AS h FROM natgw_resource_changes WHERE changed_at < $1`,
      [olderThan],
    );
    if (found.h === null || BigInt(found.h) <= BigInt(state.compacted_rv))
      return state.compacted_rv;
    await manager.query(`UPDATE natgw_resource_versions SET compacted_rv = $1 WHERE id = 1`, [
      found.h,
    ]);
    return found.h;
  });
  const [, deleted]: [unknown[], number] = await dataSource.query(
    `DELETE FROM natgw_resource_changes c
      WHERE c.resource_version <= $1
        AND (c.type = 'DELETED' OR EXISTS (
              SELECT 1 FROM natgw_resource_changes n
               WHERE n.kind = c.kind AND n.namespace = c.namespace AND n.name = c.name
                 AND n.resource_version > c.resource_version AND n.resource_version <= $1))`,
    [horizon],
  );
  return { compactedResourceVersion: horizon, deletedChanges: deleted };
}
