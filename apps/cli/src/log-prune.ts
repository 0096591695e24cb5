import { open } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import { Projection, PostgresEventStore, pruneLog, PruneReport } from '@natgw/event-store';
import type { ProgressCallback } from '@natgw/platform';

/** `log:prune`'s arguments, validated. */
export interface PruneArgs {
  /** How long events stay: the window ends now, it starts this many ms ago. */
  retentionMs: number;
  retentionText: string;
  archive?: string;
  dryRun: boolean;
}

const UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000 };
/** The shortest window accepted: shorter ones are most likely a typo (`90m` for `90d`). */
const MIN_RETENTION_MS = UNITS.h;

/** Reads `--retention <N>d|h|m`, `--archive <file>`, `--dry-run`; a string is the error. */
export function pruneArgs(args: string[]): PruneArgs | string {
  let retention: string | undefined;
  let archive: string | undefined;
  let dryRun = false;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => inline ?? args[++i];
    if (flag === '--retention') retention = value();
    else if (flag === '--archive') archive = value();
    else if (flag === '--dry-run' && inline === undefined) dryRun = true;
    else return `log:prune: unknown argument "${args[i]}"`;
  }
  if (retention === undefined)
    return 'log:prune needs --retention <N>d|h|m (how long events stay), e.g. --retention 400d';
  const match = /^([1-9][0-9]{0,5})([dhm])$/.exec(retention);
  if (!match)
    return `log:prune: --retention ${JSON.stringify(retention)} must be a positive whole number of days, hours or minutes (400d, 36h, 90m)`;
  const retentionMs = Number(match[1]) * UNITS[match[2]];
  if (retentionMs < MIN_RETENTION_MS)
    return `log:prune: --retention ${retention} is shorter than the minimum of 1h`;
  if (archive === '') return 'log:prune: --archive needs a file name';
  return { retentionMs, retentionText: retention, archive, dryRun };
}

/**
 * Prunes the log to the retention window (see pruneLog), writing what goes to the
 * archive file first when one is given: one JSON event a line, the file created
 * new (never overwritten) and flushed to disk before each batch's delete commits.
 */
export async function runPrune(
  ds: DataSource,
  projections: readonly Projection[],
  args: PruneArgs,
  onProgress?: ProgressCallback,
  now = new Date(),
): Promise<PruneReport> {
  const file = args.archive && !args.dryRun ? await open(args.archive, 'wx') : undefined;
  const archive = file
    ? async (events: readonly RecordedEvent[]) => {
        await file.write(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
        await file.sync();
      }
    : undefined;
  try {
    return await pruneLog(ds, new PostgresEventStore(ds), projections, {
      retainedSince: new Date(now.getTime() - args.retentionMs),
      dryRun: args.dryRun,
      archive,
      onProgress,
    });
  } finally {
    await file?.close();
  }
}

/** The report as printed. */
export function formatPrune(report: PruneReport, args: PruneArgs): string {
  const verb = args.dryRun ? 'would remove' : 'removed';
  return [
    `retention ${args.retentionText}: audit lookups stay exact from ${report.retainedSince.toISOString()} on`,
    `${verb} ${report.pruned} events (${report.compacted} of pool and allocation streams, below their snapshots); ${report.remaining} remain`,
    `boundary ${report.boundary.transactionId}/${report.boundary.globalPosition}, held by ${report.heldBy}`,
    ...(args.archive && !args.dryRun ? [`archived the removed events to ${args.archive}`] : []),
  ].join('\n');
}
