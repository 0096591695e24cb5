/**
 * A position in the log, in commit order: the committing transaction id and the
 * global position, both decimal strings (xid8 and bigint do not fit a JS number).
 */
export interface Checkpoint {
  transactionId: string;
  globalPosition: string;
}

/** Before the first event. */
export const LOG_START: Checkpoint = Object.freeze({ transactionId: '0', globalPosition: '0' });

/** Orders two checkpoints: negative when a is before b. */
export function compareCheckpoints(a: Checkpoint, b: Checkpoint): number {
  const ta = BigInt(a.transactionId);
  const tb = BigInt(b.transactionId);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const pa = BigInt(a.globalPosition);
  const pb = BigInt(b.globalPosition);
  return pa === pb ? 0 : pa < pb ? -1 : 1;
}

/** The checkpoint of a recorded event. */
export function checkpointOf(e: { transactionId: string; globalPosition: string }): Checkpoint {
  return { transactionId: e.transactionId, globalPosition: e.globalPosition };
}
