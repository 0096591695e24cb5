// A relay candidate in its own process, so a test can kill it (SIGKILL) the way a
// crashed pod dies. Not a test: relay-failover.int-spec.ts runs it through
// scripts/run-ts.js. Logs JSON lines on stdout.
import { jetstream } from '@nats-io/jetstream';
import { LogNotifier, openDatabase, PostgresEventStore } from '@natgw/event-store';
import { connectNats, JetStreamRelay, MessagingLogger } from '@natgw/messaging';
import { MESSAGING_MIGRATIONS } from '@natgw/schema';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`relay-candidate: ${name} is not set`);
  return v;
}

const line = (level: string) => (fields: object, msg: string) =>
  process.stdout.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
const logger: MessagingLogger = { info: line('info'), warn: line('warn'), error: line('error') };

async function main(): Promise<void> {
  const url = env('DATABASE_URL');
  const ds = await openDatabase({ url, migrations: MESSAGING_MIGRATIONS });
  const store = new PostgresEventStore(ds);
  const notifier = new LogNotifier(url);
  await notifier.start();
  const nc = await connectNats({ servers: env('NATS_URL'), name: 'relay-candidate', logger });
  const relay = new JetStreamRelay(
    { dataSource: ds, store, js: jetstream(nc), notifier },
    {
      streamName: env('NATS_STREAM'),
      subjectPrefix: env('NATS_SUBJECT_PREFIX'),
      source: '/natgw/relay-candidate',
      databaseUrl: url,
      pollIntervalMs: 100,
      logger,
    },
  );
  relay.start();
  logger.info({ pid: process.pid }, 'relay candidate started');
  process.once('SIGTERM', () => {
    void (async () => {
      await relay.stop();
      await nc.close();
      await notifier.stop();
      await ds.destroy();
      process.exit(0);
    })();
  });
}

main().catch((err) => {
  logger.error({ err: String(err) }, 'relay candidate failed');
  process.exit(1);
});
