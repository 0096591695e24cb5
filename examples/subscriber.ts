// An external subscriber of natgw's events: a durable JetStream pull consumer
// with explicit acks that prints every CloudEvent. It depends on the NATS client
// only, so it can be copied into another project as a starting point.
//
//   node scripts/run-ts.js examples/subscriber.ts --from-start
//   node scripts/run-ts.js examples/subscriber.ts --from-seq 1200 --durable ext-billing
//   node scripts/run-ts.js examples/subscriber.ts --from-time 2026-11-26T10:00:00Z --reset
//
// The start position applies when the durable consumer is created; afterwards
// the consumer resumes after the last acknowledged event (that is what durable
// means). --reset deletes the durable first, to start over somewhere else.
// See docs/events.md (replay semantics) and docs/asyncapi.yaml (the schemas).
import {
  AckPolicy,
  ConsumerConfig,
  DeliverPolicy,
  jetstream,
  JetStreamApiError,
  jetstreamManager,
  JsMsg,
  ReplayPolicy,
} from '@nats-io/jetstream';
import { credsAuthenticator } from '@nats-io/nats-core';
import { connect, NodeConnectionOptions } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';

const USAGE = `usage: subscriber [--from-start | --from-seq N | --from-time RFC3339] [options]
  --url URL          NATS server(s), comma-separated (env NATS_URL, default nats://127.0.0.1:4222)
  --user U --password P | --token T | --creds FILE   credentials (env NATS_USER, NATS_PASSWORD,
                     NATS_TOKEN, NATS_CREDS_FILE)
  --stream NAME      the JetStream stream (env NATS_STREAM, default NATGW_EVENTS)
  --subject FILTER   which events (default <NATS_SUBJECT_PREFIX or natgw>.events.>), e.g.
                     natgw.events.allocation.> or natgw.events.*.NATSlotAssigned
  --durable NAME     the durable consumer (default ext-example); one per subscriber
  --inbox-prefix P   reply subject prefix (env NATS_INBOX_PREFIX, default _INBOX.ext: the
                     external systems' accounts of deploy/nats/nats-server.conf)
  --reset            delete the durable consumer first, then create it at the start position
  --max N            exit after N events (default: run until interrupted)
  --json             print each CloudEvent as one JSON line (default: a summary and the data)`;

type Start = { policy: 'all' } | { policy: 'seq'; seq: number } | { policy: 'time'; time: Date };

interface Options {
  url: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  stream: string;
  subject: string;
  durable: string;
  inboxPrefix: string;
  start?: Start;
  reset: boolean;
  max: number;
  json: boolean;
}

class UsageError extends Error {}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Options {
  const options: Options = {
    url: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    user: env.NATS_USER,
    password: env.NATS_PASSWORD,
    token: env.NATS_TOKEN,
    creds: env.NATS_CREDS_FILE,
    stream: env.NATS_STREAM ?? 'NATGW_EVENTS',
    subject: `${env.NATS_SUBJECT_PREFIX ?? 'natgw'}.events.>`,
    durable: 'ext-example',
    inboxPrefix: env.NATS_INBOX_PREFIX ?? '_INBOX.ext',
    reset: false,
    max: 0,
    json: false,
  };
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const setStart = (start: Start) => {
    if (options.start)
      throw new UsageError('give at most one of --from-start, --from-seq, --from-time');
    options.start = start;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--from-start':
        setStart({ policy: 'all' });
        break;
      case '--from-seq': {
        const v = value(i++, flag);
        if (!/^[1-9][0-9]*$/.test(v))
          throw new UsageError(`--from-seq must be a stream sequence >= 1, got ${v}`);
        setStart({ policy: 'seq', seq: Number(v) });
        break;
      }
      case '--from-time': {
        const v = value(i++, flag);
        const time = new Date(v);
        if (!RFC3339.test(v) || Number.isNaN(time.getTime()))
          throw new UsageError(`--from-time must be an RFC 3339 time with a zone, got ${v}`);
        setStart({ policy: 'time', time });
        break;
      }
      case '--max': {
        const v = value(i++, flag);
        if (!/^[0-9]+$/.test(v)) throw new UsageError(`--max must be a count, got ${v}`);
        options.max = Number(v);
        break;
      }
      case '--url':
      case '--user':
      case '--password':
      case '--token':
      case '--creds':
      case '--stream':
      case '--subject':
      case '--durable':
        options[
          flag.slice(2) as
            'url' | 'user' | 'password' | 'token' | 'creds' | 'stream' | 'subject' | 'durable'
        ] = value(i++, flag);
        break;
      case '--inbox-prefix':
        options.inboxPrefix = value(i++, flag);
        break;
      case '--reset':
        options.reset = true;
        break;
      case '--json':
        options.json = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown argument ${flag}`);
    }
  }
  return options;
}

/** The consumer settings for a start position (applied only when the durable is created). */
function consumerConfig(o: Options): Partial<ConsumerConfig> {
  const start = o.start ?? { policy: 'all' };
  const base: Partial<ConsumerConfig> = {
    durable_name: o.durable,
    ack_policy: AckPolicy.Explicit,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: o.subject,
    max_ack_pending: 1000,
  };
  if (start.policy === 'seq')
    return { ...base, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.seq };
  if (start.policy === 'time')
    return {
      ...base,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: start.time.toISOString(),
    };
  return { ...base, deliver_policy: DeliverPolicy.All };
}

/** Why an existing durable does not start where the options ask (undefined when it does). */
function startMismatch(
  existing: ConsumerConfig,
  wanted: Partial<ConsumerConfig>,
): string | undefined {
  if (existing.filter_subject !== wanted.filter_subject)
    return `it filters ${existing.filter_subject}, not ${wanted.filter_subject}`;
  if (existing.deliver_policy !== wanted.deliver_policy)
    return `it was created with deliver policy ${existing.deliver_policy}`;
  if (wanted.opt_start_seq !== undefined && existing.opt_start_seq !== wanted.opt_start_seq)
    return `it started at sequence ${existing.opt_start_seq}`;
  if (
    wanted.opt_start_time !== undefined &&
    new Date(existing.opt_start_time ?? 0).getTime() !== new Date(wanted.opt_start_time).getTime()
  )
    return `it started at ${existing.opt_start_time}`;
  return undefined;
}

function print(msg: JsMsg, json: boolean): void {
  let event: Record<string, unknown>;
  try {
    event = msg.json<Record<string, unknown>>();
  } catch {
    process.stdout.write(`#${msg.seq} ${msg.subject}: not JSON, skipped\n`);
    return;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(event)}\n`);
    return;
  }
  process.stdout.write(
    `#${msg.seq} ${String(event.time)} ${String(event.type)} subject=${String(event.subject)} id=${String(event.id)}` +
      `${event.correlationid ? ` correlation=${String(event.correlationid)}` : ''}\n  ${JSON.stringify(event.data)}\n`,
  );
}

async function main(): Promise<number> {
  let o: Options;
  try {
    o = parseArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`subscriber: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const connection: NodeConnectionOptions = {
    servers: o.url.split(',').map((s) => s.trim()),
    name: `natgw-subscriber-${o.durable}`,
    inboxPrefix: o.inboxPrefix,
    // A cluster loses a node now and then: keep reconnecting to the others.
    reconnect: true,
    maxReconnectAttempts: -1,
  };
  if (o.user) Object.assign(connection, { user: o.user, pass: o.password });
  if (o.token) connection.token = o.token;
  if (o.creds) {
    const file = o.creds;
    connection.authenticator = credsAuthenticator(() => readFileSync(file));
  }
  const nc = await connect(connection);
  try {
    const jsm = await jetstreamManager(nc);
    const wanted = consumerConfig(o);
    if (o.reset) await jsm.consumers.delete(o.stream, o.durable).catch(() => false);
    let existing: ConsumerConfig | undefined;
    try {
      existing = (await jsm.consumers.info(o.stream, o.durable)).config;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === 10014)) throw err;
    }
    if (!existing) {
      await jsm.consumers.add(o.stream, wanted);
    } else if (o.start) {
      const why = startMismatch(existing, wanted);
      if (why) {
        process.stderr.write(
          `subscriber: durable consumer ${o.durable} exists and resumes where it stopped; ${why}. Add --reset to start over.\n`,
        );
        return 2;
      }
    }
    const consumer = await jetstream(nc).consumers.get(o.stream, o.durable);
    const handle = async (msg: JsMsg) => {
      print(msg, o.json);
      // Explicit ack after the event was handled; a crash before it means a redelivery,
      // so handle events idempotently (their id is unique).
      try {
        await msg.ackAck();
      } catch (err) {
        // Not confirmed, e.g. while a clustered stream elects a new leader: the event
        // comes again, and is handled again (idempotently).
        process.stderr.write(
          `subscriber: ack of #${msg.seq} not confirmed (${(err as Error).message}); it will be redelivered\n`,
        );
      }
    };
    if (o.max > 0) {
      // Pull only what is still wanted: nothing is left unacknowledged on exit.
      for (let seen = 0; seen < o.max;) {
        const batch = await consumer.fetch({ max_messages: o.max - seen, expires: 5_000 });
        for await (const msg of batch) {
          await handle(msg);
          seen++;
        }
      }
      return 0;
    }
    const messages = await consumer.consume({ max_messages: 100 });
    const stop = () => messages.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    for await (const msg of messages) await handle(msg);
    return 0;
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`subscriber: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
