import 'reflect-metadata';
import { loadConfig, BaseConfig, ConfigError, createProgress } from '@natgw/platform';
import {
  openDatabase,
  PostgresEventStore,
  rebuildProjections,
  redactUrl,
  snapshotProjections,
} from '@natgw/event-store';
import { parseRfc3339 } from '@natgw/contracts';
import { allProjections } from './projections';
import { formatReplay, replayNatTables } from './replay';
import { formatPrune, PruneArgs, pruneArgs, runPrune } from './log-prune';
import { NATGW_SCHEMA } from '@natgw/schema';

const USAGE = `usage: natgw-cli <command>
  migrate                          create the database if missing and run every migration
  projections:list                 list the projections
  projections:rebuild <name>|--all [--from-log]
                                   rebuild projections from their snapshots and the event log
                                   (--from-log: from the whole log, ignoring snapshots)
  projections:snapshot [<name>|--all]
                                   store each projection's folded state as its snapshot
  replay --at <RFC3339> [--json]   print every gateway's NAT table as it was at that instant
  log:prune --retention <N>d|h|m [--archive <file.ndjson>] [--dry-run]
                                   snapshot every projection, then remove the events nothing
                                   needs inside the window (run as the schema's owner)`;

/** Reads `--at <RFC3339>` (or `--at=<RFC3339>`) and `--json`; undefined with a message on error. */
function replayArgs(args: string[]): { at: Date; json: boolean } | string {
  let text: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json') json = true;
    else if (arg === '--at') text = args[++i];
    else if (arg.startsWith('--at=')) text = arg.slice('--at='.length);
    else return `replay: unknown argument "${arg}"`;
  }
  if (text === undefined) return 'replay needs --at <RFC3339>, e.g. --at 2026-11-26T10:42:00Z';
  const at = parseRfc3339(text);
  if (!at)
    return `replay: --at ${JSON.stringify(text)} is not an RFC 3339 timestamp with a time zone`;
  return { at, json };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const projections = allProjections();
  if (command === 'projections:list') {
    for (const p of projections) process.stdout.write(`${p.name}\n`);
    return 0;
  }
  let replay: { at: Date; json: boolean } | undefined;
  let prune: PruneArgs | undefined;
  if (command === 'log:prune') {
    const parsed = pruneArgs(args);
    if (typeof parsed === 'string') {
      process.stderr.write(`${parsed}\n${USAGE}\n`);
      return 2;
    }
    prune = parsed;
  } else if (command === 'replay') {
    const parsed = replayArgs(args);
    if (typeof parsed === 'string') {
      process.stderr.write(`${parsed}\n${USAGE}\n`);
      return 2;
    }
    replay = parsed;
  } else if (
    command !== 'migrate' &&
    command !== 'projections:rebuild' &&
    command !== 'projections:snapshot'
  ) {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  let selected = projections;
  const fromLog = args.includes('--from-log');
  if (command === 'projections:rebuild' || command === 'projections:snapshot') {
    const names = args.filter((a) => a !== '--from-log');
    const name = names[0] ?? (command === 'projections:snapshot' ? '--all' : undefined);
    if (names.length > 1 || (fromLog && command !== 'projections:rebuild')) {
      process.stderr.write(`${command}: unexpected arguments ${args.join(' ')}\n${USAGE}\n`);
      return 2;
    }
    if (!name) {
      process.stderr.write(`projections:rebuild needs a projection name or --all\n${USAGE}\n`);
      return 2;
    }
    if (name !== '--all') selected = projections.filter((p) => p.name === name);
    if (selected.length === 0) {
      process.stderr.write(
        `no projection named "${name}"; known: ${projections.map((p) => p.name).join(', ')}\n`,
      );
      return 2;
    }
  }
  const config = loadConfig(BaseConfig);
  // Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise.
  const migrating = createProgress({ label: 'migrate', unit: 'migrations' });
  const ds = await openDatabase({
    url: config.DATABASE_URL,
    sessionUrl: config.DATABASE_SESSION_URL,
    ...NATGW_SCHEMA,
    applicationName: 'natgw-cli',
    onMigrationProgress: (done, total) => {
      if (total > 0) migrating.onProgress(done, total);
    },
  });
  migrating.finish();
  try {
    if (replay) {
      const reading = createProgress({ label: 'replay', unit: 'events' });
      const gateways = await replayNatTables(ds, replay.at, reading.onProgress);
      reading.finish();
      process.stdout.write(
        replay.json
          ? `${JSON.stringify({ at: replay.at.toISOString(), gateways }, null, 2)}\n`
          : formatReplay(replay.at, gateways),
      );
      return 0;
    }
    if (prune) {
      const pruning = createProgress({ label: 'log:prune', unit: 'positions' });
      const report = await runPrune(ds, projections, prune, pruning.onProgress);
      pruning.finish();
      process.stdout.write(`${formatPrune(report, prune)}\n`);
      return 0;
    }
    if (command === 'migrate') {
      process.stdout.write(`database ${redactUrl(config.DATABASE_URL)} is migrated\n`);
      return 0;
    }
    const store = new PostgresEventStore(ds);
    const started = Date.now();
    const snapshot = command === 'projections:snapshot';
    const progress = createProgress({
      label: snapshot ? 'projections:snapshot' : 'projections:rebuild',
      unit: 'events',
    });
    const results = snapshot
      ? await snapshotProjections(ds, store, selected, { onProgress: progress.onProgress })
      : await rebuildProjections(ds, store, selected, {
          useSnapshots: !fromLog,
          onProgress: progress.onProgress,
        });
    progress.finish();
    for (const r of results) {
      const from = r.fromSnapshot > 0 ? `a snapshot of ${r.fromSnapshot} events and ` : '';
      process.stdout.write(
        `${snapshot ? 'snapshot of' : 'rebuilt'} ${r.projection}: ${from}${r.applied} events from the log\n`,
      );
    }
    process.stdout.write(`took ${Date.now() - started} ms\n`);
    return 0;
  } finally {
    await ds.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof ConfigError ? err.message : (err as Error).message;
    process.stderr.write(`natgw-cli: ${message}\n`);
    process.exit(1);
  },
);
