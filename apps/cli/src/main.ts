import 'reflect-metadata';
import { loadConfig, BaseConfig, ConfigError } from '@natgw/platform';
import { openDatabase, PostgresEventStore, rebuildProjection, redactUrl } from '@natgw/event-store';
import { NATGW_SCHEMA } from '@natgw/projections';
import { allProjections } from './projections';

const USAGE = `usage: natgw-cli <command>
  migrate                          create the database if missing and run every migration
  projections:list                 list the projections
  projections:rebuild <name>|--all rebuild projections from the event log`;

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
  if (command !== 'migrate' && command !== 'projections:rebuild') {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  let selected = projections;
  if (command === 'projections:rebuild') {
    const name = args[0];
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
  const ds = await openDatabase({
    url: config.DATABASE_URL,
    ...NATGW_SCHEMA,
    applicationName: 'natgw-cli',
  });
  try {
    if (command === 'migrate') {
      process.stdout.write(`database ${redactUrl(config.DATABASE_URL)} is migrated\n`);
      return 0;
    }
    const store = new PostgresEventStore(ds);
    for (const projection of selected) {
      const started = Date.now();
      const applied = await rebuildProjection(ds, store, projection);
      process.stdout.write(
        `rebuilt ${projection.name}: ${applied} events in ${Date.now() - started} ms\n`,
      );
    }
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
